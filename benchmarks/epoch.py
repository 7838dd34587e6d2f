"""One validator epoch at subnet scale: wall time against the ideal, cache, peak memory.

    python benchmarks/epoch.py                      # 256 miners x 4 scenarios x 3 seeds, ~2 min
    python benchmarks/epoch.py --miners 8 --episode-seconds 0.2   # a quick look

Drives the real ``Validator.run_epoch`` on an embedded ``LocalChain`` (an owner/validator
with a permit and one hotkey per miner), the real ``HarnessEvaluator`` and ``Store``, the
local sandbox and the four-scenario suite. Only the outside world is in memory: every miner
answers SubmitPack with its own pack (the optimized client_escalation pack under a distinct
``metadata.pack_name``, so every hash differs) and verification accepts it. The model is
scripted: each scenario's reference script, with a per-call latency of ``episode-seconds``
divided by the script's number of model calls, so every episode spends exactly
``episode-seconds`` waiting on the model, as it would on an LLM.

Three runs, each timed and with its model calls counted:

1. the epoch, cold cache: ideal wall time = episodes x episode-seconds / concurrency;
2. the same epoch again (same epoch number, so the same seeds; no new packs): a fresh
   epoch state, the same evaluator and evaluation cache; every step runs again (collect,
   verify, evaluate, decide, set weights), target 0 model calls;
3. the next epoch (a new seed) for ``--new-seed-miners`` of the miners: must make calls.

Peak RSS is the whole process's (``ru_maxrss``), measured at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from clawbench.agent import CallBudget, ModelClient, ModelTurn, load_script
from clawbench.pack import PolicyBundle, canonical_json, load_pack, pack_hash
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import ScenarioInstance, load_scenario
from clawbench.trajectory import ChatMessage, ModelInfo
from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import LocalChain, Metagraph
from trajectoryrl.store import Store
from trajectoryrl.validator import (
    EpochParams,
    HarnessEvaluator,
    Received,
    ScriptedModels,
    Validator,
    Verified,
    episode_seeds,
)

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIOS = ("client_escalation", "morning_brief", "inbox_to_action", "team_standup")
NETUID = 11
EPOCH_BLOCKS = 60
TARGET_RATIO = 1.15
TARGET_SECOND_EPOCH_CALLS = 0
TARGET_RSS_MB = 300.0


# -- the model: per-scenario scripted latency, every call counted ------------------------
@dataclass
class CallCount:
    calls: int = 0
    model_seconds: float = 0.0
    episodes: int = 0


class _Counted:
    """A ModelClient that counts the calls it forwards (the benchmark's only instrument)."""

    def __init__(self, inner: ModelClient, count: CallCount, latency_s: float) -> None:
        self._inner = inner
        self._count = count
        self._latency_s = latency_s

    @property
    def info(self) -> ModelInfo:
        return self._inner.info

    async def complete(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        *,
        seed: int,
        budget: CallBudget | None = None,
    ) -> ModelTurn:
        self._count.calls += 1
        self._count.model_seconds += self._latency_s
        return await self._inner.complete(messages, tools, seed=seed, budget=budget)


@dataclass
class Models:
    """``model_factory``: one ScriptedModels per scenario, each with the latency that makes
    the reference script's calls add up to ``episode_seconds``."""

    episode_seconds: float
    per_scenario: dict[str, ScriptedModels] = field(default_factory=dict)
    turns: dict[str, int] = field(default_factory=dict)
    count: CallCount = field(default_factory=CallCount)

    def __post_init__(self) -> None:
        for name in SCENARIOS:
            turns = len(load_script(ROOT / "scripts" / name / "reference.yaml").turns)
            self.turns[name] = turns
            self.per_scenario[name] = ScriptedModels(
                ROOT / "scripts", latency_s=self.episode_seconds / turns
            )

    @property
    def model_id(self) -> str:
        return f"scripted:{ROOT.name}/scripts"

    def __call__(self, instance: ScenarioInstance, pack: PolicyBundle) -> ModelClient:
        models = self.per_scenario[instance.name]
        self.count.episodes += 1
        return _Counted(models(instance, pack), self.count, models.latency_s)


# -- the outside world: miners answering SubmitPack, verification accepting ------------------
class Miners:
    """In-memory SubmissionSource and Verifier: miner i serves pack i, pushed at 1000 + i."""

    def __init__(self, count: int) -> None:
        base = load_pack(ROOT / "packs" / "client_escalation" / "optimized")
        self.packs: dict[str, tuple[str, str, float]] = {}  # hotkey -> (json, hash, push time)
        for i in range(count):
            meta = base.metadata.model_copy(update={"pack_name": f"bench-miner-{i:03d}"})
            pack = base.model_copy(update={"metadata": meta})
            self.packs[f"miner-{i:03d}"] = (canonical_json(pack), pack_hash(pack), 1000.0 + i)
        self.serving: set[str] = set(self.packs)

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        return [
            Received(
                hotkey=n.hotkey,
                uid=n.uid,
                repo_url=f"https://github.com/{n.hotkey}/pack",
                git_commit_hash=f"{n.uid:040x}",
                pack_hash=self.packs[n.hotkey][1],
                commit_block=int(self.packs[n.hotkey][2]) - 10**6,  # before epoch N
                committed_at=self.packs[n.hotkey][2],
            )
            for n in metagraph.neurons
            if n.hotkey in self.serving
        ]

    async def verify(self, sub: Received, submitted_at: float) -> Verified:
        pack_json, _, push_time = self.packs[sub.hotkey]
        return Verified(ok=True, reason="ok", pack_json=pack_json, push_time=push_time)


# -- runs ------------------------------------------------------------------------------------
@dataclass
class Run:
    label: str
    status: str
    seconds: float
    calls: int
    episodes: int
    model_seconds: float


async def _no_sleep(_: float) -> None:
    return None


def _validator(
    chain: LocalChain,
    store: Store,
    audit: Path,
    miners: Miners,
    evaluator: HarnessEvaluator,
    seeds: int,
) -> Validator:
    return Validator(
        chain=chain,
        wallet="validator",
        hotkey="validator",
        store=store,
        audit=AuditLog(audit),
        source=miners,
        verifier=miners,
        evaluator=evaluator,
        params=EpochParams(epoch_blocks=EPOCH_BLOCKS, seeds_per_scenario=seeds, retry_backoff_s=0),
        sleep=_no_sleep,
    )


async def _timed(label: str, v: Validator, models: Models, epoch: int, block: int) -> Run:
    before = CallCount(models.count.calls, models.count.model_seconds, models.count.episodes)
    started = time.perf_counter()
    status = await v.run_epoch(epoch, block)
    seconds = time.perf_counter() - started
    return Run(
        label=label,
        status=status,
        seconds=seconds,
        calls=models.count.calls - before.calls,
        episodes=models.count.episodes - before.episodes,
        model_seconds=models.count.model_seconds - before.model_seconds,
    )


@dataclass
class Outcome:
    """What the cold epoch decided: proof the timed work was real scoring."""

    scored: int
    qualified: int
    finals: tuple[float, float]
    winner: str | None
    weights: dict[int, float]


async def bench(args: argparse.Namespace, work: Path) -> tuple[list[Run], Models, Outcome]:
    now = [1_800_000_000.0]
    chain = LocalChain(work / "chain.db", NETUID, block_time_s=12.0, clock=lambda: now[0])
    chain.set_hyperparameters(max_uids=args.miners + 1, weights_rate_limit=0)
    chain.register("validator", validator_permit=True, stake=1000.0)
    chain.set_owner("validator")
    miners = Miners(args.miners)
    for hotkey in miners.packs:
        chain.register(hotkey)

    models = Models(args.episode_seconds)
    store = Store(work / "state.db")  # state and evaluation cache in one file, as deployed
    evaluator = HarnessEvaluator(
        suite=[load_scenario(ROOT / f"{name}.yaml") for name in SCENARIOS],
        model_factory=models,
        model_id=models.model_id,
        sandbox=LocalSandbox(),
        store=store,
        concurrency=args.concurrency,
    )
    block = chain.current_block()
    epoch = block // EPOCH_BLOCKS
    first = _validator(chain, store, work / "audit.jsonl", miners, evaluator, args.seeds)
    runs = [await _timed("epoch N (cold cache)", first, models, epoch, block)]

    # The same epoch number (hence the same seeds) again with nothing new: a fresh epoch
    # state, the same evaluator and its cache.
    again = _validator(
        chain, Store(work / "state-2.db"), work / "audit-2.jsonl", miners, evaluator, args.seeds
    )
    runs.append(await _timed("epoch N again (same seeds)", again, models, epoch, block))

    # The next epoch brings a new seed (from its first block's hash): the cache must not answer
    # for it. A fresh state with fewer miners serving, so only their claims are standing.
    miners.serving = set(sorted(miners.packs)[: args.new_seed_miners])
    now[0] += EPOCH_BLOCKS * chain.block_time_s
    third = _validator(
        chain, Store(work / "state-3.db"), work / "audit-3.jsonl", miners, evaluator, args.seeds
    )
    runs.append(
        await _timed("epoch N+1 (new seed)", third, models, epoch + 1, chain.current_block())
    )
    seeds = tuple(
        episode_seeds(int(s.epoch(e)["seed"]), args.seeds)  # type: ignore[index]
        for s, e in ((store, epoch), (third.store, epoch + 1))
    )
    assert not set(seeds[0]) & set(seeds[1]), "consecutive epochs must not share seeds"
    rows = store.pack_scores(epoch)
    finals = [float(r["final"]) for r in rows]
    decision = store.decision(epoch)
    outcome = Outcome(
        scored=len(rows),
        qualified=sum(1 for r in rows if r["qualified"]),
        finals=(min(finals, default=0.0), max(finals, default=0.0)),
        winner=decision["winner_hotkey"] if decision else None,
        weights=await chain.weights_of("validator"),
    )
    chain.close_sync()
    return runs, models, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--miners", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--episode-seconds",
        type=float,
        default=2.0,
        help="scripted model time per episode (split over its calls)",
    )
    parser.add_argument(
        "--new-seed-miners",
        type=int,
        default=8,
        help="miners serving in the new-seed epoch (keeps the run short)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep the state here")
    args = parser.parse_args()
    if min(args.miners, args.seeds, args.concurrency, args.new_seed_miners) < 1:
        parser.error("--miners, --seeds, --concurrency and --new-seed-miners must be >= 1")
    if not args.episode_seconds > 0:
        parser.error("--episode-seconds must be > 0")
    args.new_seed_miners = min(args.new_seed_miners, args.miners)
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    with tempfile.TemporaryDirectory(prefix="epoch-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        runs, models, outcome = asyncio.run(bench(args, work))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    episodes = args.miners * len(SCENARIOS) * args.seeds
    ideal = episodes * args.episode_seconds / args.concurrency
    waves = -(-episodes // args.concurrency) * args.episode_seconds  # whole waves of episodes
    cold, same, new = runs
    turns = ", ".join(f"{n} {t}" for n, t in models.turns.items())
    print(
        f"{args.miners} miners x {len(SCENARIOS)} scenarios x {args.seeds} seeds = "
        f"{episodes} episodes; local sandbox; concurrency {args.concurrency}"
    )
    print(
        f"scripted model: {args.episode_seconds:g} s per episode over the reference script's "
        f"calls ({turns})"
    )
    print()
    print(
        f"{'run':<28} {'status':<12} {'wall s':>8} {'episodes':>9} {'model calls':>12} "
        f"{'model s/episode':>16}"
    )
    for r in runs:
        per = r.model_seconds / r.episodes if r.episodes else 0.0
        print(
            f"{r.label:<28} {r.status:<12} {r.seconds:>8.1f} {r.episodes:>9} {r.calls:>12} "
            f"{per:>16.2f}"
        )
    lo, hi = outcome.finals
    print(
        f"epoch N: {outcome.scored} packs scored, {outcome.qualified} qualified, final "
        f"{lo:.3f}..{hi:.3f}; winner {outcome.winner} (first mover); weights on chain "
        f"{outcome.weights}"
    )
    print()
    ratio = cold.seconds / ideal
    rows = [
        (
            "epoch wall time / ideal",
            f"{cold.seconds:.1f} s / {ideal:.1f} s = {ratio:.3f}x",
            f"<= {TARGET_RATIO:.2f}x",
            ratio <= TARGET_RATIO,
        ),
        (
            "model calls, same seeds again",
            f"{same.calls}",
            f"{TARGET_SECOND_EPOCH_CALLS}",
            same.calls <= TARGET_SECOND_EPOCH_CALLS,
        ),
        (
            "model calls, new seed",
            f"{new.calls} ({args.new_seed_miners} miners)",
            "> 0",
            new.calls > 0,
        ),
        ("peak RSS", f"{rss_mb:.0f} MB", f"<= {TARGET_RSS_MB:.0f} MB", rss_mb <= TARGET_RSS_MB),
    ]
    print(f"{'measure':<30} {'measured':<32} {'target':<10} result")
    for name, measured, target, ok in rows:
        print(f"{name:<30} {measured:<32} {target:<10} {'met' if ok else 'MISSED'}")
    if waves > ideal:
        print(
            f"(with {episodes} episodes at concurrency {args.concurrency} the last wave is "
            f"partial: no schedule beats {waves:.1f} s)"
        )
    if outcome.scored != args.miners or cold.status != "weights_set":
        raise SystemExit(
            f"the epoch scored {outcome.scored} of {args.miners} packs ({cold.status})"
        )


if __name__ == "__main__":
    main()
