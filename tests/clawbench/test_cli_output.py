"""Terminal output that fits, and ``--json`` on every table command: the real ``clawbench``
command as a subprocess, piped (so rich sees no terminal) at 80 and 100 columns."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PUBLIC_SUITE = Path(__file__).parent / "data" / "public_suite"
LONG = "confidential_handling_under_audit"  # a long scenario id: must never be cut
REFERENCE = """turns:
  - tool_calls:
      - {name: exec, arguments: {command: "himalaya envelope list"}}
  - content: "Urgent: the board wants the Q3 deck (slides) by 3pm."
"""


def clawbench(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "clawbench.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A suite with a long-named scenario (a copy of mini_inbox) and two runs of it."""
    root = tmp_path_factory.mktemp("out")
    suite = root / "suite"
    shutil.copytree(PUBLIC_SUITE, suite)
    src = (suite / "scenarios" / "mini_inbox.yaml").read_text(encoding="utf-8")
    (suite / "scenarios" / f"{LONG}.yaml").write_text(
        src.replace("name: mini_inbox", f"name: {LONG}"), encoding="utf-8"
    )
    shutil.copytree(suite / "fixtures" / "mini_inbox", suite / "fixtures" / LONG)
    script = root / "reference.yaml"
    script.write_text(REFERENCE, encoding="utf-8")
    pack = root / "pack"
    assert clawbench("pack", "init", str(pack)).returncode == 0
    outs = []
    for name, seeds in (("a", "0..1"), ("b", "0..2")):
        out = root / name
        r = clawbench(
            "run", str(pack), "--suite", str(suite), "--model", f"scripted:{script}",
            "--seeds", seeds, "--out", str(out),
        )  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
        outs.append(out)
    return suite, outs[0], outs[1]


@pytest.mark.parametrize("columns", [80, 100])
def test_ids_are_never_cut_and_lines_fit(runs: tuple[Path, Path, Path], columns: int) -> None:
    suite, a, b = runs
    for args in (("report", str(a)), ("compare", str(a), str(b)), ("list", "--suite", str(suite))):
        r = clawbench(*args, columns=columns)
        assert r.returncode == 0, r.stderr
        table_lines = [ln for ln in r.stdout.splitlines() if LONG in ln or "mini_inbox" in ln]
        assert any(LONG in ln for ln in table_lines), (args, r.stdout)
        assert not any("…" in ln for ln in r.stdout.splitlines()), r.stdout
        for ln in r.stdout.splitlines():
            if ln.startswith(("A = ", "B = ", "HTML report:", "warning:")):
                continue  # paths: printed whole on one line so they can be copied
            assert len(ln) <= columns, (args, ln)


def test_report_says_n_of_n_in_the_final_row(runs: tuple[Path, Path, Path]) -> None:
    _, a, _ = runs
    r = clawbench("report", str(a))
    final = [ln for ln in r.stdout.splitlines() if ln.startswith("FINAL")]
    assert final and "4 of 4" in final[0]


def test_json_on_every_table_command(runs: tuple[Path, Path, Path]) -> None:
    suite, a, b = runs
    listed = json.loads(clawbench("list", "--suite", str(suite), "--json").stdout)
    names = {s["name"]: s for s in listed["scenarios"]}
    assert set(names) == {LONG, "mini_inbox"} and "weight" not in names[LONG]
    assert names[LONG]["docker_only"] is False and listed["broken"] == {}

    rep = clawbench("report", str(a), "--json")
    data = json.loads(rep.stdout)  # stdout is only the JSON
    assert data["episodes_expected"] == 4 and len(data["episodes"]) == 4
    assert data["complete"] is True and data["verdict"] is True
    assert "HTML report:" in rep.stderr

    cmp_ = json.loads(clawbench("compare", str(a), str(b), "--json").stdout)
    assert cmp_["a"]["episodes"] == 4 and cmp_["b"]["episodes"] == 6
    assert any("different seeds" in w for w in cmp_["warnings"])
    assert {r["scenario"] for r in cmp_["scenarios"]} == {LONG, "mini_inbox"}

    score = json.loads(clawbench("score", str(b), "--json").stdout)
    assert score["episodes"] and score["final"] is not None


def test_list_marks_docker_only_scenarios_and_has_no_weight_column() -> None:
    r = clawbench("list", "--suite", "scenarios", columns=100)
    assert r.returncode == 0, r.stderr
    header = next(ln for ln in r.stdout.splitlines() if ln.startswith("name"))
    assert "weight" not in header
    bugfix = next(ln for ln in r.stdout.splitlines() if ln.startswith("repo_bugfix"))
    assert "docker only" in bugfix


def test_one_broken_scenario_is_reported_and_blocks_only_itself(
    runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(runs[0], suite)
    (suite / "scenarios" / "broken.yaml").write_text("name: broken\n  bad: [x\n")
    r = clawbench("list", "--suite", str(suite))
    assert r.returncode == 2
    assert "mini_inbox" in r.stdout and LONG in r.stdout
    lines = [ln for ln in r.stdout.splitlines() if "broken.yaml" in ln]
    assert len(lines) == 1 and "invalid YAML at line 2, column" in lines[0]
    pack = runs[0].parent / "pack"
    script = runs[0].parent / "reference.yaml"
    common = ["--suite", str(suite), "--model", f"scripted:{script}"]
    ok = clawbench(
        "run", str(pack), *common, "--scenario", "mini_inbox", "--out", str(tmp_path / "r")
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    named = clawbench(
        "run", str(pack), *common, "--scenario", "broken", "--out", str(tmp_path / "x")
    )
    assert named.returncode == 2 and "invalid YAML at line 2" in named.stderr
    assert len(named.stderr.strip().splitlines()) == 1


def test_pack_files_rule_is_explicit(tmp_path: Path) -> None:
    pack = tmp_path / "p"
    assert clawbench("pack", "init", str(pack)).returncode == 0
    (pack / "notes.txt").write_text("my notes", encoding="utf-8")
    (pack / ".draft.md").write_text("hidden", encoding="utf-8")
    ok = clawbench("pack", "validate", str(pack))
    assert ok.returncode == 0, ok.stderr
    # every non-hidden file beside pack.yaml is a pack file, and validate says which
    assert "files: AGENTS.md, SOUL.md, notes.txt" in ok.stdout
    (pack / "extra").mkdir()
    (pack / "extra" / "TOOLS.md").write_text("x", encoding="utf-8")
    bad = clawbench("pack", "validate", str(pack))
    assert bad.returncode == 2 and "a pack directory is flat" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
