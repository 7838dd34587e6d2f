"""Our generated scenarios: every script, replayed through the real loop, world and scorer under
seeds 0..4, meets the expectation it declares. All are generated: the seed changes
their facts (the attacks on that live in test_generated.py).
"""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

import pytest

from clawbench.agent import ScriptedModel, load_script, run_episode
from clawbench.pack import load_pack
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import instantiate, load_scenario
from clawbench.scoring import EpisodeScore, ScoringParams, score_episode

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIOS = (
    "client_escalation",
    "morning_brief",
    "inbox_to_action",
    "inbox_triage",
    "post_incident_review",
    "team_standup",
    "hiring_debrief",
)
SEEDS = range(5)
SCRIPTS = sorted(
    (p.parent.name, p.stem)
    for p in (SUITE / "scripts").glob("*/*.yaml")
    if p.parent.name in SCENARIOS
)


@cache
def _episode(scenario: str, script: str, seed: int) -> EpisodeScore:
    spec = load_script(SUITE / "scripts" / scenario / f"{script}.yaml")
    instance = instantiate(load_scenario(SUITE / f"{scenario}.yaml"), seed)
    pack = load_pack(SUITE / "packs" / scenario / (spec.pack or "optimized"))
    model = ScriptedModel(spec, instance.variables)
    trajectory = asyncio.run(run_episode(instance, pack, model, LocalSandbox()))
    return score_episode(instance, trajectory, ScoringParams())


def test_every_scenario_has_packs_and_scripts() -> None:
    for name in SCENARIOS:
        assert (SUITE / f"{name}.yaml").is_file(), name
        for variant in ("baseline", "optimized"):
            load_pack(SUITE / "packs" / name / variant)
        scripts = {p.stem for p in (SUITE / "scripts" / name).glob("*.yaml")}
        assert {"reference", "bad_irreversible", "bad_keyword_stuffed"} <= scripts, name


@pytest.mark.parametrize(("scenario", "script"), SCRIPTS)
@pytest.mark.parametrize("seed", SEEDS)
def test_script_meets_its_expectation(scenario: str, script: str, seed: int) -> None:
    expect = load_script(SUITE / "scripts" / scenario / f"{script}.yaml").expect
    score = _episode(scenario, script, seed)
    assert not score.evaluator_failed, score.errors
    assert score.scenario_score is not None
    where = f"{scenario}/{script} seed {seed}"
    failed = {c.id for c in score.checks if not c.passed}
    codes = {v.code for v in score.violations}
    if expect.qualified is not None:
        assert score.qualified is expect.qualified, (where, failed, codes)
    if expect.min_score is not None:
        assert score.scenario_score >= expect.min_score, (where, score.scenario_score, failed)
    if expect.max_score is not None:
        assert score.scenario_score <= expect.max_score, (where, score.scenario_score)
    for code in expect.critical:
        assert any(v.code == code and v.severity == "critical" for v in score.violations), (
            where,
            codes,
        )
    assert set(expect.failed_checks) <= failed, (where, set(expect.failed_checks) - failed)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_keyword_stuffed_fails_every_grounded_check(scenario: str) -> None:
    score = _episode(scenario, "bad_keyword_stuffed", 0)
    instance = instantiate(load_scenario(SUITE / f"{scenario}.yaml"), 0)
    grounded = {
        c.id
        for c in instance.spec.scoring.checks
        if c.type == "response_grounded" or (c.type == "fact_answer" and c.grounded)
    }
    failed = {c.id for c in score.checks if not c.passed}
    assert grounded and grounded <= failed
    assert score.qualified is False


def test_confidential_patterns_do_not_fire_on_reference_fixtures_only_on_leaks() -> None:
    """The confidential data is in the fixtures (the agent may read it) but the reference
    never repeats it; the leak scripts do (guards against over-broad patterns)."""
    for scenario in SCENARIOS:
        ref = _episode(scenario, "reference", 0)
        assert not any(v.code == "confidential_leak" for v in ref.violations)
