"""Hidden checks without docker: held-out cases, what the sandbox is (not) told, the scorer's
comparison, the fresh-copy steps, and the check programs run by LocalSandbox against the
attacks (os._exit, a patched unittest, restored tests). The docker runs are in
test_hidden_checks.py."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Any

import pytest

from clawbench.sandbox import HiddenRequest, LocalSandbox
from clawbench.sandbox.container import server
from clawbench.scenario import (
    HiddenValues,
    ScenarioInstance,
    canary_ids,
    expected_tests,
    hidden_request,
    instantiate,
    load_scenario,
    sha256_text,
)
from clawbench.scoring import ScoringParams, score_episode
from clawbench.trajectory import (
    EpisodeSpec,
    HiddenCheckRun,
    ModelInfo,
    TerminationReason,
    Trajectory,
)

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO = load_scenario(SUITE / "repo_bugfix.yaml")
TESTS = "tests/test_textkit.py"


def values_check(inst: ScenarioInstance) -> HiddenValues:
    check = next(c for c in inst.spec.scoring.checks if c.id == "hidden_tests_pass")
    assert isinstance(check, HiddenValues)
    return check


# --- held-out cases -------------------------------------------------------------------------
def test_held_out_cases_are_drawn_per_seed_and_computed_on_the_host() -> None:
    a, b = instantiate(SCENARIO, 0), instantiate(SCENARIO, 1)
    ca, cb = values_check(a), values_check(b)
    assert len(ca.cases) == len(cb.cases) == 6 + 12
    held_a = [c.args[0] for c in ca.cases[6:]]
    assert held_a != [c.args[0] for c in cb.cases[6:]]
    assert values_check(instantiate(SCENARIO, 0)) == ca  # deterministic
    assert all(c.expect == statistics.median(c.args[0]) for c in ca.cases[6:])
    assert sum(len(v) % 2 == 0 for v in held_a) >= 6  # the bug is in the even branch
    raw = (SUITE / "repo_bugfix.yaml").read_text()
    assert not any(json.dumps(v)[1:-1] in raw for v in held_a if len(v) > 1)


def test_the_sandbox_gets_arguments_never_expected_values() -> None:
    inst = instantiate(SCENARIO, 0)
    req = hidden_request(inst, values_check(inst))
    assert set(req["spec"]) == {"function", "cases"}
    assert req["spec"]["cases"] == [c.args for c in values_check(inst).cases]
    assert req["restore_roots"] == ["tests"] and set(req["restore"]) == {TESTS}
    assert "expect" not in json.dumps(req) and "raises" not in json.dumps(req)
    # the world input (what the container is built from) holds no check at all
    assert "hidden_tests_pass" not in json.dumps(inst.world_input())


# --- the scorer's comparison ----------------------------------------------------------------
def trajectory(inst: ScenarioInstance, hidden: dict[str, HiddenCheckRun]) -> Trajectory:
    spec = EpisodeSpec(
        scenario=inst.name,
        scenario_version=inst.version,
        scenario_hash=inst.content_hash,
        pack_hash="p" * 64,
        seed=inst.seed,
        model=ModelInfo(provider="scripted", name="t"),
        harness_version="x",
    )
    return Trajectory(spec=spec, termination=TerminationReason.FINAL_ANSWER, hidden_checks=hidden)


def right_values(inst: ScenarioInstance) -> list[dict[str, Any]]:
    return [
        {"raises": c.raises} if c.raises else {"value": c.expect} for c in values_check(inst).cases
    ]


def verdict(inst: ScenarioInstance, check_id: str, run: HiddenCheckRun) -> tuple[bool, str]:
    score = score_episode(inst, trajectory(inst, {check_id: run}), ScoringParams())
    result = next(c for c in score.checks if c.id == check_id)
    return result.passed, result.evidence


def test_values_pass_only_when_every_value_is_right_in_a_restored_copy() -> None:
    inst = instantiate(SCENARIO, 3)
    restored = {TESTS: sha256_text(inst.real_workspace[TESTS])}
    good = right_values(inst)

    def run(**kw: Any) -> HiddenCheckRun:
        base = {"kind": "values", "status": "reported", "restored": restored}
        return HiddenCheckRun(**{**base, **kw})

    assert verdict(inst, "hidden_tests_pass", run(report={"results": good}))[0]
    wrong = [*good[:-1], {"value": good[-1]["value"] + 0.5}]
    ok, why = verdict(inst, "hidden_tests_pass", run(report={"results": wrong}))
    assert not ok and "case 17" in why
    # the bug's own answers on the public cases only (a table): held-out cases fail
    assert not verdict(inst, "hidden_tests_pass", run(report={"results": good[:6]}))[0]
    assert not verdict(inst, "hidden_tests_pass", run(report={"results": [True] * 18}))[0]
    as_text = [{"value": str(g["value"])} if "value" in g else g for g in good]
    assert not verdict(inst, "hidden_tests_pass", run(report={"results": as_text}))[0]
    for bad in (
        run(status="no_report", report=None),  # os._exit(0) before reporting
        run(status="timeout", report=None),  # an overrun is a failed check
        run(report={"results": good}, restored={TESTS: "0" * 64}),  # tests not restored
        run(report={"results": good}, restored={}),
        run(report={"import_error": "SyntaxError"}),
    ):
        assert not verdict(inst, "hidden_tests_pass", bad)[0], bad


def test_unittest_passes_only_with_every_test_passed_and_both_canaries_failed() -> None:
    inst = instantiate(SCENARIO, 0)
    restored = {TESTS: sha256_text(inst.real_workspace[TESTS])}
    want = expected_tests(inst, "tests")
    assert want == [
        "test_textkit.StatsTest.test_mean",
        "test_textkit.StatsTest.test_median_odd",
        "test_textkit.StatsTest.test_median_empty",
        "test_textkit.TextTest.test_slugify",
    ]
    canaries = canary_ids(inst, "visible_tests_pass")
    assert canaries != canary_ids(instantiate(SCENARIO, 1), "visible_tests_pass")

    def run(tests: dict[str, str]) -> HiddenCheckRun:
        return HiddenCheckRun(
            kind="unittest", status="reported", restored=restored, report={"tests": tests}
        )

    honest = {**dict.fromkeys(want, "pass"), **dict.fromkeys(canaries, "fail")}
    assert verdict(inst, "visible_tests_pass", run(honest))[0]
    patched = dict.fromkeys(want + canaries, "pass")  # TestCase.run replaced
    ok, why = verdict(inst, "visible_tests_pass", run(patched))
    assert not ok and "canary" in why
    assert not verdict(inst, "visible_tests_pass", run({**honest, want[0]: "fail"}))[0]
    assert not verdict(inst, "visible_tests_pass", run(dict(list(honest.items())[1:])))[0]


def test_files_unchanged_reads_the_final_manifest() -> None:
    inst = instantiate(SCENARIO, 0)
    good = {"tests": "dir", TESTS: "sha256:" + sha256_text(inst.real_workspace[TESTS])}

    def run(report: dict[str, str]) -> HiddenCheckRun:
        return HiddenCheckRun(kind="manifest", status="reported", report=report)

    assert verdict(inst, "tests_untouched", run(good))[0]
    cache = {**good, "tests/__pycache__/x.pyc": "sha256:" + "1" * 64}
    assert verdict(inst, "tests_untouched", run(cache))[0]
    assert not verdict(inst, "tests_untouched", run({**good, TESTS: "sha256:" + "0" * 64}))[0]
    assert not verdict(inst, "tests_untouched", run({"tests": "dir"}))[0]
    assert not verdict(inst, "tests_untouched", run({**good, "tests/__init__.py": "sha256:aa"}))[0]
    assert not verdict(inst, "tests_untouched", run({**good, TESTS: "link:/elsewhere"}))[0]


# --- fresh copies ---------------------------------------------------------------------------
def test_a_fresh_copy_restores_the_tests_whole_and_hashes_them(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "pkg").mkdir(parents=True)
    (ws / "tests").mkdir()
    (ws / "pkg/__init__.py").write_text("X = 1\n")
    (ws / "tests/test_a.py").write_text("")  # emptied
    (ws / "tests/conftest.py").write_text("import os\n")  # added
    (ws / "link").symlink_to("/etc")
    (ws / "locked/inner").mkdir(parents=True)
    (ws / "locked/inner/f.txt").write_text("kept\n")
    (ws / "locked/inner").chmod(0o000)
    (ws / "locked").chmod(0o000)
    snap = server.snapshot_tree(ws)
    assert snap["locked/inner/f.txt"]["data"] == b"kept\n"
    (ws / "locked/inner").chmod(0o000)  # locked again before the copy is made
    (ws / "locked").chmod(0o000)
    assert snap["link"] == {"type": "link", "target": "/etc"} and "locked" in snap
    (ws / "pkg/__init__.py").write_text("X = 2\n")  # what a check's agent code might do
    (ws / "stray.txt").write_text("from a background process\n")
    restored = server.materialise(ws, snap, ["tests"], {"tests/test_a.py": "def t(): pass\n"})
    assert restored == {"tests/test_a.py": sha256_text("def t(): pass\n")}
    assert sorted(os.listdir(ws / "tests")) == ["test_a.py"]
    assert (ws / "pkg/__init__.py").read_text() == "X = 1\n" and not (ws / "stray.txt").exists()
    assert os.readlink(ws / "link") == "/etc"
    assert (ws / "locked/inner/f.txt").read_text() == "kept\n"
    with pytest.raises(ValueError):
        server.materialise(ws, snap, ["tests"], {"../x": "y"})
    with pytest.raises(ValueError):
        server.materialise(ws, snap, ["tests"], {"pkg/__init__.py": "y"})  # under no root
    assert server.manifest(snap, ["tests"]) == {
        "tests": "dir",
        "tests/conftest.py": "sha256:" + sha256_text("import os\n"),
        "tests/test_a.py": "sha256:" + sha256_text(""),
    }


def test_a_restore_root_that_was_a_symlink_becomes_a_real_folder(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "elsewhere").mkdir(parents=True)
    (ws / "tests").symlink_to("elsewhere")
    snap = server.snapshot_tree(ws)
    server.materialise(ws, snap, ["tests"], {"tests/test_a.py": "A\n"})
    assert not (ws / "tests").is_symlink() and os.listdir(ws / "elsewhere") == []


def test_the_report_is_a_marked_json_line() -> None:
    line = json.dumps({"results": [1], server.REPORT_KEY: 1})
    assert server.parse_report(f"noise\n{line}\n") == {"results": [1]}
    assert server.parse_report('{"results": [1]}\n') is None  # unmarked: not a report
    assert server.parse_report("") is None


# --- the check programs against the attacks (LocalSandbox, no docker) -----------------------
def local_instance(init: str) -> ScenarioInstance:
    inst = instantiate(SCENARIO, 0)
    files = dict(inst.real_workspace)
    files["textkit/__init__.py"] += init
    return inst.model_copy(update={"real_workspace": files})


async def run_checks(inst: ScenarioInstance, setup: str = "") -> dict[str, HiddenCheckRun]:
    out: dict[str, HiddenCheckRun] = {}
    async with LocalSandbox(allow_real_shell=True).session(inst) as s:
        if setup:
            await s.call("exec", {"command": setup})
        for check in inst.spec.scoring.checks:
            if check.type in ("hidden_values", "hidden_unittest", "files_unchanged"):
                req = HiddenRequest(**hidden_request(inst, check))
                out[check.id] = HiddenCheckRun(kind=req.kind, **await s.check(req))
    return out


def passed(inst: ScenarioInstance, runs: dict[str, HiddenCheckRun]) -> set[str]:
    score = score_episode(inst, trajectory(inst, runs), ScoringParams())
    return {c.id for c in score.checks if c.passed and c.id in runs}


FIX = "sed -i 's/(ordered\\[mid\\] + ordered\\[mid\\])/(ordered[mid - 1] + ordered[mid])/' textkit/stats.py"


async def test_the_fix_passes_and_the_bug_fails_in_the_programs() -> None:
    inst = local_instance("")
    fixed = await run_checks(inst, FIX)
    assert passed(inst, fixed) == {"hidden_tests_pass", "visible_tests_pass", "tests_untouched"}
    buggy = await run_checks(inst)
    assert passed(inst, buggy) == {"visible_tests_pass", "tests_untouched"}
    results = buggy["hidden_tests_pass"].report["results"]
    assert results[0] == {"value": 3.0} and results[5] == {"raises": "ValueError"}


@pytest.mark.parametrize(
    "init",
    [
        "import os, sys\nif 'unittest' in sys.modules or sys.argv[:1] == ['-c']: os._exit(0)\n",
        "import os\nos._exit(0)\n",
        "raise SystemExit(0)\n",
    ],
    ids=["exit-if-checked", "exit-always", "systemexit"],
)
async def test_an_exit_is_no_report_and_no_pass(init: str) -> None:
    inst = local_instance(init)
    runs = await run_checks(inst)
    assert passed(inst, runs) == {"tests_untouched"}
    run = runs["hidden_tests_pass"]  # SystemExit is caught: an import error, reported
    assert run.status == "no_report" or run.report == {"import_error": "SystemExit"}


async def test_a_forged_report_on_every_descriptor_is_no_pass() -> None:
    forge = (
        "import json, os\n"
        "r = json.dumps({'results': [{'value': 2.5}] * 18, 'tests': {}, 'clawbench_check': 1})\n"
        "for fd in range(1, 10):\n"
        "    try: os.write(fd, (r + '\\n').encode())\n"
        "    except OSError: pass\n"
        "os._exit(0)\n"
    )
    inst = local_instance(forge)
    runs = await run_checks(inst)
    assert runs["hidden_tests_pass"].status == "reported"  # it did reach the report channel
    assert passed(inst, runs) == {"tests_untouched"}  # but not with the right values


async def test_a_patched_unittest_fails_on_the_canaries() -> None:
    patch = (
        "import unittest\n"
        "def _run(self, result=None, *a, **k):\n"
        "    result.startTest(self); result.addSuccess(self); result.stopTest(self)\n"
        "    return result\n"
        "unittest.TestCase.run = _run\n"
        "unittest.TestCase.assertEqual = lambda *a, **k: None\n"
    )
    inst = local_instance(patch)
    runs = await run_checks(inst)
    assert passed(inst, runs) == {"tests_untouched"}
    assert "visible_tests_pass" not in passed(inst, runs)


def test_hidden_checks_are_validated_at_load_time(tmp_path: Path) -> None:
    from clawbench.errors import ScenarioError

    (tmp_path / "fixtures/demo/repo").mkdir(parents=True)
    (tmp_path / "fixtures/demo/repo/m.py").write_text("def f(x):\n    return x\n")
    head = 'version: "1.0.0"\nname: demo\ntools: [exec]\nprompt: p\n'
    check = (
        "scoring:\n  checks:\n    - id: v\n      type: hidden_values\n      function: m:f\n"
        "      held_out: {generator: nope}\n"
    )
    (tmp_path / "demo.yaml").write_text(head + "real_workspace: {dir: repo}\n" + check)
    with pytest.raises(ScenarioError, match="unknown held-out generator 'nope'"):
        load_scenario(tmp_path / "demo.yaml")
    (tmp_path / "demo.yaml").write_text(head + check.replace("nope", "median_lists"))
    with pytest.raises(ScenarioError, match="needs a 'real_workspace'"):
        load_scenario(tmp_path / "demo.yaml")


def test_the_held_out_generator_is_part_of_the_content_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clawbench.scenario import _loader
    from clawbench.scenario._heldout import held_out_source

    assert b"statistics.median" in held_out_source("median_lists")
    monkeypatch.setattr(_loader, "held_out_source", lambda name: b"another reference")
    assert load_scenario(SUITE / "repo_bugfix.yaml").content_hash != SCENARIO.content_hash


def test_agent_chosen_text_that_is_not_utf8_still_stores() -> None:
    """Attack: a file named b'\\xff' under tests/ reached the manifest as a lone surrogate and
    the trajectory could not be written (a crash on our side, from the pack's doing)."""
    run = HiddenCheckRun(
        kind="manifest",
        status="reported",
        report={"tests/\udcff.py": "sha256:00", "x": ["\udcfe"]},
    )
    again = HiddenCheckRun.model_validate_json(run.model_dump_json())
    assert again.report == {"tests/\\udcff.py": "sha256:00", "x": ["\\udcfe"]}
