"""One realistic epoch evaluated twice, in full and with early elimination: model calls,
priced spend, and proof that the winner and the weights are the same.

    python benchmarks/spend.py                      # 256 new packs + the incumbent, ~4 min
    python benchmarks/spend.py --miners 32 --episode-seconds 0.2   # a quick look

The real ``Validator``, ``HarnessEvaluator``, ``Store`` and ``Ledger`` on an embedded
``LocalChain`` (one chain, two validators: ``full`` with ``eliminate=False`` and ``cut``
with elimination; each its own state, evaluation cache and ledger). The suite is every
scenario in ``scenarios/`` the local sandbox can run (real-shell ones need Docker and are
left out, as the validator does); the script says how many that is.

Packs are scripted so their quality spans the field (decided per pack, scenario and seed by a
hash, the same for both validators): ``strong`` plays the reference trajectory, ``medium``
the reference 60% of the time and the keyword-stuffed one otherwise, ``weak`` mostly the
keyword-stuffed one, ``unsafe`` the reference but an irreversible or leaking trajectory (a
critical violation) 25% of the time. The incumbent (miner-000, first to commit) plays the
reference 85% of the time. Epoch N-1 has only the incumbent (it wins); epoch N has the
incumbent and ``--miners`` new packs (10% strong, 30% each medium, weak and unsafe).

Spend is priced with ``docker/providers.example.yaml`` (gpt-4o-mini) from the token usage
the scripted model reports. Each episode waits ``episode-seconds`` on the model in total.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parent))

from epoch import CallCount, Miners, _Counted, _no_sleep

from clawbench.agent import ModelClient, Script, ScriptedModel, load_script
from clawbench.pack import PolicyBundle
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import Scenario, ScenarioInstance, load_suite
from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import LocalChain
from trajectoryrl.ledger import Ledger, load_providers
from trajectoryrl.store import Store
from trajectoryrl.validator import EpochParams, HarnessEvaluator, Validator
from trajectoryrl.validator._build import usable_suite

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
PROVIDERS = Path(__file__).resolve().parents[1] / "docker" / "providers.example.yaml"
NETUID = 11
EPOCH_BLOCKS = 60
TARGET_SPEND_RATIO = 0.4
TARGET_RATIO = 1.15
TARGET_RSS_MB = 300.0
WANTED_SCENARIOS = 9


def kind_of(pack_name: str) -> str:
    i = int(pack_name.rsplit("-", 1)[1])
    if i == 0:
        return "incumbent"
    return {0: "strong", 1: "medium", 2: "medium", 3: "medium", 4: "weak", 5: "weak"}.get(
        i % 10, "weak" if i % 10 == 6 else "unsafe"
    )


@dataclass
class Quality:
    """``model_factory``: the script a pack plays in one episode, with the latency that makes
    that script's calls add up to ``episode_seconds``; every call counted."""

    episode_seconds: float
    suite: list[Scenario]
    count: CallCount = field(default_factory=CallCount)
    _scripts: dict[tuple[str, str], Script] = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        return "scripted:quality-mix"

    def script(self, scenario: str, name: str) -> Script:
        key = (scenario, name)
        if key not in self._scripts:
            self._scripts[key] = load_script(ROOT / "scripts" / scenario / f"{name}.yaml")
        return self._scripts[key]

    def choose(self, pack: PolicyBundle, instance: ScenarioInstance) -> str:
        name = pack.metadata.pack_name
        digest = hashlib.sha256(f"{name}|{instance.name}|{instance.seed}".encode()).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        have = {p.stem for p in (ROOT / "scripts" / instance.name).glob("*.yaml")}
        stuffed = "bad_keyword_stuffed" if "bad_keyword_stuffed" in have else "reference"
        unsafe = next(
            (s for s in ("bad_confidential_leak", "bad_irreversible") if s in have), "reference"
        )
        kind = kind_of(name)
        if kind == "incumbent":
            return "reference" if u < 0.85 else stuffed
        if kind == "medium":
            return "reference" if u < 0.6 else stuffed
        if kind == "weak":
            return stuffed if u < 0.8 else "reference"
        if kind == "unsafe":
            return unsafe if u < 0.25 else "reference"
        return "reference"

    def __call__(self, instance: ScenarioInstance, pack: PolicyBundle) -> ModelClient:
        name = self.choose(pack, instance)
        script = self.script(instance.name, name)
        latency = self.episode_seconds / max(1, len(script.turns))
        self.count.episodes += 1
        model = ScriptedModel(
            script, instance.variables, name=f"scripted-{name}", latency_s=latency
        )
        return _Counted(model, self.count, latency)


@dataclass
class Mode:
    label: str
    validator: Validator
    store: Store
    ledger: Ledger
    models: Quality
    seconds: float = 0.0
    calls: int = 0
    episodes: int = 0
    status: str = ""


def _mode(
    label: str,
    chain: LocalChain,
    miners: Miners,
    suite: list[Scenario],
    args: argparse.Namespace,
    work: Path,
    clock: list[float],
) -> Mode:
    store = Store(work / f"{label}-state.db")
    ledger = Ledger(store, clock=lambda: clock[0])
    provider = load_providers(PROVIDERS)["openai-mini"]
    models = Quality(args.episode_seconds, suite)
    evaluator = HarnessEvaluator(
        suite=suite,
        model_factory=models,
        model_id=models.model_id,
        sandbox=LocalSandbox(),
        store=store,
        concurrency=args.concurrency,
        ledger=ledger,
        provider=provider,
    )
    v = Validator(
        chain=chain,
        wallet=label,
        hotkey=label,
        store=store,
        audit=AuditLog(work / f"{label}-audit.jsonl"),
        source=miners,
        verifier=miners,
        evaluator=evaluator,
        params=EpochParams(
            epoch_blocks=EPOCH_BLOCKS,
            seeds_per_scenario=args.seeds,
            retry_backoff_s=0,
            eliminate=label == "cut",
        ),
        sleep=_no_sleep,
    )
    return Mode(label, v, store, ledger, models)


async def bench(args: argparse.Namespace, work: Path) -> dict[str, object]:
    sandbox = LocalSandbox()
    suite = usable_suite(load_suite(ROOT), sandbox)
    now = [1_800_000_000.0]
    chain = LocalChain(work / "chain.db", NETUID, block_time_s=12.0, clock=lambda: now[0])
    chain.set_hyperparameters(max_uids=args.miners + 3, weights_rate_limit=0)
    for label in ("full", "cut"):
        chain.register(label, validator_permit=True, stake=1000.0)
    chain.set_owner("full")
    miners = Miners(args.miners + 1)  # miner-000 is the incumbent
    for hotkey in miners.packs:
        chain.register(hotkey)
    modes = {m: _mode(m, chain, miners, suite, args, work, now) for m in ("full", "cut")}

    # Epoch N-1: only the incumbent serves; it wins on both validators.
    miners.serving = {"miner-000"}
    block = chain.current_block()
    epoch = block // EPOCH_BLOCKS
    for m in modes.values():
        await m.validator.run_epoch(epoch, block)
        assert m.store.decision(epoch)["winner_hotkey"] == "miner-000"  # type: ignore[index]

    # Epoch N: the incumbent and every new pack, once in full and once with elimination.
    miners.serving = set(miners.packs)
    now[0] += EPOCH_BLOCKS * chain.block_time_s
    block = chain.current_block()
    epoch += 1
    for m in modes.values():
        before = (m.models.count.calls, m.models.count.episodes)
        started = time.perf_counter()
        m.status = await m.validator.run_epoch(epoch, block)
        m.seconds = time.perf_counter() - started
        m.calls = m.models.count.calls - before[0]
        m.episodes = m.models.count.episodes - before[1]

    # The same epoch again with elimination, a fresh epoch state and the same cache: unchanged
    # packs cost nothing.
    cut = modes["cut"]
    again = Validator(
        chain=chain,
        wallet="cut",
        hotkey="cut",
        store=Store(work / "cut-again-state.db"),
        audit=AuditLog(work / "cut-again-audit.jsonl"),
        source=miners,
        verifier=miners,
        evaluator=cut.validator.evaluator,
        params=cut.validator.params,
        sleep=_no_sleep,
    )
    # a fresh state knows no incumbent: give it the same history (epoch N-1's decision)
    prev = cut.store.decision(epoch - 1)
    assert prev is not None
    again.store.begin_epoch(epoch - 1, int(cut.store.epoch(epoch - 1)["seed"]), 0)  # type: ignore[index]
    again.store.record_decision(
        epoch - 1,
        winner_hotkey=prev["winner_hotkey"],
        winner_uid=prev["winner_uid"],
        burned=bool(prev["burned"]),
        weights={int(k): float(v) for k, v in json.loads(prev["weights_json"]).items()},
        steps_json=prev["steps_json"],
    )
    calls_before = cut.models.count.calls
    await again.run_epoch(epoch, block)
    rerun_calls = cut.models.count.calls - calls_before
    rerun_same = (
        again.store.decision(epoch)["winner_hotkey"] == cut.store.decision(epoch)["winner_hotkey"]
    )  # type: ignore[index]

    weights = {m: await chain.weights_of(m) for m in modes}
    chain.close_sync()
    return {
        "suite": suite,
        "modes": modes,
        "epoch": epoch,
        "weights": weights,
        "rerun_calls": rerun_calls,
        "rerun_same": rerun_same,
    }


def _spend_by_kind(m: Mode, epoch: int) -> dict[str, tuple[int, float, int, float]]:
    """kind -> (packs, spend, stopped, saved estimate)."""
    out: dict[str, tuple[int, float, int, float]] = {}
    spend = m.ledger.epoch_spend(epoch)
    for p in spend.packs:
        k = kind_of(p.hotkey)
        n, c, s, sv = out.get(k, (0, 0.0, 0, 0.0))
        out[k] = (n + 1, c + p.cost_usd, s + (1 if p.eliminated else 0), sv + p.saved_usd)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--miners", type=int, default=256, help="new packs in epoch N")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--episode-seconds", type=float, default=2.0)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the state here")
    args = parser.parse_args()
    if min(args.miners, args.seeds, args.concurrency) < 1 or not args.episode_seconds > 0:
        parser.error("--miners, --seeds, --concurrency must be >= 1, --episode-seconds > 0")
    logging.basicConfig(level=logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    with tempfile.TemporaryDirectory(prefix="spend-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        r = asyncio.run(bench(args, work))
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        modes: dict[str, Mode] = r["modes"]  # type: ignore[assignment]
        epoch: int = r["epoch"]  # type: ignore[assignment]
        suite: list[Scenario] = r["suite"]  # type: ignore[assignment]
        names = ", ".join(s.name for s in suite)
        n = len(suite) * args.seeds
        print(
            f"epoch N: the incumbent + {args.miners} new packs x {len(suite)} scenarios x "
            f"{args.seeds} seeds = {n} episodes per pack; concurrency {args.concurrency}; "
            f"{args.episode_seconds:g} s of model time per episode"
        )
        if len(suite) < WANTED_SCENARIOS:
            print(
                f"scenarios: {len(suite)} runnable on the local sandbox ({names}); the target "
                f"is {WANTED_SCENARIOS}: these are all that exist here (real-shell ones need "
                "Docker)"
            )
        print()
        spends = {m: modes[m].ledger.epoch_spend(epoch) for m in modes}
        print(
            f"{'run':<14} {'status':<12} {'wall s':>8} {'episodes':>9} {'model calls':>12} "
            f"{'tokens':>11} {'spend USD':>10}"
        )
        for label, m in modes.items():
            s = spends[label]
            tokens = sum(p.tokens_in + p.tokens_out for p in s.packs)
            print(
                f"{label:<14} {m.status:<12} {m.seconds:>8.1f} {m.episodes:>9} {m.calls:>12} "
                f"{tokens:>11} {s.cost_usd:>10.4f}"
            )
        full, cut = modes["full"], modes["cut"]
        print()
        print(f"{'pack kind':<10} {'packs':>6} {'full USD':>9} {'cut USD':>9} {'stopped':>8}")
        kinds_full, kinds_cut = _spend_by_kind(full, epoch), _spend_by_kind(cut, epoch)
        for k in ("incumbent", "strong", "medium", "weak", "unsafe"):
            nf, cf, _, _ = kinds_full.get(k, (0, 0.0, 0, 0.0))
            _, cc, st, _ = kinds_cut.get(k, (0, 0.0, 0, 0.0))
            print(f"{k:<10} {nf:>6} {cf:>9.4f} {cc:>9.4f} {st:>8}")
        measured_saved = spends["full"].cost_usd - spends["cut"].cost_usd
        print(
            f"saved by elimination: ${measured_saved:.4f} measured (full - cut); the epoch "
            f"summary's estimate (episodes not run x cost per paid episode) ${spends['cut'].saved_usd:.4f}"
        )
        d_full = full.store.decision(epoch)
        d_cut = cut.store.decision(epoch)
        assert d_full is not None and d_cut is not None
        same_winner = d_full["winner_hotkey"] == d_cut["winner_hotkey"]
        same_weights = d_full["weights_json"] == d_cut["weights_json"] and (
            r["weights"]["full"] == r["weights"]["cut"]  # type: ignore[index]
        )
        print(
            f"winner: full {d_full['winner_hotkey']}, cut {d_cut['winner_hotkey']}; weights on "
            f"chain: full {r['weights']['full']}, cut {r['weights']['cut']}"  # type: ignore[index]
        )
        print()
        ratio = spends["cut"].cost_usd / spends["full"].cost_usd if spends["full"].cost_usd else 0
        call_ratio = cut.calls / full.calls if full.calls else 0.0
        ideal_full = full.episodes * args.episode_seconds / args.concurrency
        ideal_cut = cut.episodes * args.episode_seconds / args.concurrency
        rows = [
            ("spend, cut / full", f"{ratio:.3f} (calls {call_ratio:.3f})", "<= 0.40", ratio <= TARGET_SPEND_RATIO),
            ("same winner and weights", f"{same_winner and same_weights}", "True", same_winner and same_weights),
            ("full: wall / ideal", f"{full.seconds:.1f} s / {ideal_full:.1f} s = {full.seconds / ideal_full:.3f}x", "<= 1.15x", full.seconds / ideal_full <= TARGET_RATIO),
            ("cut: wall / ideal", f"{cut.seconds:.1f} s / {ideal_cut:.1f} s = {cut.seconds / ideal_cut:.3f}x", "(info)", True),
            ("calls, unchanged packs again", f"{r['rerun_calls']} (same winner: {r['rerun_same']})", "0", r["rerun_calls"] == 0),
            ("peak RSS", f"{rss_mb:.0f} MB", "<= 300 MB", rss_mb <= TARGET_RSS_MB),
        ]  # fmt: skip
        print(f"{'measure':<30} {'measured':<40} {'target':<9} result")
        for name, measured, target, ok in rows:
            print(f"{name:<30} {measured:<40} {target:<9} {'met' if ok else 'MISSED'}")
        print(
            "(cut's ideal counts only the episodes it ran; its critical path also includes the "
            "anchors' full evaluation before any other pack can be judged)"
        )
        if not (same_winner and same_weights):
            raise SystemExit("elimination changed the decision")


if __name__ == "__main__":
    main()
