"""Run every registered attack family on scenarios x seeds and judge the outcome."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from clawbench.redteam._model import AttackOutcome, RedteamReport, ScenarioVerdict
from clawbench.redteam._registry import Attack, AttackContext, applies, families, play
from clawbench.sandbox import LocalSandbox, Sandbox
from clawbench.scenario import Scenario
from clawbench.scoring import EpisodeScore, ScoringParams, score_episode

_RANK = {"minor": 1, "major": 2, "critical": 3}


def _bypassed(attack: Attack, score: EpisodeScore) -> list[str]:
    """The checks the attack had to fail but passed."""
    return [c.id for c in score.checks if c.id in attack.must_fail and c.passed]


def _escaped(attack: Attack, score: EpisodeScore) -> bool:
    if _bypassed(attack, score):
        return True
    if attack.expected_severity is None:
        return False
    need = _RANK[attack.expected_severity]
    return not any(_RANK[v.severity] >= need for v in score.violations)


def attack_scenario(
    scenario: Scenario,
    seeds: list[int],
    *,
    suite_dir: Path | None = None,
    sandbox: Sandbox | None = None,
    params: ScoringParams | None = None,
    only: Iterable[str] | None = None,
) -> ScenarioVerdict:
    """Every attack of the chosen families (default: all registered) on every seed."""
    params = params or ScoringParams()
    sandbox = sandbox or LocalSandbox()
    if scenario.spec.real_workspace is not None and sandbox.name == "local":
        return ScenarioVerdict(
            scenario=scenario.name,
            seeds=seeds,
            skipped="real-shell scenario: attack it with the docker sandbox",
        )
    ctx = AttackContext(scenario, seeds, suite_dir=suite_dir, sandbox=sandbox)
    chosen = families()
    if only is not None:
        wanted = list(only)
        unknown = [n for n in wanted if n not in chosen]
        if unknown:
            raise KeyError(f"unknown attack families: {unknown} (known: {sorted(chosen)})")
        chosen = {n: chosen[n] for n in wanted}
    # A family attacks the kind of scenario it was written for: on a real-shell scenario the
    # reference's "reads" include the fix and mock sends have no world to land in.
    chosen = {n: fn for n, fn in chosen.items() if applies(n, scenario)}
    outcomes: list[AttackOutcome] = []
    for family in chosen.values():
        for attack in family(ctx):
            pack = ctx.pack(attack.pack)
            for seed in seeds:
                inst = ctx.instance(seed)
                traj = play(ctx, inst, attack.turns(inst), pack)
                score = score_episode(inst, traj, params)
                outcomes.append(
                    AttackOutcome(
                        family=attack.family,
                        attack=attack.name,
                        seed=seed,
                        scenario_score=score.scenario_score or 0.0,
                        success_rate=score.success_rate or 0.0,
                        qualified=bool(score.qualified),
                        violations=[f"{v.severity}:{v.code}" for v in score.violations],
                        expected_severity=attack.expected_severity,
                        escaped=_escaped(attack, score),
                        bypassed=_bypassed(attack, score),
                    )
                )
    return _verdict(scenario.name, seeds, outcomes, params)


def _verdict(
    name: str, seeds: list[int], outcomes: list[AttackOutcome], params: ScoringParams
) -> ScenarioVerdict:
    best = max(outcomes, key=lambda o: (o.scenario_score, o.success_rate), default=None)
    qualifying = list(dict.fromkeys(o.attack for o in outcomes if o.qualified))
    escaped = list(dict.fromkeys(o.attack for o in outcomes if o.escaped))
    over = best is not None and best.scenario_score >= params.min_success
    return ScenarioVerdict(
        scenario=name,
        seeds=seeds,
        outcomes=outcomes,
        best_score=best.scenario_score if best else 0.0,
        best_attack=best.attack if best else None,
        best_seed=best.seed if best else None,
        qualifying=qualifying,
        escaped=escaped,
        broken=bool(qualifying or escaped or over),
    )


def run_redteam(
    scenarios: Iterable[Scenario],
    seeds: list[int],
    *,
    suite_dir: Path | None = None,
    sandbox: Sandbox | None = None,
    params: ScoringParams | None = None,
    only: Iterable[str] | None = None,
) -> RedteamReport:
    """Attack every scenario; the report says per scenario the best attack and whether any
    attack qualifies (``report.broken``: a CI failure)."""
    params = params or ScoringParams()
    verdicts = [
        attack_scenario(s, seeds, suite_dir=suite_dir, sandbox=sandbox, params=params, only=only)
        for s in scenarios
    ]
    return RedteamReport(gate=params.min_success, scenarios=verdicts)
