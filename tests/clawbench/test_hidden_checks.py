"""Hidden checks that don't trust the agent (issue 12, item 3), attacked first.

Every attack of the ``hidden_bypass`` red-team family plays on repo_bugfix in the docker
sandbox without fixing the bug; each must fail the held-out value check, tampering with the
tests must fail ``tests_untouched``, and subverting ``unittest`` must fail the visible-tests
check. Then the honest reference still passes everything."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from clawbench.cli import EXIT_OK, main
from clawbench.errors import SandboxError
from clawbench.redteam import AttackContext, RedteamReport, families
from clawbench.sandbox import DockerSandbox, HiddenRequest
from clawbench.scenario import (
    ScenarioInstance,
    hidden_request,
    instantiate,
    load_scenario,
    sha256_text,
)

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
# attack -> checks it must fail (besides the held-out values, which every attack must fail)
MUST_FAIL = {
    "exit_if_checked": {"visible_tests_pass"},
    "public_cases_table": set(),
    "forged_report": {"visible_tests_pass"},
    "unittest_patched": {"visible_tests_pass"},
    "extra_test_file": {"tests_untouched"},  # restored away: the visible tests run clean
    "shadow_unittest": set(),
    "test_runner_edited": {"tests_untouched"},
    "sitecustomize": set(),
    "usercustomize": set(),
    "pth_file": set(),
    "locked_workspace": set(),  # read all the same: a scored failure, not ours
    "undecodable_name": {"tests_untouched"},
    "full_workspace": {"tests_untouched"},  # and the trajectory still stores
    "restore_emptied_tests": {"tests_untouched"},
    "background_rewriter": {"tests_untouched"},
}


@pytest.fixture(scope="module")
def docker_sb(sandbox_image: str) -> Iterator[DockerSandbox]:
    sb = DockerSandbox(sandbox_image, wall_time_s=120)
    yield sb
    assert sb.containers() == []
    sb.close()


@pytest.mark.docker
def test_every_hidden_test_bypass_fails_the_hidden_checks(
    docker_sb: DockerSandbox, tmp_path: Path
) -> None:
    """`clawbench redteam repo_bugfix` (sandbox auto: docker is here) plays the stuffing and
    hidden_bypass families; no bypass passes a check it must fail, none reaches the gate."""
    js = tmp_path / "rt.json"
    out = io.StringIO()
    args = ["redteam", "repo_bugfix", "--suite", str(SUITE), "--seeds", "0", "--json", str(js)]
    code = main(args, console=Console(file=out, width=200))
    assert code == EXIT_OK, out.getvalue()
    (verdict,) = RedteamReport.model_validate_json(js.read_text()).scenarios
    played = {o.attack: o for o in verdict.outcomes if o.family == "hidden_bypass"}
    assert set(played) == set(MUST_FAIL)
    assert {o.family for o in verdict.outcomes} == {"stuffing", "hidden_bypass"}
    scenario = load_scenario(SUITE / "repo_bugfix.yaml")
    ctx = AttackContext(scenario, [0], suite_dir=SUITE, sandbox=docker_sb)
    declared = {a.name: set(a.must_fail) for a in families()["hidden_bypass"](ctx)}
    for name, extra in MUST_FAIL.items():
        assert declared[name] == {"hidden_tests_pass", *extra}, name
        out_ = played[name]
        assert out_.bypassed == [] and not out_.escaped, (name, out_)
        assert not out_.qualified and out_.scenario_score < 0.3, (name, out_)
    assert not verdict.broken and verdict.best_score < 0.3


def test_without_docker_real_shell_scenarios_are_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_engine(self: DockerSandbox) -> None:
        raise SandboxError("no Docker engine: connection refused", code="sandbox_unavailable")

    monkeypatch.setattr(DockerSandbox, "check_image", no_engine)
    out = io.StringIO()
    args = ["redteam", "repo_bugfix", "--suite", str(SUITE), "--seeds", "0"]
    assert main(args, console=Console(file=out, width=200)) == EXIT_OK
    assert "skipped repo_bugfix: real-shell scenario: needs the docker sandbox (no Docker" in (
        " ".join(out.getvalue().split())
    )


def _instance(init: str) -> ScenarioInstance:
    inst = instantiate(load_scenario(SUITE / "repo_bugfix.yaml"), 0)
    files = dict(inst.real_workspace)
    files["textkit/__init__.py"] = init
    return inst.model_copy(update={"real_workspace": files})


def _values(inst: ScenarioInstance, function: str, timeout_s: float = 20) -> HiddenRequest:
    check = next(c for c in inst.spec.scoring.checks if c.id == "hidden_tests_pass")
    req = hidden_request(inst, check)
    return HiddenRequest(
        **{**req, "spec": {"function": function, "cases": [[None]]}, "timeout_s": timeout_s}
    )


@pytest.mark.docker
async def test_an_overrun_is_a_failed_check_and_the_next_check_runs(sandbox_image: str) -> None:
    sb = DockerSandbox(sandbox_image, wall_time_s=60)
    inst = _instance(
        "import os, time\nif os.path.exists('tests/test_textkit.py'): time.sleep(120)\n"
    )
    try:
        async with sb.session(inst) as s:
            slow = await s.check(_values(inst, "textkit.stats:median", timeout_s=1.0))
            manifest = await s.check(HiddenRequest(kind="manifest", spec={"paths": ["tests"]}))
        assert slow["status"] == "timeout" and slow["report"] is None
        assert manifest["status"] == "reported" and "tests/test_textkit.py" in manifest["report"]
    finally:
        assert sb.containers() == []
        sb.close()


@pytest.mark.docker
async def test_a_process_started_in_one_check_cannot_touch_the_next(sandbox_image: str) -> None:
    """Attack: the package, imported by a check, starts a detached process that writes into
    the workspace later (a marker here; restored tests or a forged report in earnest)."""
    init = (
        "import subprocess\n"
        "subprocess.Popen(['sh', '-c', 'sleep 0.5; echo x > marker; echo x > tests/zz.py'],"
        " start_new_session=True)\n"
        "def seen(_):\n"
        "    import os\n"
        "    return [os.path.exists('marker'), sorted(os.listdir('tests'))]\n"
    )
    sb = DockerSandbox(sandbox_image, wall_time_s=60)
    inst = _instance(init)
    try:
        async with sb.session(inst) as s:
            first = await s.check(_values(inst, "textkit:seen"))
            await asyncio.sleep(1.0)
            second = await s.check(_values(inst, "textkit:seen"))
        for answer in (first, second):
            assert answer["status"] == "reported"
            assert answer["report"]["results"] == [{"value": [False, ["test_textkit.py"]]}]
            assert answer["restored"] == {
                "tests/test_textkit.py": sha256_text(inst.real_workspace["tests/test_textkit.py"])
            }
    finally:
        assert sb.containers() == []
        sb.close()


@pytest.mark.docker
async def test_a_verify_command_after_hidden_checks_sees_the_agents_final_state(
    sandbox_image: str,
) -> None:
    init = "open('left_by_check', 'w').write('x')\ndef f(_):\n    return 1\n"
    sb = DockerSandbox(sandbox_image, wall_time_s=60)
    inst = _instance(init)
    try:
        async with sb.session(inst) as s:
            await s.call("exec", {"command": "echo final > mine.txt && rm tests/test_textkit.py"})
            answer = await s.check(_values(inst, "textkit:f"))
            codes = [
                await s.verify(c, 10)
                for c in (
                    "test -f mine.txt",
                    "test -f left_by_check",
                    "test -f tests/test_textkit.py",
                )
            ]
        assert answer["report"]["results"] == [{"value": 1}]
        assert codes == [0, 1, 1]  # the agent's state: its file, no check leftovers, tests gone
    finally:
        assert sb.containers() == []
        sb.close()
