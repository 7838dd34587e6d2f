"""Evaluates packs through the ClawBench harness with a persistent cache.

The cache key covers everything that changes a result: pack hash, scenario content hash,
seed, model identity, harness version and sandbox. An unchanged pack in an epoch with the same
seeds costs no model call; a new epoch seed re-evaluates.

Failures are attributed. What the pack's agent did (bad arguments, output it asked for that
overflowed the context, a command that stalled a check, a containment limit) ends its episode
with a termination reason and is scored and cached like any result. What broke on our side
(model outage, sandbox down) is retried ``episode_retries`` times; an episode still broken is
never cached and never scored as the pack's zero: the pack's evaluation says
``evaluator_failed`` with the cause, and the daemon carries the pack over or leaves it out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable

import structlog

from clawbench import HARNESS_VERSION
from clawbench.agent import ModelClient, run_episode
from clawbench.pack import PolicyBundle, pack_from_json_bytes
from clawbench.sandbox import Sandbox
from clawbench.scenario import Scenario, ScenarioInstance, instantiate
from clawbench.scoring import EpisodeScore, ScoringParams, aggregate, score_episode
from clawbench.trajectory import Trajectory
from trajectoryrl.elimination import Elimination, PrioritySlots, check, episode_order
from trajectoryrl.ledger import BudgetExceeded, BudgetGuard, Ledger, Provider
from trajectoryrl.store import Store
from trajectoryrl.validator._metrics import Metrics
from trajectoryrl.validator._types import EpisodeOutcome, EvaluationPlan, PackEvaluation

log = structlog.get_logger("trajectoryrl.evaluator")

ModelFactory = Callable[[ScenarioInstance, PolicyBundle], ModelClient]
Done = tuple[EpisodeScore, bool, str]  # score, from the cache, cache key


def cache_key(*, pack_hash: str, scenario_hash: str, seed: int, model_id: str, sandbox: str) -> str:
    parts = [pack_hash, scenario_hash, str(seed), model_id, HARNESS_VERSION, sandbox]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


class HarnessEvaluator:
    def __init__(
        self,
        *,
        suite: list[Scenario],
        model_factory: ModelFactory,
        model_id: str,
        sandbox: Sandbox,
        store: Store,
        scoring: ScoringParams | None = None,
        concurrency: int = 8,
        budget: BudgetGuard | None = None,
        ledger: Ledger | None = None,
        provider: Provider | None = None,
        metrics: Metrics | None = None,
        episode_retries: int = 1,
        retry_backoff_s: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not suite:
            raise ValueError("the evaluator needs at least one scenario")
        self.suite = suite
        self.model_factory = model_factory
        self.model_id = model_id
        self.sandbox = sandbox
        self.store = store
        self.scoring = scoring or ScoringParams()
        self.concurrency = concurrency
        self._slots = PrioritySlots(concurrency)
        self.budget = budget
        self.ledger = ledger
        self.provider = provider
        self.metrics = metrics or Metrics()
        if episode_retries < 0 or retry_backoff_s < 0:
            raise ValueError("episode_retries and retry_backoff_s must be >= 0")
        self.episode_retries = episode_retries
        self.retry_backoff_s = retry_backoff_s
        self.sleep = sleep

    async def evaluate(
        self,
        *,
        pack_json: str,
        pack_hash: str,
        hotkey: str,
        epoch: int,
        seeds: list[int],
        plan: EvaluationPlan | None = None,
    ) -> PackEvaluation:
        pack = pack_from_json_bytes(pack_json.encode("utf-8"))
        elimination: Elimination | None = None
        if plan is None:
            jobs = [(sc, seed) for sc in self.suite for seed in seeds]
            results: list[Done | None] = list(
                await asyncio.gather(
                    *(self._episode(pack, pack_hash, sc, seed, hotkey, epoch) for sc, seed in jobs)
                )
            )
        else:
            results, elimination = await self._planned(pack, pack_hash, hotkey, epoch, seeds, plan)
        exhausted = any(r is None for r in results)
        done = [r for r in results if r is not None]
        scores = [s for s, _, _ in done]
        outcomes = [
            EpisodeOutcome(
                scenario=s.scenario,
                seed=s.seed,
                score=json.loads(s.model_dump_json()),
                cached=c,
                cache_key=k,
            )
            for s, c, k in done
        ]
        if exhausted or not scores:
            return PackEvaluation(
                pack_hash=pack_hash,
                final=0.0,
                qualified=False,
                evaluator_failed=False,
                budget_exhausted=True,
                episodes=outcomes,
            )
        pack_score = aggregate(scores, self.scoring)
        causes = [e for s in scores if s.evaluator_failed for e in s.errors]
        return PackEvaluation(
            pack_hash=pack_hash,
            final=pack_score.final,
            # A stopped pack keeps the score of the episodes it ran: that partial score is one of
            # the outcomes the bound covers, so it is <= the bar (it is walked, and passed over,
            # "below_threshold") or it cannot qualify.
            qualified=pack_score.qualified,
            evaluator_failed=pack_score.evaluator_failed,
            failure=(causes[0] if causes else "evaluator_failed")
            if pack_score.evaluator_failed
            else "",
            parts=json.loads(pack_score.model_dump_json()),
            episodes=outcomes,
            elimination=None if elimination is None else elimination.model_dump(),
        )

    async def _planned(
        self,
        pack: PolicyBundle,
        pack_hash: str,
        hotkey: str,
        epoch: int,
        seeds: list[int],
        plan: EvaluationPlan,
    ) -> tuple[list[Done | None], Elimination | None]:
        """Episodes in the plan's fixed order. With elimination they run one at a time and the
        rule is applied to each completed prefix, so where a pack stops never depends on
        timing and no episode is bought past the stop (the epoch's parallelism comes from the
        many packs sharing the slots). Without, they all run at once."""
        order = episode_order(self.suite, seeds, plan.epoch_seed)
        jobs = [(self.suite[i], seed) for i, seed in order]
        n = len(jobs)
        window = 1 if plan.eliminate else n
        tasks: list[asyncio.Task[Done | None]] = []
        done: list[Done | None] = []
        elimination: Elimination | None = None

        def launch() -> None:
            ahead = len(tasks) - len(done)
            while len(tasks) < n and ahead < window:
                sc, seed = jobs[len(tasks)]
                prio = (plan.priority, len(tasks))
                tasks.append(
                    asyncio.create_task(
                        self._episode(pack, pack_hash, sc, seed, hotkey, epoch, prio)
                    )
                )
                ahead += 1

        try:
            while len(done) < n:
                launch()
                result = await tasks[len(done)]
                done.append(result)
                if result is None:
                    break  # budget exhausted: the pack carries over
                if plan.eliminate:
                    elimination = check(
                        [d[0] for d in done if d is not None], n, self.scoring, plan.bar
                    )
                    if elimination is not None:
                        log.info("pack_eliminated", hotkey=hotkey, detail=elimination.summary())
                        break
        finally:
            # started episodes are finished (their spend is real; they are cached for later)
            await asyncio.gather(*tasks[len(done) :], return_exceptions=True)
        return done, elimination

    async def _episode(
        self,
        pack: PolicyBundle,
        pack_hash: str,
        scenario: Scenario,
        seed: int,
        hotkey: str,
        epoch: int,
        priority: tuple[int, ...] = (),
    ) -> Done | None:
        key = cache_key(
            pack_hash=pack_hash,
            scenario_hash=scenario.content_hash,
            seed=seed,
            model_id=self.model_id,
            sandbox=self.sandbox.name,
        )
        # The slot is taken before anything else is awaited: slots are handed out by priority,
        # then first come first served, so episodes start in the order the caller asked for
        # them (new packs first when the budget is short), whatever order thread work would
        # finish in.
        async with self._slots.slot(priority):
            cached = await asyncio.to_thread(self.store.cached_evaluation, key)
            if cached is not None:
                self.metrics.episodes.labels(cached="yes").inc()
                return EpisodeScore.model_validate_json(cached[0]), True, key
            reserved = 0.0
            if self.budget is not None:
                try:
                    reserved = await asyncio.to_thread(self.budget.reserve)
                except BudgetExceeded as err:
                    self.metrics.budget_exceeded.inc()
                    log.warning(
                        "budget_exceeded", error=str(err), hotkey=hotkey, scenario=scenario.name
                    )
                    return None
            try:
                instance = instantiate(scenario, seed)
                delay = self.retry_backoff_s
                for attempt in range(self.episode_retries + 1):
                    model = self.model_factory(instance, pack)
                    traj = await run_episode(
                        instance,
                        pack,
                        model,
                        self.sandbox,
                        pack_hash=pack_hash,
                        context_tokens=self.provider.context_limit if self.provider else None,
                    )
                    await asyncio.to_thread(self._meter, traj, key, hotkey, epoch)
                    if not traj.termination.evaluator_failed:
                        break
                    # Our side broke (model endpoint, sandbox): try again before giving up.
                    log.info(
                        "episode_retry",
                        scenario=scenario.name,
                        seed=seed,
                        attempt=attempt + 1,
                        errors=traj.errors,
                    )
                    if attempt < self.episode_retries:
                        await self.sleep(delay)
                        delay *= 2
            finally:
                if self.budget is not None:
                    self.budget.release(reserved)
        # Off the event loop: scoring is linear in what the agent wrote, but a long reply
        # still takes seconds, which would stall miner queries and the other episodes.
        score = await asyncio.to_thread(score_episode, instance, traj, self.scoring)
        self.metrics.episodes.labels(cached="no").inc()
        if traj.termination.evaluator_failed:
            self.metrics.model_errors.inc()
            log.warning(
                "episode_evaluator_failed", scenario=scenario.name, seed=seed, errors=traj.errors
            )
            return score, False, key
        await asyncio.to_thread(
            self.store.store_evaluation,
            key,
            pack_hash=pack_hash,
            scenario=scenario.name,
            seed=seed,
            epoch=epoch,
            score_json=score.model_dump_json(),
            trajectory_json=traj.model_dump_json(),
        )
        return score, False, key

    def _meter(self, traj: Trajectory, episode: str, hotkey: str, epoch: int) -> None:
        if self.ledger is None or self.provider is None:
            return
        for usage in traj.usage:
            self.ledger.record(
                self.provider,
                tokens_in=usage.prompt_tokens,
                tokens_out=usage.completion_tokens,
                latency_ms=usage.latency_ms,
                status="ok",
                tokens_estimated=usage.tokens_estimated,
                episode=episode,
                hotkey=hotkey,
                epoch=epoch,
            )
        if traj.termination.evaluator_failed:
            self.ledger.record(
                self.provider,
                tokens_in=0,
                tokens_out=0,
                latency_ms=0,
                status="error",
                episode=episode,
                hotkey=hotkey,
                epoch=epoch,
            )
