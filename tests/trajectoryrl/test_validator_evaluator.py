"""The validator's evaluator on the real harness (scenarios, world, scripted model, scoring):
cache hits cost no model call, a new seed re-evaluates, spend is metered, and the budget
guard stops evaluation before the cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clawbench.errors import ModelError
from clawbench.pack import canonical_json, load_pack, pack_hash
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import load_scenario
from clawbench.trajectory import ModelInfo
from trajectoryrl.ledger import BudgetGuard, Ledger, Provider
from trajectoryrl.store import Store
from trajectoryrl.validator import HarnessEvaluator, ScriptedModels

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
PROV = Provider(
    name="p", model="m", input_usd_per_mtok=10.0, output_usd_per_mtok=30.0, context_limit=128_000
)


async def _no_sleep(_: float) -> None:
    return None


class _Down:
    def __init__(self, info: ModelInfo) -> None:
        self.info = info

    async def complete(self, *args: Any, **kw: Any) -> Any:
        raise ModelError("HTTP 503 from the endpoint")


def _pack() -> tuple[str, str]:
    pack = load_pack(ROOT / "packs" / "client_escalation" / "optimized")
    return canonical_json(pack), pack_hash(pack)


def _evaluator(tmp_path: Path, models: ScriptedModels, **kw: object) -> HarnessEvaluator:
    suite = [
        load_scenario(ROOT / "client_escalation.yaml"),
        load_scenario(ROOT / "morning_brief.yaml"),
    ]
    return HarnessEvaluator(
        suite=suite,
        model_factory=models,
        model_id=models.model_id,
        sandbox=LocalSandbox(),
        store=Store(tmp_path / "s.db"),
        concurrency=4,
        **kw,  # type: ignore[arg-type]
    )


async def test_reference_scripts_score_and_the_cache_saves_every_model_call(tmp_path: Path) -> None:
    models = ScriptedModels(ROOT / "scripts")
    ev = _evaluator(tmp_path, models)
    pj, ph = _pack()
    first = await ev.evaluate(pack_json=pj, pack_hash=ph, hotkey="hk", epoch=1, seeds=[7, 8])
    assert models.calls == 4 and not first.evaluator_failed
    assert first.qualified and first.final > 0.8
    again = await ev.evaluate(pack_json=pj, pack_hash=ph, hotkey="hk", epoch=2, seeds=[7, 8])
    assert models.calls == 4  # every episode from the cache
    assert again.final == first.final and all(e.cached for e in again.episodes)
    await ev.evaluate(pack_json=pj, pack_hash=ph, hotkey="hk", epoch=3, seeds=[9])
    assert models.calls == 6  # a new seed is new work


async def test_a_model_failure_is_not_cached_and_not_a_verdict(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    for name in ("client_escalation", "morning_brief"):
        (scripts / name).mkdir(parents=True)
        # Ends with a tool call: the next model call finds the script exhausted (a model error).
        (scripts / name / "reference.yaml").write_text(
            "turns:\n  - tool_calls: [{name: exec, arguments: {command: himalaya envelope list}}]\n"
        )
    models = ScriptedModels(scripts)
    ev = _evaluator(tmp_path, models, episode_retries=2, sleep=_no_sleep)
    pj, ph = _pack()
    result = await ev.evaluate(pack_json=pj, pack_hash=ph, hotkey="hk", epoch=1, seeds=[1])
    assert result.evaluator_failed and not result.qualified
    assert result.failure.startswith("script_exhausted")  # the cause travels to the daemon
    assert models.calls == 2 * 3  # episodes started: two scenarios, three attempts each
    assert ev.store.query("SELECT COUNT(*) FROM evaluations")[0][0] == 0


async def test_a_failure_on_our_side_is_retried_and_a_recovered_episode_counts(
    tmp_path: Path,
) -> None:
    class Flaky:
        """The first model of each scenario breaks (an outage), the rest work."""

        def __init__(self, inner: ScriptedModels) -> None:
            self.inner, self.broken = inner, set[str]()
            self.model_id = inner.model_id

        def __call__(self, instance: Any, pack: Any) -> Any:
            if instance.name not in self.broken:
                self.broken.add(instance.name)
                return _Down(self.inner(instance, pack).info)
            return self.inner(instance, pack)

    models = ScriptedModels(ROOT / "scripts")
    ev = _evaluator(tmp_path, Flaky(models), sleep=_no_sleep)  # type: ignore[arg-type]
    pj, ph = _pack()
    result = await ev.evaluate(pack_json=pj, pack_hash=ph, hotkey="hk", epoch=1, seeds=[1])
    assert not result.evaluator_failed and result.qualified
    assert ev.store.query("SELECT COUNT(*) FROM evaluations")[0][0] == 2


async def test_spend_is_metered_and_the_budget_stops_before_the_cap(tmp_path: Path) -> None:
    models = ScriptedModels(ROOT / "scripts")
    store_path = tmp_path / "s.db"
    ledger = Ledger(Store(store_path), clock=lambda: 1_790_000_000.0)
    ev = _evaluator(tmp_path, models, ledger=ledger, provider=PROV)
    pj, ph = _pack()
    await ev.evaluate(pack_json=pj, pack_hash=ph, hotkey="hk", epoch=1, seeds=[1])
    per_episode = ledger.cost_per_episode()
    assert per_episode > 0 and len(ledger.totals("hotkey")) == 1
    assert ledger.totals("hotkey")[0]["estimated_calls"] == 0  # the scripts report usage
    # A cap with room for about one more episode: of the next 4 episodes (4 in flight at once,
    # so only the reservations keep them from all passing) exactly one runs.
    guard = BudgetGuard(ledger, daily_usd=ledger.spent("day") + 1.5 * per_episode)
    ev_budget = _evaluator(tmp_path, models, ledger=ledger, provider=PROV, budget=guard)
    before = models.calls
    result = await ev_budget.evaluate(
        pack_json=pj, pack_hash=ph, hotkey="hk", epoch=2, seeds=[2, 3]
    )
    assert result.budget_exhausted and not result.qualified
    assert models.calls - before == 1
    assert ledger.spent("day") <= guard.daily_usd  # type: ignore[operator]
