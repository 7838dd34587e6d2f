"""Recompute an epoch's scores -> winner -> weights from the stored trajectories and compare
with what the store recorded and what the chain holds. Every difference is named."""

from __future__ import annotations

import json
import zlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clawbench.scenario import Scenario, instantiate
from clawbench.scoring import EpisodeScore, ScoringParams, aggregate, score_episode
from clawbench.trajectory import Trajectory
from trajectoryrl.elimination import Elimination, check
from trajectoryrl.store import Store
from trajectoryrl.validator._daemon import epoch_candidates
from trajectoryrl.winner import Candidate, WinnerParams, decide

SCORE_TOLERANCE = 1e-9
WEIGHT_TOLERANCE = 2e-4  # the chain stores u16-quantised weights


class Difference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    what: str  # episode_score | pack_score | elimination | trajectory_missing | scenario_changed | winner | weights | chain_weights
    subject: str
    recorded: Any = None
    recomputed: Any = None


class Reconciliation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    epoch: int
    packs: int = 0
    episodes: int = 0
    winner: str | None = None
    weights: dict[int, float] = Field(default_factory=dict)
    differences: list[Difference] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # what was not compared, and why

    @property
    def ok(self) -> bool:
        return not self.differences


def _weights_differ(a: dict[int, float], b: dict[int, float]) -> bool:
    keys = set(a) | set(b)
    return any(abs(a.get(k, 0.0) - b.get(k, 0.0)) > WEIGHT_TOLERANCE for k in keys)


def reconcile_epoch(
    store: Store,
    epoch: int,
    suite: list[Scenario],
    *,
    scoring: ScoringParams | None = None,
    winner_params: WinnerParams | None = None,
    owner_uid: int | None = None,
    chain_weights: dict[int, float] | None = None,
) -> Reconciliation:
    scoring = scoring or ScoringParams()
    by_name = {s.name: s for s in suite}
    diffs: list[Difference] = []
    candidates: list[Candidate] = []
    n_episodes = 0
    rows = store.pack_scores(epoch)
    recorded_candidates, claims = epoch_candidates(store, epoch)
    dated = {(c.hotkey, c.pack_hash): c for c in recorded_candidates}
    for row in rows:
        parts = json.loads(row["parts_json"])
        scores: list[EpisodeScore] = []
        for ep in parts.get("episodes", []):
            n_episodes += 1
            found = store.query(
                "SELECT trajectory, score_json FROM evaluations WHERE cache_key = ?",
                (ep["cache_key"],),
            )
            subject = f"{row['hotkey']}/{ep['scenario']}/seed {ep['seed']}"
            if not found:
                diffs.append(Difference(what="trajectory_missing", subject=subject))
                continue
            traj = Trajectory.model_validate_json(zlib.decompress(found[0]["trajectory"]))
            scenario = by_name.get(traj.spec.scenario)
            if scenario is None or scenario.content_hash != traj.spec.scenario_hash:
                diffs.append(
                    Difference(
                        what="scenario_changed",
                        subject=subject,
                        recorded=traj.spec.scenario_hash,
                        recomputed=None if scenario is None else scenario.content_hash,
                    )
                )
                continue
            fresh = score_episode(instantiate(scenario, traj.spec.seed), traj, scoring)
            stored = EpisodeScore.model_validate_json(found[0]["score_json"])
            if (fresh.scenario_score or 0.0) != (stored.scenario_score or 0.0):
                diffs.append(
                    Difference(
                        what="episode_score",
                        subject=subject,
                        recorded=stored.scenario_score,
                        recomputed=fresh.scenario_score,
                    )
                )
            scores.append(fresh)
        if not scores:
            continue
        pack = aggregate(scores, scoring)
        stopped = parts.get("eliminated")
        if stopped is not None:
            # The stop must follow from the re-scored episodes under the recorded bar, at the
            # same episode, exactly as the validator decided it.
            elim = Elimination.model_validate(stopped)
            bar = elim.exact_bar()
            again = check(scores, elim.of, scoring, bar)
            earlier = check(scores[:-1], elim.of, scoring, bar) if len(scores) > 1 else None
            if again is None or earlier is not None or again.reason != elim.reason:
                diffs.append(
                    Difference(
                        what="elimination",
                        subject=row["hotkey"],
                        recorded=elim.summary(),
                        recomputed=None if again is None else again.summary(),
                    )
                )
        if abs(pack.final - float(row["final"])) > SCORE_TOLERANCE or pack.qualified != bool(
            row["qualified"]
        ):
            diffs.append(
                Difference(
                    what="pack_score",
                    subject=row["hotkey"],
                    recorded={"final": row["final"], "qualified": bool(row["qualified"])},
                    recomputed={"final": pack.final, "qualified": pack.qualified},
                )
            )
        claim = dated.get((row["hotkey"], row["pack_hash"]))
        if claim is None:
            diffs.append(Difference(what="claim_missing", subject=row["hotkey"]))
            continue
        candidates.append(
            claim.model_copy(update={"score": pack.final, "qualified": pack.qualified})
        )
    recorded = store.decision(epoch)
    if owner_uid is None and recorded is not None and recorded["burned"]:
        # The burn went to the subnet owner's UID: a chain fact the record names.
        burned_to = list(json.loads(recorded["weights_json"]))
        owner_uid = int(burned_to[0]) if len(burned_to) == 1 else None
    decision = decide(candidates, winner_params, owner_uid=owner_uid, claims=claims)
    notes: list[str] = []
    status = store.epoch(epoch)
    if recorded is None:
        if status is not None and status["status"] == "no_weights":
            # Not a difference: the epoch set no weights, and says why.
            notes.append(f"epoch {epoch} set no weights: {status['detail'] or 'no decision'}")
        else:
            diffs.append(Difference(what="decision_missing", subject=f"epoch {epoch}"))
    else:
        if recorded["winner_hotkey"] != decision.winner_hotkey:
            diffs.append(
                Difference(
                    what="winner",
                    subject=f"epoch {epoch}",
                    recorded=recorded["winner_hotkey"],
                    recomputed=decision.winner_hotkey,
                )
            )
        rec_w = {int(k): float(v) for k, v in json.loads(recorded["weights_json"]).items()}
        if _weights_differ(rec_w, decision.weights):
            diffs.append(
                Difference(
                    what="weights",
                    subject=f"epoch {epoch}",
                    recorded=rec_w,
                    recomputed=decision.weights,
                )
            )
        for ws in store.query(
            "SELECT * FROM weight_sets WHERE epoch = ? AND success = 1 ORDER BY id", (epoch,)
        ):
            sent = {int(k): float(v) for k, v in json.loads(ws["weights_json"]).items()}
            if _weights_differ(sent, decision.weights):
                diffs.append(
                    Difference(
                        what="weights_set",
                        subject=f"epoch {epoch} block {ws['block']}",
                        recorded=sent,
                        recomputed=decision.weights,
                    )
                )
    if chain_weights is not None:
        latest = store.query(
            "SELECT epoch FROM weight_sets WHERE success = 1 ORDER BY id DESC LIMIT 1"
        )
        if latest and int(latest[0][0]) != epoch:
            # The chain holds what was set last; compare with it only for that epoch.
            notes.append(
                f"the chain now holds epoch {int(latest[0][0])}'s weights; epoch {epoch} was "
                "compared with what the store recorded as set"
            )
        elif _weights_differ(chain_weights, decision.weights):
            diffs.append(
                Difference(
                    what="chain_weights",
                    subject=f"epoch {epoch}",
                    recorded=chain_weights,
                    recomputed=decision.weights,
                )
            )
    return Reconciliation(
        epoch=epoch,
        packs=len(rows),
        episodes=n_episodes,
        winner=decision.winner_hotkey,
        weights=decision.weights,
        differences=diffs,
        notes=notes,
    )
