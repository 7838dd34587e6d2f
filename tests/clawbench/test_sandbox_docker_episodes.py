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
    assert traj.verifications == {
        "hidden_tests_pass": 0,
        "empty_still_rejected": 0,
        "visible_tests_pass": 0,
        "tests_untouched": 0,
    }
    assert traj.tool_calls[3].result.startswith("2.5\n")  # the fix really ran in the workspace
    assert score.qualified and score.scenario_score is not None and score.scenario_score >= 0.9


def test_repo_bugfix_tampering_fails_the_hidden_checks(docker_sb: DockerSandbox) -> None:
    traj, score = episode("repo_bugfix", "bad_test_tampering", 0, docker_sb)
    failed = {c.id for c in score.checks if not c.passed}
    assert failed >= {"hidden_tests_pass", "tests_untouched"}
    assert (
        traj.verifications["visible_tests_pass"] == 0
    )  # tests still "pass": only hidden ones catch it


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
