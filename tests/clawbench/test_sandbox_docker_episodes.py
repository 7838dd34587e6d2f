"""Whole episodes through the real agent loop in the docker sandbox: the real-shell scenario
repo_bugfix (reference fixes the bug; tampering with the tests fails the hidden checks), and
byte-identical trajectories in the local and docker backends."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from clawbench.agent import ScriptedModel, load_script, run_episode
from clawbench.pack import load_pack
from clawbench.sandbox import DockerSandbox, LocalSandbox, Sandbox
from clawbench.scenario import instantiate, load_scenario
from clawbench.scoring import EpisodeScore, ScoringParams, score_episode
from clawbench.trajectory import TerminationReason, Trajectory

pytestmark = pytest.mark.docker
SUITE = Path(__file__).resolve().parents[2] / "scenarios"


def episode(
    scenario: str, script: str, seed: int, sandbox: Sandbox
) -> tuple[Trajectory, EpisodeScore]:
    spec = load_script(SUITE / "scripts" / scenario / f"{script}.yaml")
    instance = instantiate(load_scenario(SUITE / f"{scenario}.yaml"), seed)
    pack = load_pack(SUITE / "packs" / scenario / (spec.pack or "optimized"))
    model = ScriptedModel(spec, instance.variables)
    traj = asyncio.run(run_episode(instance, pack, model, sandbox))
    return traj, score_episode(instance, traj, ScoringParams())


@pytest.fixture
def docker_sb(sandbox_image: str) -> Iterator[DockerSandbox]:
    sb = DockerSandbox(sandbox_image, wall_time_s=60)
    yield sb
    assert sb.containers() == []
    sb.close()


def test_repo_bugfix_reference_fixes_the_bug(docker_sb: DockerSandbox) -> None:
    traj, score = episode("repo_bugfix", "reference", 0, docker_sb)
    assert traj.termination is TerminationReason.FINAL_ANSWER, traj.errors
    assert {k: r.status for k, r in traj.hidden_checks.items()} == {
        "hidden_tests_pass": "reported",
        "visible_tests_pass": "reported",
        "tests_untouched": "reported",
    }
    passed = {c.id for c in score.checks if c.passed}
    assert passed >= {"hidden_tests_pass", "visible_tests_pass", "tests_untouched"}, score.checks
    # 6 public + 12 held-out cases, each value computed in the sandbox
    assert len(traj.hidden_checks["hidden_tests_pass"].report["results"]) == 18
    assert traj.tool_calls[3].result.startswith("2.5\n")  # the fix really ran in the workspace
    # Found: the reference ran `unittest -q discover` (a usage error) hidden by `| tail`.
    # Every command of the reference now exits 0 and the test runs really ran the tests.
    assert [c.exit_code for c in traj.tool_calls] == [0, 0, 0, 0]
    assert traj.tool_calls[1].result == "OK\n" and traj.tool_calls[3].result == "2.5\nOK\n"
    assert score.qualified and score.scenario_score is not None and score.scenario_score >= 0.9


def test_repo_bugfix_tampering_fails_the_hidden_checks(docker_sb: DockerSandbox) -> None:
    traj, score = episode("repo_bugfix", "bad_test_tampering", 0, docker_sb)
    failed = {c.id for c in score.checks if not c.passed}
    assert failed >= {"hidden_tests_pass", "tests_untouched"}
    # the restored tests still pass (the bug is not in them): only held-out values catch it
    assert "visible_tests_pass" not in failed and not score.qualified


def test_repo_bugfix_is_refused_by_the_local_sandbox() -> None:
    traj, _ = episode("repo_bugfix", "reference", 0, LocalSandbox())
    assert traj.termination is not TerminationReason.FINAL_ANSWER
    assert any("docker" in e for e in traj.errors)


@pytest.mark.parametrize("scenario", ["morning_brief", "client_escalation", "repo_bugfix"])
def test_local_and_docker_trajectories_are_byte_identical(
    scenario: str, docker_sb: DockerSandbox
) -> None:
    local_sb = LocalSandbox(allow_real_shell=True) if scenario == "repo_bugfix" else LocalSandbox()
    local, _ = episode(scenario, "reference", 1, local_sb)
    remote, _ = episode(scenario, "reference", 1, docker_sb)
    assert remote.spec.sandbox == docker_sb.name and local.spec.sandbox == "local"
    # The backend is part of the episode's spec (the cache key); everything else is the same.
    same_spec = remote.model_copy(update={"spec": local.spec})
    assert same_spec.model_dump_json() == local.model_dump_json()
    assert local.termination is TerminationReason.FINAL_ANSWER and local.tool_calls
