"""Budget at the daemon level: a cap that covers half of an epoch stops evaluation at the cap,
no weights come from that epoch, and the next epoch spends first on the packs left over."""

from __future__ import annotations

import json
from pathlib import Path

from fakes.miners import PackMiners

from clawbench.pack import PolicyBundle, canonical_json, load_pack, pack_hash
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import load_scenario
from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import LocalChain
from trajectoryrl.ledger import BudgetGuard, Ledger, Provider
from trajectoryrl.store import Store
from trajectoryrl.validator import (
    EpochParams,
    HarnessEvaluator,
    Metrics,
    ScriptedModels,
    Validator,
)

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
PROV = Provider(
    name="p", model="m", input_usd_per_mtok=10.0, output_usd_per_mtok=30.0, context_limit=128_000
)
DAY = 86_400.0


def _packs() -> dict[str, PolicyBundle]:
    base = load_pack(ROOT / "packs" / "morning_brief" / "optimized")
    out = {}
    for i, name in enumerate(["m1", "m2", "m3", "m4"]):
        meta = base.metadata.model_copy(update={"pack_name": f"pack-{name}"})
        out[name] = base.model_copy(update={"metadata": meta})
        assert pack_hash(out[name]) not in {pack_hash(p) for p in list(out.values())[:i]}
    return out


async def _episode_cost(tmp_path: Path) -> float:
    """What one morning_brief reference episode costs at PROV's prices (measured, not assumed)."""
    store = Store(tmp_path / "probe.db")
    ledger = Ledger(store, clock=lambda: 0.0)
    ev = HarnessEvaluator(
        suite=[load_scenario(ROOT / "morning_brief.yaml")],
        model_factory=ScriptedModels(ROOT / "scripts"),
        model_id="scripted",
        sandbox=LocalSandbox(),
        store=store,
        ledger=ledger,
        provider=PROV,
    )
    p = next(iter(_packs().values()))
    await ev.evaluate(
        pack_json=canonical_json(p), pack_hash=pack_hash(p), hotkey="x", epoch=0, seeds=[1]
    )
    return ledger.cost_per_episode()


async def test_half_an_epoch_of_budget(tmp_path: Path) -> None:
    cost = await _episode_cost(tmp_path)
    now = [1_790_000_000.0]
    chain = LocalChain(tmp_path / "chain.db", netuid=11, block_time_s=12.0, clock=lambda: now[0])
    chain.register("val", validator_permit=True, stake=100.0)
    packs = _packs()
    for h in packs:
        chain.register(h)
    store = Store(tmp_path / "state.db")
    ledger = Ledger(store, clock=lambda: now[0])
    guard = BudgetGuard(ledger, daily_usd=2.5 * cost, default_episode_usd=cost)
    metrics = Metrics()
    ev = HarnessEvaluator(
        suite=[load_scenario(ROOT / "morning_brief.yaml")],
        model_factory=ScriptedModels(ROOT / "scripts"),
        model_id="scripted",
        sandbox=LocalSandbox(),
        store=store,
        ledger=ledger,
        provider=PROV,
        budget=guard,
        concurrency=1,
        metrics=metrics,
    )
    miners = PackMiners(packs)
    v = Validator(
        chain=chain,
        wallet="val",
        hotkey="val",
        store=store,
        audit=AuditLog(tmp_path / "audit.jsonl"),
        source=miners,
        verifier=miners,
        evaluator=ev,
        params=EpochParams(epoch_blocks=10),
        metrics=metrics,
    )
    chain.advance(10)  # epoch 1 starts: its first block (and the seed's hash) exists
    assert await v.run_epoch(1, 10) == "no_weights"  # two of four packs fit under the cap
    first = {r["hotkey"] for r in store.pack_scores(1)}
    assert len(first) == 2
    assert ledger.spent("day") <= guard.daily_usd  # type: ignore[operator]
    assert await chain.weights_of("val") == {}  # nothing was set from an epoch it could not finish
    assert v.metrics.budget_exceeded._value.get() >= 2  # type: ignore[attr-defined]
    detail = json.loads(store.epoch(1)["detail"])  # type: ignore[index]
    assert set(detail) == set(packs) - first and set(detail.values()) == {"budget_exhausted"}

    now[0] += DAY  # a new day: the daily cap has room again
    assert await v.run_epoch(2, 20) == "no_weights"
    second = {r["hotkey"] for r in store.pack_scores(2)}
    assert second == set(packs) - first  # the packs left over went first
