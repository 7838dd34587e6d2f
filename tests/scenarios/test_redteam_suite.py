"""`clawbench redteam` over the shipped suite, as CI runs it: every built-in attack (constant
reply over the seed space, zero- and one-call stuffing, the negated and hedged reference,
another seed's reference replayed, read-all-then-stuff, reading one or two sources and
inventing the rest) stays below the gate on seeds 0..29, and the references still pass.

No attack qualifies or reaches the gate anywhere. (team_standup's read-2-then-invent was the
last gap: its facts all lived in two Slack channels. They now combine Slack with the sprint
board, see tests/scenarios/test_team_standup.py.)"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from clawbench.cli import EXIT_OK, main
from clawbench.redteam import attack_scenario
from clawbench.scenario import load_suite

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
SEEDS = list(range(30))
SCENARIOS = [s for s in load_suite(SUITE) if s.spec.real_workspace is None]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_no_attack_reaches_the_gate(scenario) -> None:  # type: ignore[no-untyped-def]
    v = attack_scenario(scenario, SEEDS, suite_dir=SUITE)
    over = {o.attack for o in v.outcomes if o.qualified or o.scenario_score >= 0.3}
    assert over == set(), sorted(
        (o.attack, o.seed, o.scenario_score) for o in v.outcomes if o.attack in over
    )[:10]
    names = {o.attack for o in v.outcomes}
    assert {"do-nothing", "constant-reply", "negated-reference", "read-all-then-stuff"} <= names
    assert all(o.seed in SEEDS for o in v.outcomes)


def test_the_cli_reports_no_qualifying_attack() -> None:
    out = io.StringIO()
    code = main(
        ["redteam", "--suite", str(SUITE), "--seeds", "0..4", "--sandbox", "local"],
        console=Console(file=out, width=240),
    )
    text = out.getvalue()
    qualifying = {
        line.strip().removeprefix("✗ ").removesuffix(" qualifies")
        for line in text.splitlines()
        if line.strip().endswith(" qualifies") and line.strip().startswith("✗")
    }
    assert qualifying == set(), text[-3000:]
    assert code == EXIT_OK, text[-3000:]
    # real-shell scenarios are skipped out loud here (tests/clawbench/test_hidden_checks.py
    # attacks repo_bugfix in docker, as `--sandbox auto`, the default, does)
    assert "skipped repo_bugfix" in text
