"""First-mover winner-take-all over on-chain claims, exactly as the incentive mechanism states it.

Every candidate is a claim a hotkey committed on chain (``block``: the commitment's block, the
same fact for every validator). Rules, in order:

1. **Ownership.** The first hotkey to claim a pack (its ``pack_hash``) or a published commit
   (its ``repo_commit``) owns it. Any claim of an owned pack or commit by another hotkey is a
   ``copy`` and never wins. When two hotkeys first claim the same pack or commit in the *same*
   block, neither owns it: both are copies (block order inside one block is the block author's
   choice and can be bought with a tip, so it decides nothing).
2. **Chronology.** Claims are walked in block order. Claims of different packs inside one block
   are simultaneous: they are walked highest score first (then pack_hash), so nobody gains by
   grinding a hotkey or a hash.
3. **Delta.** The first qualified claim is the champion; a later one takes over only when its
   score exceeds the champion's by more than ``delta``. Scores and delta are compared exactly,
   in integer micro-units (``to_micro``), never as floats (0.35 + 0.05 is 0.39999999999999997).

So ``current_best`` is always the score of the first claim that reached that level, a copy
never wins, and a later, lower claim is simply passed over (the rule is transitive).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MICRO = 1_000_000


def to_micro(value: float) -> int:
    """A score or delta in integer micro-units, rounded half-even from its shortest decimal
    form (``0.35 -> 350000``), so equal decimals compare equal on every machine."""
    return int((Decimal(repr(float(value))) * MICRO).to_integral_value(ROUND_HALF_EVEN))


def must_exceed(champion_score: float, delta: float) -> int:
    """The score (micro-units) a later claim must strictly exceed to take over from a champion
    scoring ``champion_score``: ``to_micro(champion) + to_micro(delta)``."""
    return to_micro(champion_score) + to_micro(delta)


def beats(score: float, champion_score: float, delta: float) -> bool:
    """Whether a later claim scoring ``score`` takes over from the champion (exact)."""
    return to_micro(score) > must_exceed(champion_score, delta)


class Candidate(BaseModel):
    """One verified, evaluated claim in this epoch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hotkey: str
    uid: int
    pack_hash: str
    score: float
    qualified: bool
    block: int  # the claim's commitment block: the same for every validator
    repo_commit: str = ""  # "<repo_url>@<commit>": a second ownership key ("" = pack only)


class Claim(BaseModel):
    """A verified claim, evaluated or not: who claimed which pack/commit at which block.
    Ownership is decided over every claim ever verified, not only this epoch's candidates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hotkey: str
    pack_hash: str
    block: int
    repo_commit: str = ""


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
    threshold: float | None  # what it had to exceed (None when nothing was to be beaten)
    outcome: Literal["first", "takes_over", "below_threshold", "not_qualified", "copy"]
    pack_hash: str = ""
    block: int | None = None
    owner: str | None = None  # for a copy: who owns the pack ("" when a same-block tie)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    winner_hotkey: str | None
    winner_uid: int | None
    weights: dict[int, float]  # empty: set nothing this time
    burned: bool = False
    steps: list[Step] = Field(default_factory=list)
    winner_pack_hash: str | None = None


def owners(claims: list[Claim]) -> dict[str, str]:
    """key -> owning hotkey, for every pack_hash and repo_commit key; ``""`` when the first
    claims of a key came from two hotkeys in the same block (nobody owns it)."""
    first: dict[str, tuple[int, set[str]]] = {}
    for c in claims:
        for key in (f"pack:{c.pack_hash}", f"commit:{c.repo_commit}" if c.repo_commit else ""):
            if not key:
                continue
            seen = first.get(key)
            if seen is None or c.block < seen[0]:
                first[key] = (c.block, {c.hotkey})
            elif c.block == seen[0]:
                seen[1].add(c.hotkey)
    return {k: (next(iter(h)) if len(h) == 1 else "") for k, (_, h) in first.items()}


def copied_from(c: Candidate | Claim, owned: dict[str, str]) -> str | None:
    """The owner of a key this claim does not own (``""``: a same-block tie), else None."""
    for key in (f"pack:{c.pack_hash}", f"commit:{c.repo_commit}" if c.repo_commit else ""):
        if key and key in owned and owned[key] != c.hotkey:
            return owned[key]
    return None


def _step(
    cand: Candidate,
    threshold: float | None,
    outcome: Literal["first", "takes_over", "below_threshold", "not_qualified", "copy"],
    owner: str | None = None,
) -> Step:
    return Step(
        hotkey=cand.hotkey,
        score=cand.score,
        threshold=threshold,
        outcome=outcome,
        pack_hash=cand.pack_hash,
        block=cand.block,
        owner=owner,
    )


def _chronological(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.block, -to_micro(c.score), c.pack_hash, c.hotkey))


def decide(
    candidates: list[Candidate],
    params: WinnerParams | None = None,
    *,
    owner_uid: int | None = None,
    claims: list[Claim] | None = None,
) -> Decision:
    """Pick the winner and the weight vector (winner 1.0, everyone else 0).

    ``claims``: every verified claim known (ownership history); defaults to the candidates."""
    params = params or WinnerParams()
    known = [
        Claim(hotkey=c.hotkey, pack_hash=c.pack_hash, block=c.block, repo_commit=c.repo_commit)
        for c in candidates
    ]
    owned = owners([*(claims or []), *known])
    steps: list[Step] = []
    champion: Candidate | None = None
    for cand in _chronological(candidates):
        owner = copied_from(cand, owned)
        if owner is not None:
            steps.append(_step(cand, None, "copy", owner))
            continue
        if not cand.qualified:
            steps.append(_step(cand, None, "not_qualified"))
            continue
        if champion is None:
            champion = cand
            steps.append(_step(cand, None, "first"))
            continue
        threshold = must_exceed(champion.score, params.delta)
        outcome: Literal["takes_over", "below_threshold"] = (
            "takes_over" if to_micro(cand.score) > threshold else "below_threshold"
        )
        if outcome == "takes_over":
            champion = cand
        steps.append(_step(cand, threshold / MICRO, outcome))
    if champion is not None:
        return Decision(
            winner_hotkey=champion.hotkey,
            winner_uid=champion.uid,
            weights={champion.uid: 1.0},
            steps=steps,
            winner_pack_hash=champion.pack_hash,
        )
    if params.no_winner_policy == "burn" and owner_uid is not None:
        return Decision(
            winner_hotkey=None, winner_uid=None, weights={owner_uid: 1.0}, burned=True, steps=steps
        )
    return Decision(winner_hotkey=None, winner_uid=None, weights={}, steps=steps)
