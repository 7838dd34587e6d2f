"""First-mover winner-take-all, exactly as the incentive mechanism states it.

Qualified candidates are walked in chronological order of their server-side push time. The
first one is the champion; a later one takes over only when its score exceeds the champion's
by more than ``delta``. So ``current_best`` is always the score of the first submission that
reached that level, a copy (same score, later push) never wins, and a later, lower submission
can never block the leader: it is simply passed over (the rule is transitive).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Candidate(BaseModel):
    """One miner's evaluated pack in this epoch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hotkey: str
    uid: int
    pack_hash: str
    score: float
    qualified: bool
    push_time: float  # server-side push time, unix seconds (the forge's clock, never the miner's)
    first_seen_block: int = 0  # tie-break after push time


class WinnerParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    delta: float = Field(default=0.05, ge=0)
    # When nobody qualifies: "burn" gives all weight to the subnet owner's UID (no miner that
    # failed to submit a valid pack is ever paid); "skip" sets no weights at all.
    no_winner_policy: Literal["burn", "skip"] = "burn"


class Step(BaseModel):
    """One line of the decision's reasoning, kept for the audit log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hotkey: str
    score: float
    threshold: float | None  # what it had to beat (None for the first qualified candidate)
    outcome: Literal["first", "takes_over", "below_threshold", "not_qualified"]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    winner_hotkey: str | None
    winner_uid: int | None
    weights: dict[int, float]  # empty: set nothing this time
    burned: bool = False
    steps: list[Step] = Field(default_factory=list)


def _chronological(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.push_time, c.first_seen_block, c.hotkey))


def decide(
    candidates: list[Candidate],
    params: WinnerParams | None = None,
    *,
    owner_uid: int | None = None,
) -> Decision:
    """Pick the winner and the weight vector (winner 1.0, everyone else 0)."""
    params = params or WinnerParams()
    steps: list[Step] = []
    champion: Candidate | None = None
    for cand in _chronological(candidates):
        if not cand.qualified:
            steps.append(
                Step(hotkey=cand.hotkey, score=cand.score, threshold=None, outcome="not_qualified")
            )
            continue
        if champion is None:
            champion = cand
            steps.append(
                Step(hotkey=cand.hotkey, score=cand.score, threshold=None, outcome="first")
            )
            continue
        threshold = champion.score + params.delta
        if cand.score > threshold:
            champion = cand
            steps.append(
                Step(
                    hotkey=cand.hotkey, score=cand.score, threshold=threshold, outcome="takes_over"
                )
            )
        else:
            steps.append(
                Step(
                    hotkey=cand.hotkey,
                    score=cand.score,
                    threshold=threshold,
                    outcome="below_threshold",
                )
            )
    if champion is not None:
        return Decision(
            winner_hotkey=champion.hotkey,
            winner_uid=champion.uid,
            weights={champion.uid: 1.0},
            steps=steps,
        )
    if params.no_winner_policy == "burn" and owner_uid is not None:
        return Decision(
            winner_hotkey=None, winner_uid=None, weights={owner_uid: 1.0}, burned=True, steps=steps
        )
    return Decision(winner_hotkey=None, winner_uid=None, weights={}, steps=steps)
