"""The validator's epoch loop.

One epoch, in resumable steps, each committed atomically with its status:

    collecting  -> submissions being asked for and verified
    collected   -> every answer received and verified
    evaluated   -> every verified pack scored (cache first), or the epoch could not evaluate
    decided     -> first-mover winner and weights chosen (or no_weights, with the reason)
    weights_set -> the chain accepted the weights

A restart (even after kill -9) looks at the latest epoch's status and continues from there;
cached episodes are reused, audit entries are appended once. A step's audit entry is built
from what the store committed, after the commit, and a restart first writes any entry a kill
kept from being written, so no committed step is ever missing from the audit log. Between epochs the current
winner's weights are re-set whenever the chain's rate limit allows.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from fractions import Fraction
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field

from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import Chain, ChainError, Metagraph
from trajectoryrl.elimination import Elimination, anchor_set, exceed_bar
from trajectoryrl.store import Store
from trajectoryrl.validator._metrics import Metrics
from trajectoryrl.validator._types import (
    EvaluationPlan,
    Evaluator,
    PackEvaluation,
    Received,
    SubmissionSource,
    Verified,
    Verifier,
)
from trajectoryrl.verify import VerifyError, check_repo_url
from trajectoryrl.winner import Candidate, Claim, Decision, WinnerParams, decide

log = structlog.get_logger("trajectoryrl.validator")


class EpochParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    epoch_blocks: int = Field(default=60, gt=0)  # 720 s at 12 s blocks (003's epoch interval)
    seeds_per_scenario: int = Field(default=1, ge=1)
    weight_retries: int = Field(default=3, ge=1)
    retry_backoff_s: float = Field(default=2.0, ge=0)
    poll_s: float = Field(default=12.0, gt=0)
    block_time_s: float = Field(default=12.0, gt=0)  # maps a commitment's block to a time
    # Verifications in flight at once, and the most one may take (a miner's slow repository or
    # a stalled forge then costs one verification, on our side, never the whole stage).
    verify_concurrency: int = Field(default=8, ge=1)
    verify_deadline_s: float = Field(default=300.0, gt=0)
    winner: WinnerParams = Field(default_factory=WinnerParams)
    # stop a pack once it can neither qualify nor exceed the fixed bar (same winner, less spend)
    eliminate: bool = True


def epoch_of(block: int, epoch_blocks: int) -> int:
    return block // epoch_blocks


def epoch_start_block(epoch: int, epoch_blocks: int) -> int:
    return epoch * epoch_blocks


def epoch_seed(netuid: int, epoch: int, start_block_hash: str) -> int:
    """The epoch's seed, from the hash of the epoch's first block: every validator derives the
    same one, and nobody can compute it before that block exists."""
    material = f"trajectoryrl|{netuid}|{epoch}|{start_block_hash.lower()}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big")


def episode_seeds(seed: int, count: int) -> list[int]:
    return [(seed + i) % 2**32 for i in range(count)]


def claim_key(row: Any) -> str:
    """How a claim is named in the audit log: a hotkey may hold several claims."""
    return f"{row['hotkey']}/{str(row['pack_hash'])[:16]}"


def epoch_candidates(
    store: Store, epoch: int, metagraph: Metagraph | None = None
) -> tuple[list[Candidate], list[Claim]]:
    """The epoch's scored claims as first-mover candidates, and every claim ever verified (the
    ownership history). With a metagraph, claims of hotkeys gone since are left out and UIDs
    are the current ones; without, the UIDs recorded with the epoch's submissions (reconcile)."""
    blocks = {(r["hotkey"], r["pack_hash"]): r for r in store.submissions(epoch)}
    pushed = {
        (r["hotkey"], r["pack_hash"])
        for r in store.verifications(epoch)
        if r["ok"] and r["push_time"] is not None
    }
    neurons = metagraph.by_hotkey() if metagraph is not None else None
    candidates = []
    for row in store.pack_scores(epoch):
        key = (row["hotkey"], row["pack_hash"])
        sub = blocks.get(key)
        if sub is None or key not in pushed:
            continue  # accepted without a known push time: no precedence until it is known
        uid = int(sub["uid"])
        if neurons is not None:
            n = neurons.get(row["hotkey"])
            if n is None:
                continue  # deregistered since: nobody to pay
            uid = n.uid
        candidates.append(
            Candidate(
                hotkey=row["hotkey"],
                uid=uid,
                pack_hash=row["pack_hash"],
                score=float(row["final"]),
                qualified=bool(row["qualified"]),
                block=int(sub["received_block"]),
                repo_commit=repo_commit_key(sub["repo_url"], sub["commit_hash"]),
            )
        )
    claims = [
        Claim(
            hotkey=c["hotkey"],
            pack_hash=c["pack_hash"],
            block=int(c["block"]),
            repo_commit=repo_commit_key(c["repo_url"], c["commit_hash"]),
        )
        for c in store.verified_claims(epoch)
    ]
    return candidates, claims


def repo_commit_key(repo_url: str, commit: str) -> str:
    """The published commit as an ownership key: the repository's canonical key (GitHub owner
    and name case-folded, ``.git`` dropped) and the commit."""
    try:
        key = check_repo_url(repo_url, local_network=True).key
    except VerifyError:
        key = repo_url
    return f"{key}@{commit}"


class Validator:
    """Collaborators come from ``neurons/validator.py``; tests pass local stand-ins."""

    def __init__(
        self,
        *,
        chain: Chain,
        wallet: Any,
        hotkey: str,
        store: Store,
        audit: AuditLog,
        source: SubmissionSource,
        verifier: Verifier,
        evaluator: Evaluator,
        params: EpochParams | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.chain = chain
        self.wallet = wallet
        self.hotkey = hotkey
        self.store = store
        self.audit = audit
        self.source = source
        self.verifier = verifier
        self.evaluator = evaluator
        self.params = params or EpochParams()
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.sleep = sleep
        self._stop = asyncio.Event()
        self._verify_slots = asyncio.Semaphore(self.params.verify_concurrency)

    def stop(self) -> None:
        """Ask the loop to stop after the current step (SIGTERM)."""
        self._stop.set()

    # -- the loop -------------------------------------------------------------------------
    async def run(self, *, max_epochs: int | None = None) -> None:
        done = 0
        while not self._stop.is_set():
            try:
                block = await self.chain.block()
                epoch = epoch_of(block, self.params.epoch_blocks)
                row = self.store.epoch(epoch)
                if row is None or row["status"] not in ("weights_set", "no_weights"):
                    await self.run_epoch(epoch, block)
                    done += 1
                    if max_epochs is not None and done >= max_epochs:
                        return
                else:
                    await self.maybe_reset_weights(epoch)
            except ChainError as err:
                # The chain is a validator-side dependency: wait and retry, nobody is penalised.
                log.warning("chain_unavailable", error=str(err))
                self.metrics.chain_errors.inc()
            if not self._stop.is_set():
                await self.sleep(self.params.poll_s)

    async def run_epoch(self, epoch: int, block: int) -> str:
        """Run (or resume) one epoch; returns its final status."""
        if self.store.epoch(epoch) is None:
            start = epoch_start_block(epoch, self.params.epoch_blocks)
            seed = epoch_seed(self.chain.netuid, epoch, await self.chain.block_hash(start))
            self.store.begin_epoch(epoch, seed, block)
        started = self.clock()
        status = self.store.epoch(epoch)["status"]  # type: ignore[index]
        self._audit_committed(epoch)
        # Each step commits before the next starts; a stop request (SIGTERM) is honoured
        # between steps, and a restart resumes at the recorded status.
        if status == "collecting":
            await self._collect(epoch)
            status = "collected"
        if status == "collected" and not self._stop.is_set():
            status = await self._evaluate(epoch)
        if status == "evaluated" and not self._stop.is_set():
            status = await self._decide(epoch)
        if status == "decided" and not self._stop.is_set():
            status = await self._set_weights(epoch)
        self.metrics.epoch_seconds.observe(self.clock() - started)
        log.info("epoch_done", epoch=epoch, status=status)
        return status

    # -- step 1: submissions --------------------------------------------------------------
    async def _collect(self, epoch: int) -> None:
        metagraph = await self.chain.metagraph()
        block = metagraph.block
        neurons = metagraph.by_hotkey()
        # The claims on chain now join the claims already known: a hotkey's older claim keeps
        # its standing (and its block) when the hotkey commits a newer pack.
        for sub in await self.source.collect(metagraph, epoch):
            n = neurons.get(sub.hotkey)
            if n is None:
                continue
            self.store.record_claim(
                sub.hotkey,
                n.registered_block,
                sub.pack_hash,
                sub.repo_url,
                sub.git_commit_hash,
                sub.commit_block,
                sub.committed_at,
            )
        standing = self._standing_claims(
            metagraph, epoch_start_block(epoch, self.params.epoch_blocks)
        )
        with self.store.transaction():
            for sub in standing:
                self.store.record_submission(
                    epoch,
                    sub.hotkey,
                    sub.uid,
                    sub.repo_url,
                    sub.git_commit_hash,
                    sub.pack_hash,
                    sub.commit_block,
                    sub.committed_at,
                )
        self.audit.append_once(
            epoch,
            "submissions",
            {"block": block, "submissions": [s.model_dump() for s in standing]},
        )
        verified = await asyncio.gather(*(self._verify_one(epoch, sub) for sub in standing))
        log.debug("verification_done", epoch=epoch, results=verified)
        self.store.set_epoch_status(epoch, "collected")
        self._audit_committed(epoch)

    def _standing_claims(self, metagraph: Metagraph, start_block: int) -> list[Received]:
        """The epoch's claims: every claim known, committed before the epoch's first block (a
        claim committed during the epoch counts from the next one, so validators collecting at
        different moments work on the same set), whose hotkey is still registered under the
        registration that made it. Deregistering (or re-registering) ends a hotkey's standing;
        being offline, or committing a newer pack, does not."""
        neurons = metagraph.by_hotkey()
        out = []
        for c in self.store.claims():
            n = neurons.get(c["hotkey"])
            if n is None or n.registered_block != c["registered_block"]:
                continue
            if c["block"] >= start_block:
                continue
            out.append(
                Received(
                    hotkey=c["hotkey"],
                    uid=n.uid,
                    repo_url=c["repo_url"],
                    git_commit_hash=c["commit_hash"],
                    pack_hash=c["pack_hash"],
                    commit_block=c["block"],
                    committed_at=c["committed_at"],
                )
            )
        return out

    async def _verify_one(self, epoch: int, sub: Received) -> tuple[str, str, str]:
        # The commitment's block time is the submission time: the commit must have been public
        # (pushed) before it, the same test on every validator.
        async with self._verify_slots:
            try:
                result = await asyncio.wait_for(
                    self.verifier.verify(sub, sub.committed_at), self.params.verify_deadline_s
                )
            except TimeoutError:
                result = Verified(
                    ok=False,
                    reason="verify_timeout",
                    detail=f"not verified within {self.params.verify_deadline_s:g} s",
                    validator_side=True,
                )
        if not result.ok and result.validator_side:
            # Our failure (forge down, rate limit): a pack already verified for this hotkey
            # keeps its standing; a new one waits for a later epoch. Never a miner's zero.
            earlier = self.store.last_ok_verification(sub.hotkey, sub.pack_hash)
            if earlier is not None:
                result = Verified(
                    ok=True,
                    reason="ok_carried_over",
                    detail=f"verification failed on our side ({result.reason}); earlier result kept",
                    pack_json=self.store.pack_json(sub.pack_hash),
                    push_time=earlier["push_time"],
                    warnings=[*result.warnings, f"validator_side:{result.reason}"],
                )
        self.store.record_verification(
            epoch,
            sub.hotkey,
            ok=result.ok,
            reason=result.reason,
            detail=result.detail,
            pack_hash=sub.pack_hash,
            push_time=result.push_time,
            warnings=result.warnings,
            pack_json=result.pack_json,
        )
        if not result.ok:
            self.metrics.rejections.labels(reason=result.reason).inc()
        log.info("verified", epoch=epoch, hotkey=sub.hotkey, ok=result.ok, reason=result.reason)
        return sub.hotkey, sub.pack_hash, result.reason

    # -- step 2: evaluation ---------------------------------------------------------------
    def _evaluation_order(self, rows: list[Any]) -> list[Any]:
        """When the budget is short, spend it on what can change the outcome: new packs
        first, then the incumbent winner, then the rest by their last score."""
        incumbent = self.store.latest_decision()
        winner = incumbent["winner_hotkey"] if incumbent else None

        def key(row: Any) -> tuple[int, float]:
            last = self.store.last_pack_score(row["pack_hash"])
            if last is None:
                return (0, 0.0)
            if row["hotkey"] == winner:
                return (1, 0.0)
            return (2, -last)

        return sorted(rows, key=key)

    async def _evaluate(self, epoch: int) -> str:
        """Anchors first, in full: the incumbent and every pack the first-mover walk reaches
        before it. Their walk fixes the score every later pack must exceed (the bar) before
        any later pack is judged, so where a pack is stopped never depends on which episodes
        finished first. Later packs are stopped as soon as they can neither qualify nor
        exceed the bar (trajectoryrl.elimination); the decision is that of a full run."""
        ok_rows = [r for r in self.store.verifications(epoch) if r["ok"]]
        already = {
            (r["hotkey"], r["pack_hash"])
            for r in self.store.pack_scores(epoch, include_left_out=True)
        }
        todo = [
            r
            for r in self._evaluation_order(ok_rows)
            if (r["hotkey"], r["pack_hash"]) not in already
        ]
        epoch_row = self.store.epoch(epoch)
        assert epoch_row is not None
        seed = int(epoch_row["seed"])
        seeds = episode_seeds(seed, self.params.seeds_per_scenario)
        eliminate = self.params.eliminate
        anchors = self._anchors(epoch, ok_rows) if eliminate else set()

        async def one(row: Any, plan: EvaluationPlan) -> PackEvaluation:
            pack_json = self.store.pack_json(row["pack_hash"])
            assert pack_json is not None, "a verified pack is always stored"
            return await self.evaluator.evaluate(
                pack_json=pack_json,
                pack_hash=row["pack_hash"],
                hotkey=row["hotkey"],
                epoch=epoch,
                seeds=seeds,
                plan=plan,
            )

        first = [r for r in todo if (r["hotkey"], r["pack_hash"]) in anchors]
        rest = [r for r in todo if (r["hotkey"], r["pack_hash"]) not in anchors]
        full = EvaluationPlan(epoch_seed=seed, eliminate=False)
        results = await asyncio.gather(*(one(r, full) for r in first))
        failed = self._record_scores(epoch, first, results)
        # An anchor we could not judge leaves no bar: every later pack is evaluated in full.
        bar = await self._bar(epoch, anchors) if eliminate and not failed else None
        if bar is not None:
            log.info("elimination_bar", epoch=epoch, bar=float(bar), anchors=sorted(anchors))
        plans = [
            EvaluationPlan(epoch_seed=seed, eliminate=eliminate, bar=bar, priority=i + 1)
            for i in range(len(rest))
        ]
        results = await asyncio.gather(*(one(r, p) for r, p in zip(rest, plans, strict=True)))
        failed += self._record_scores(epoch, rest, results)
        exhausted = {r["hotkey"]: "budget_exhausted" for r, ev in failed if ev.budget_exhausted}
        failed = [(r, ev) for r, ev in failed if not ev.budget_exhausted]
        if failed:
            self.metrics.evaluator_failures.inc(len(failed))
        scored = self.store.pack_scores(epoch)
        if exhausted or (failed and not scored):
            # The validator itself cannot evaluate: the budget is spent, or nothing at all
            # could be evaluated (the model or the sandbox is down for everyone). No verdict
            # and no weights from this epoch; the packs carry over and nobody is zeroed.
            unevaluated = {**{r["hotkey"]: "evaluator_failed" for r, _ in failed}, **exhausted}
            self.store.set_epoch_status(
                epoch, "no_weights", json.dumps(unevaluated, sort_keys=True)
            )
            self._audit_committed(epoch)
            log.warning("epoch_not_evaluated", epoch=epoch, unevaluated=unevaluated)
            return "no_weights"
        for row, ev in failed:
            self._carry_over_or_leave_out(epoch, row, ev)
        scores = {claim_key(r): r["final"] for r in self.store.pack_scores(epoch)}
        log.debug("scores", epoch=epoch, scores=scores)
        self.store.set_epoch_status(epoch, "evaluated")
        self._audit_committed(epoch)
        return "evaluated"

    def _record_scores(
        self, epoch: int, rows: list[Any], results: list[PackEvaluation]
    ) -> list[tuple[Any, PackEvaluation]]:
        """Store each verdict; return the packs the evaluator could not judge (our side)."""
        failed: list[tuple[Any, PackEvaluation]] = []
        for row, ev in zip(rows, results, strict=True):
            if ev.evaluator_failed or ev.budget_exhausted:
                failed.append((row, ev))
                continue
            parts: dict[str, Any] = {
                "score": ev.parts,
                "episodes": [
                    {"scenario": e.scenario, "seed": e.seed, "cache_key": e.cache_key}
                    for e in ev.episodes
                ],
            }
            if ev.elimination is not None:
                parts["eliminated"] = ev.elimination
            self.store.record_pack_score(
                epoch,
                row["hotkey"],
                row["pack_hash"],
                final=ev.final,
                qualified=ev.qualified,
                evaluator_failed=False,
                parts_json=json.dumps(parts, sort_keys=True),
            )
        return failed

    def _carry_over_or_leave_out(self, epoch: int, row: Any, ev: PackEvaluation) -> None:
        """One pack's evaluation failed on our side (after the evaluator's retries) while
        others were evaluated: the epoch goes on without a verdict on this pack. It keeps the
        last score its exact pack earned (carried over, so an incumbent is not unseated by our
        outage), or, never scored before, it is left out of this epoch. Never a zero."""
        earlier = self.store.last_scored(row["pack_hash"])
        if earlier is not None:
            parts = json.loads(earlier["parts_json"])
            # An earlier early stop was against that epoch's bar, not this one's.
            parts.pop("eliminated", None)
            parts["carried_over"] = {"from_epoch": int(earlier["epoch"]), "cause": ev.failure}
            self.store.record_pack_score(
                epoch,
                row["hotkey"],
                row["pack_hash"],
                final=float(earlier["final"]),
                qualified=bool(earlier["qualified"]),
                evaluator_failed=False,
                parts_json=json.dumps(parts, sort_keys=True),
            )
            log.warning("pack_carried_over", epoch=epoch, hotkey=row["hotkey"], cause=ev.failure)
            return
        self.store.record_pack_score(
            epoch,
            row["hotkey"],
            row["pack_hash"],
            final=0.0,
            qualified=False,
            evaluator_failed=True,
            parts_json=json.dumps({"left_out": ev.failure}, sort_keys=True),
        )
        log.warning("pack_left_out", epoch=epoch, hotkey=row["hotkey"], cause=ev.failure)

    def _anchors(self, epoch: int, rows: list[Any]) -> set[tuple[str, str]]:
        """The incumbent's claims (the last decision's winner) and every claim the walk may
        reach at or before them (commitment block <= theirs): evaluated in full. Every
        other claim is walked after all of them."""
        last = self.store.latest_decision()
        winner = last["winner_hotkey"] if last else None
        blocks = {
            (r["hotkey"], r["pack_hash"]): int(r["received_block"])
            for r in self.store.submissions(epoch)
        }
        chronology = {
            (r["hotkey"], r["pack_hash"]): blocks.get((r["hotkey"], r["pack_hash"])) for r in rows
        }
        return anchor_set([k for k in chronology if k[0] == winner], chronology)

    def _anchor_bar(
        self, anchors: set[tuple[str, str]], candidates: list[Candidate], claims: list[Claim]
    ) -> Fraction | None:
        """The score a later claim must exceed to take over: the champion of the anchors'
        walk plus delta, exactly as ``decide`` compares (a claim scoring <= bar never
        becomes champion, since the champion's score only grows along the walk)."""
        mine = [c for c in candidates if (c.hotkey, c.pack_hash) in anchors]
        champion = decide(mine, self.params.winner, claims=claims)
        if champion.winner_hotkey is None:
            return None
        score = next(
            c.score
            for c in mine
            if (c.hotkey, c.pack_hash) == (champion.winner_hotkey, champion.winner_pack_hash)
        )
        return exceed_bar(score, self.params.winner.delta)

    async def _bar(self, epoch: int, anchors: set[tuple[str, str]]) -> Fraction | None:
        if not anchors:
            return None
        candidates, claims = epoch_candidates(self.store, epoch, await self.chain.metagraph())
        return self._anchor_bar(anchors, candidates, claims)

    def _eliminations_unsafe(
        self, epoch: int, candidates: list[Candidate], claims: list[Claim]
    ) -> list[str]:
        """Claims stopped against a bar the decision-time candidates no longer support (an
        anchor deregistered in between): their verdict cannot be trusted for this epoch."""
        stopped = {}
        for row in self.store.pack_scores(epoch):
            elim = json.loads(row["parts_json"]).get("eliminated")
            if elim and elim.get("reason") == "cannot_exceed":
                bar = Elimination.model_validate(elim).exact_bar()
                assert bar is not None
                stopped[claim_key(row)] = bar
        if not stopped:
            return []
        ok_rows = [r for r in self.store.verifications(epoch) if r["ok"]]
        now = self._anchor_bar(self._anchors(epoch, ok_rows), candidates, claims)
        return sorted(k for k, bar in stopped.items() if now is None or now < bar)

    # -- step 3: the decision -------------------------------------------------------------
    async def _decide(self, epoch: int) -> str:
        metagraph = await self.chain.metagraph()
        neurons = metagraph.by_hotkey()
        candidates, claims = epoch_candidates(self.store, epoch, metagraph)
        unsafe = self._eliminations_unsafe(epoch, candidates, claims)
        if unsafe:
            # validator-side: no verdict from this epoch; the claims are judged again next epoch
            self.store.set_epoch_status(
                epoch, "no_weights", json.dumps({k: "elimination_unsafe" for k in unsafe})
            )
            self._audit_committed(epoch)
            log.error("elimination_unsafe", epoch=epoch, claims=unsafe)
            return "no_weights"
        owner_uid = None
        if metagraph.owner_hotkey and metagraph.owner_hotkey in neurons:
            owner_uid = neurons[metagraph.owner_hotkey].uid
        decision = decide(candidates, self.params.winner, owner_uid=owner_uid, claims=claims)
        steps = json.dumps([s.model_dump() for s in decision.steps], sort_keys=True)
        with self.store.transaction():
            self.store.record_decision(
                epoch,
                winner_hotkey=decision.winner_hotkey,
                winner_uid=decision.winner_uid,
                burned=decision.burned,
                weights=decision.weights,
                steps_json=steps,
            )
            self.store.set_epoch_status(
                epoch,
                "decided" if decision.weights else "no_weights",
                "" if decision.weights else "nobody to pay",
            )
        self._audit_committed(epoch)
        log.info("decided", epoch=epoch, winner=decision.winner_hotkey, burned=decision.burned)
        return "decided" if decision.weights else "no_weights"

    # -- the audit trail of committed steps ------------------------------------------------
    def _anchor(self) -> None:
        """Anchor the audit log's last entry in the store: `audit verify` then catches a cut
        tail or a rewrite with recomputed hashes, which the hash chain alone cannot show."""
        if self.audit.last_seq >= 0:
            self.store.anchor_audit(self.audit.last_seq, self.audit.head)

    def _audit_committed(self, epoch: int) -> None:
        """Append (once each, in step order) the entries of every step the store has committed,
        built from the store, so an entry lost to a kill after its step's commit is written on
        restart with the content an uninterrupted run would have written; then anchor them."""
        try:
            self._audit_steps(epoch)
        finally:
            self._anchor()

    def _audit_steps(self, epoch: int) -> None:
        row = self.store.epoch(epoch)
        if row is None or row["status"] == "collecting":
            return
        status = row["status"]
        self.audit.append_once(
            epoch,
            "verification",
            {"results": {claim_key(r): r["reason"] for r in self.store.verifications(epoch)}},
        )
        if status == "collected":
            return
        decision = self.store.decision(epoch)
        scores: dict[str, Any] = {"scores": {}}
        for r in self.store.pack_scores(epoch):
            entry = {"final": r["final"], "qualified": bool(r["qualified"])}
            elim = json.loads(r["parts_json"]).get("eliminated")
            if elim:
                entry["eliminated"] = Elimination.model_validate(elim).summary()
            scores["scores"][claim_key(r)] = entry
        left_out = {
            claim_key(r): json.loads(r["parts_json"]).get("left_out", "")
            for r in self.store.pack_scores(epoch, include_left_out=True)
            if r["evaluator_failed"]
        }
        if left_out:
            scores["left_out"] = left_out  # failed on our side, never scored: no verdict
        if status == "no_weights" and decision is None:
            scores["unevaluated"] = json.loads(row["detail"])  # the evaluator failed
        self.audit.append_once(epoch, "scores", scores)
        if decision is not None:
            made = Decision(
                winner_hotkey=decision["winner_hotkey"],
                winner_uid=decision["winner_uid"],
                weights={int(k): v for k, v in json.loads(decision["weights_json"]).items()},
                burned=bool(decision["burned"]),
                steps=json.loads(decision["steps_json"]),
            )
            self.audit.append_once(epoch, "decision", json.loads(made.model_dump_json()))

    # -- step 4: weights ------------------------------------------------------------------
    async def _set_weights(self, epoch: int) -> str:
        row = self.store.decision(epoch)
        assert row is not None
        weights = {int(k): float(v) for k, v in json.loads(row["weights_json"]).items()}
        ok = await self._push_weights(epoch, weights)
        status = "weights_set" if ok else "decided"
        if ok:
            self.store.set_epoch_status(epoch, "weights_set")
        return status

    async def _push_weights(self, epoch: int, weights: dict[int, float]) -> bool:
        """Set the weights, retrying a failure with backoff; a rate-limited set waits the blocks
        left (read from the chain) instead. On a commit-reveal subnet a success is a commit,
        reported with its reveal round (``weights_committed``), never read back as set."""
        delay = self.params.retry_backoff_s
        for attempt in range(1, self.params.weight_retries + 1):
            code, reveal = "", None
            try:
                result = await self.chain.set_weights(self.wallet, weights)
                block = await self.chain.block()
                success, message, code = result.success, result.message, result.code
                reveal = result.reveal_round
            except ChainError as err:
                success, message, block = False, f"chain error: {err}", None
            self.store.record_weight_set(
                epoch, block=block, weights=weights, success=success, message=message
            )
            entry: dict[str, Any] = {
                "weights": {str(k): v for k, v in weights.items()},
                "success": success,
                "message": message,
                "attempt": attempt,
            }
            if reveal is not None:
                entry["reveal_round"] = reveal
            self.audit.append(epoch, "weights", entry)
            self._anchor()
            outcome = "failed" if not success else ("committed" if reveal is not None else "ok")
            self.metrics.weights_set.labels(result=outcome).inc()
            if success:
                if reveal is not None:
                    log.info("weights_committed", epoch=epoch, weights=weights, reveal_round=reveal)
                else:
                    log.info("weights_set", epoch=epoch, weights=weights)
                return True
            log.warning("set_weights_failed", epoch=epoch, attempt=attempt, message=message)
            if attempt < self.params.weight_retries:
                left = await self._blocks_left() if code == "rate_limited" else 0
                if left > 0:
                    await self.sleep(left * self.params.block_time_s)
                else:
                    await self.sleep(delay)
                    delay *= 2
        return False

    async def _blocks_left(self) -> int:
        """Blocks until this validator may set weights again (0 when unknown)."""
        try:
            me = (await self.chain.metagraph()).by_hotkey().get(self.hotkey)
            if me is None:
                return 0
            since = await self.chain.blocks_since_last_update(me.uid)
            return max(0, await self.chain.weights_rate_limit() - since)
        except ChainError:
            return 0

    def resend_weights(self, row: Any, metagraph: Metagraph) -> dict[int, float]:
        """The weights of a past decision for the metagraph now: the winner's hotkey at its
        current UID (a recycled UID is never paid), the owner when the winner is gone (burn),
        nothing under the skip policy."""
        neurons = metagraph.by_hotkey()
        winner = row["winner_hotkey"]
        if winner is not None and winner in neurons:
            return {neurons[winner].uid: 1.0}
        if winner is None and not row["burned"]:
            return {}
        owner = metagraph.owner_hotkey
        if self.params.winner.no_winner_policy == "burn" and owner and owner in neurons:
            return {neurons[owner].uid: 1.0}
        return {}

    async def maybe_reset_weights(self, epoch: int) -> None:
        """Between epochs, keep the current winner's weights fresh within the rate limit."""
        row = self.store.latest_decision()
        if row is None:
            return
        metagraph = await self.chain.metagraph()
        weights = self.resend_weights(row, metagraph)
        me = metagraph.by_hotkey().get(self.hotkey)
        if not weights or me is None:
            return
        since = await self.chain.blocks_since_last_update(me.uid)
        if since >= await self.chain.weights_rate_limit():
            await self._push_weights(int(row["epoch"]), weights)
