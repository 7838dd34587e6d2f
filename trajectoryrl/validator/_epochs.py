"""The validator's epochs at a glance, read back from its store (never from logs): per epoch
its status, the claims it worked on, what became of each claimed pack (evaluated in full,
eliminated early, carried over or left out after a failure on our side, rejected at
verification), the winner, the block at which the weights were set, and the LLM spend.

One record per epoch, shared by ``trajectoryrl epochs`` (table and ``--json``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from trajectoryrl.ledger import Ledger
from trajectoryrl.store import Store


class EpochSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    epoch: int
    status: str  # collecting | collected | evaluated | decided | weights_set | no_weights
    detail: str  # why an epoch ended without weights (the store's note), else ""
    start_block: int
    claims: int  # the standing claims the epoch worked on
    rejected: int  # claims that failed verification (the miner's fault)
    evaluated: int  # packs evaluated on every episode this epoch (cached episodes included)
    eliminated: int  # packs stopped early: they could no longer beat the bar
    carried_over: int  # our failure; the pack kept its last score
    left_out: int  # our failure, never scored before: no verdict this epoch
    winner_hotkey: str | None
    winner_uid: int | None
    burned: bool | None  # None: no decision yet
    weights_set: bool  # a weight set succeeded (a commit, on a commit-reveal subnet)
    weights_block: int | None  # the block read after that set (None: unknown)
    weight_attempts: int  # weight-set attempts (failed ones included)
    spend_usd: float
    saved_usd: float  # an estimate of what elimination saved (see the ledger)
    calls: int  # model calls priced in the ledger

    @property
    def weights(self) -> str:
        """Where the weights stand, in words a table can show."""
        if self.weights_set:
            return "set" if self.weights_block is None else f"block {self.weights_block}"
        if self.weight_attempts:
            return f"failed x{self.weight_attempts}"
        return "–"

    @property
    def winner(self) -> str:
        if self.burned is None:
            return "–"
        if self.burned or self.winner_hotkey is None:
            return "burn" if self.winner_uid is None else f"burn (uid {self.winner_uid})"
        return self.winner_hotkey


def _classify(parts_json: str, evaluator_failed: bool) -> str:
    if evaluator_failed:
        return "left_out"
    parts: dict[str, Any] = json.loads(parts_json)
    if parts.get("carried_over"):
        return "carried_over"
    if parts.get("eliminated"):
        return "eliminated"
    return "evaluated"


def epoch_summaries(
    store: Store, *, epochs: list[int] | None = None, last: int | None = None
) -> list[EpochSummary]:
    """The epochs the store knows (or just ``epochs``, or the ``last`` n), oldest first."""
    rows = store.query("SELECT * FROM epochs ORDER BY epoch")
    if epochs is not None:
        wanted = set(epochs)
        rows = [r for r in rows if r["epoch"] in wanted]
    if last is not None:
        rows = rows[-last:] if last > 0 else []
    ledger = Ledger(store)
    out = []
    for row in rows:
        epoch = int(row["epoch"])
        kinds = [
            _classify(r["parts_json"], bool(r["evaluator_failed"]))
            for r in store.pack_scores(epoch, include_left_out=True)
        ]
        decision = store.decision(epoch)
        sets = store.query(
            "SELECT block, success FROM weight_sets WHERE epoch = ? ORDER BY id", (epoch,)
        )
        done = [s for s in sets if s["success"]]
        spend = ledger.epoch_spend(epoch)
        calls = sum(p.calls for p in spend.packs)
        detail = str(row["detail"] or "")
        out.append(
            EpochSummary(
                epoch=epoch,
                status=str(row["status"]),
                detail=detail,
                start_block=int(row["start_block"]),
                claims=len(store.submissions(epoch)),
                rejected=sum(1 for v in store.verifications(epoch) if not v["ok"]),
                evaluated=kinds.count("evaluated"),
                eliminated=kinds.count("eliminated"),
                carried_over=kinds.count("carried_over"),
                left_out=kinds.count("left_out"),
                winner_hotkey=decision["winner_hotkey"] if decision is not None else None,
                winner_uid=decision["winner_uid"] if decision is not None else None,
                burned=bool(decision["burned"]) if decision is not None else None,
                weights_set=bool(done),
                weights_block=(
                    int(done[-1]["block"]) if done and done[-1]["block"] is not None else None
                ),
                weight_attempts=len(sets),
                spend_usd=spend.cost_usd,
                saved_usd=spend.saved_usd,
                calls=calls,
            )
        )
    return out
