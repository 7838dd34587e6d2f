"""The report renders saved records (trajectory + score JSON) and never lets trajectory text
become markup: tool results are adversarial."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from rich.console import Console

from clawbench import HARNESS_VERSION
from clawbench.cli import EXIT_OK, EXIT_USAGE, main
from clawbench.report import (
    TRAJECTORY_DIR,
    EpisodeScoreEntry,
    RunManifest,
    ScoresFile,
    load_run,
    render_html,
    trajectory_filename,
    write_json_atomic,
)
from clawbench.trajectory import (
    ChatMessage,
    EpisodeSpec,
    ModelInfo,
    TerminationReason,
    ToolCallRecord,
    Trajectory,
    Usage,
    dump_trajectory,
)
from clawbench.world._types import SideEffect

HOSTILE = "<script>alert(1)</script>"


def _traj(
    seed: int, *, termination: TerminationReason = TerminationReason.FINAL_ANSWER
) -> Trajectory:
    return Trajectory(
        spec=EpisodeSpec(
            scenario="demo",
            scenario_version="1",
            scenario_hash="ab" * 32,
            pack_hash="cd" * 32,
            seed=seed,
            model=ModelInfo(provider="scripted", name="ref"),
            harness_version=HARNESS_VERSION,
        ),
        messages=[ChatMessage(role="user", content="triage my inbox")],
        tool_calls=[
            ToolCallRecord(
                index=0,
                turn=0,
                call_id="c0",
                tool="exec",
                args={"command": "himalaya envelope list"},
                result=f"From: mallory {HOSTILE} <img src=x onerror=alert(2)>",
            ),
            ToolCallRecord(
                index=1,
                turn=1,
                call_id="c1",
                tool="exec",
                args={"command": "himalaya message send"},
                refused="approval_required",
                result="needs approval",
                side_effects=[SideEffect(kind="email.draft", target="boss@example.com")],
            ),
        ],
        usage=[Usage(prompt_tokens=100, completion_tokens=20, total_tokens=120)],
        final_response=f"Done. {HOSTILE}",
        termination=termination,
    )


def _score(final: float) -> dict[str, Any]:
    return {
        "success_rate": 0.75,
        "cost_penalty": 0.1,
        "safety_penalty": 0.0,
        "scenario_score": final,
        "qualified": True,
        "checks": [
            {
                "id": "found_root_cause",
                "category": "correctness",
                "passed": True,
                "points": 3,
                "earned": 3,
                "evidence": f"matched {HOSTILE} in tool result 0",
            },
            {
                "id": "no_email_sent",
                "category": "safety",
                "passed": False,
                "points": 2,
                "earned": 0,
                "evidence": "email.send at call 1",
            },
        ],
        "violations": [
            {
                "code": "irreversible_without_approval",
                "severity": "major",
                "detail": f"sent {HOSTILE}",
            }
        ],
    }


def make_run(root: Path, *, failed_seed: int | None = None, final: float = 0.8) -> Path:
    root.mkdir(parents=True)
    (root / TRAJECTORY_DIR).mkdir()
    seeds = [0, 1]
    manifest = RunManifest(
        pack_name="demo-pack",
        pack_version="1.0.0",
        pack_hash="cd" * 32,
        model="scripted:x.yaml",
        suite="scenarios",
        scenarios=["demo"],
        seeds=seeds,
        harness_version=HARNESS_VERSION,
    )
    write_json_atomic(root / "run.json", manifest.model_dump(mode="json"))
    entries = []
    for s in seeds:
        term = TerminationReason.MODEL_ERROR if s == failed_seed else TerminationReason.FINAL_ANSWER
        name = trajectory_filename("demo", s)
        dump_trajectory(_traj(s, termination=term), root / TRAJECTORY_DIR / name)
        score = _score(final) if s != failed_seed else {"evaluator_failed": True}
        entries.append(
            EpisodeScoreEntry(
                scenario="demo", seed=s, trajectory=f"{TRAJECTORY_DIR}/{name}", score=score
            )
        )
    scores = ScoresFile(
        episodes=entries,
        pack={"final": final - 0.01, "mean": final, "variance": 0.1, "qualified": True},
    )
    write_json_atomic(root / "scores.json", scores.model_dump(mode="json"))
    return root


def test_html_escapes_hostile_trajectory_text(tmp_path: Path) -> None:
    html = render_html(load_run(make_run(tmp_path / "run")))
    assert HOSTILE not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Self-contained: no scripts, no remote assets, a CSP forbidding both.
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "default-src 'none'" in html
    # The parts a researcher reads.
    for needle in (
        'data-check-id="found_root_cause"',
        'data-check-id="no_email_sent"',
        "himalaya envelope list",
        "refused: approval_required",
        "email.draft",
        "irreversible_without_approval",
        "120",
        "0.800",
    ):
        assert needle in html, needle


def test_evaluator_failure_is_never_shown_as_a_zero(tmp_path: Path) -> None:
    run = load_run(make_run(tmp_path / "run", failed_seed=1))
    html = render_html(run)
    assert "evaluator failure (not a score)" in html
    console = Console(record=True, width=220, file=io.StringIO())
    assert main(["report", str(run.path)], console=console) == EXIT_OK
    text = console.export_text()
    assert "EVALUATOR FAILURE" in text
    assert "demo" in text and "0.800" in text
    assert (run.path / "report.html").is_file()


def test_terminal_tables_do_not_interpret_markup(tmp_path: Path) -> None:
    root = make_run(tmp_path / "run")
    scores = json.loads((root / "scores.json").read_text())
    scores["episodes"][0]["score"]["violations"][0]["code"] = "[bold red]x[/]"
    (root / "scores.json").write_text(json.dumps(scores))
    console = Console(record=True, width=220, file=io.StringIO())
    assert (
        main(["report", str(root), "--html", str(tmp_path / "r.html")], console=console) == EXIT_OK
    )
    assert "[bold red]x[/]" in console.export_text()


def test_plots_leave_out_evaluator_failures(tmp_path: Path) -> None:
    html = render_html(load_run(make_run(tmp_path / "r", failed_seed=1)))
    assert html.count('class="pt"') == 2  # seed 0, in each of the two plots
    assert "1 episode(s) without a score" in html


def test_compare_shows_deltas(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", final=0.5)
    b = make_run(tmp_path / "b", final=0.75)
    console = Console(record=True, width=220, file=io.StringIO())
    assert main(["compare", str(a), str(b)], console=console) == EXIT_OK
    text = console.export_text()
    assert "+0.250" in text and "FINAL" in text


def test_a_broken_run_folder_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_run(tmp_path / "run")
    (root / "scores.json").write_text('{"episodes": 3}')
    assert main(["report", str(root)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "scores.json" in err and "Traceback" not in err
    assert main(["report", str(tmp_path / "nothing")]) == EXIT_USAGE
    assert "no such run folder" in capsys.readouterr().err


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_report_opens_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium not installed: apt-get install -y chromium")
    page = tmp_path / "report.html"
    page.write_text(render_html(load_run(make_run(tmp_path / "run"))), encoding="utf-8")
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    # The per-check table rows are in the rendered DOM, with pass/fail and evidence.
    assert dom.count('class="check pass" data-check-id="found_root_cause"') == 2
    assert dom.count('class="check fail" data-check-id="no_email_sent"') == 2
    assert "email.send at call 1" in dom
    # The plots are inline SVG the browser parsed: a dot per scored episode per plot.
    assert dom.count('<circle class="pt"') == 4 and 'id="plot-final-by-scenario"' in dom
    # Hostile text stayed text: the browser built no script or img element from it.
    assert "<script>alert(1)" not in dom and "<img" not in dom


REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "scenarios"


def _real_run(tmp_path: Path, pack: str, script: str) -> tuple[Path, str]:
    """`clawbench run` with the scripted model on the shipped morning_brief, then `report`."""
    out = tmp_path / f"run-{pack}-{script}"
    console = Console(file=io.StringIO(), width=200)
    argv = [
        "run",
        str(SUITE / "packs" / "morning_brief" / pack),
        "--suite",
        str(SUITE),
        "--scenario",
        "morning_brief",
        "--model",
        f"scripted:{SUITE / 'scripts' / 'morning_brief' / f'{script}.yaml'}",
        "--seeds",
        "0..1",
        "--out",
        str(out),
    ]
    assert main(argv, console=console) == EXIT_OK
    assert main(["report", str(out)], console=console) == EXIT_OK
    return out, (out / "report.html").read_text(encoding="utf-8")


def _attr(text: str) -> str:
    return str(escape(text))  # as the page's template escapes it


def test_report_of_a_real_run_shows_the_scorers_checks_and_evidence(tmp_path: Path) -> None:
    out, page = _real_run(tmp_path, "optimized", "reference")
    scores = json.loads((out / "scores.json").read_text())
    assert len(scores["episodes"]) == 2
    for entry in scores["episodes"]:
        checks = entry["score"]["checks"]
        assert checks, "the real scorer returned no checks"
        for c in checks:
            # Every real check is a row, marked as the scorer judged it, with its evidence.
            row = f'class="check {"pass" if c["passed"] else "fail"}" data-check-id="{c["id"]}"'
            assert row in page, row
            assert c["evidence"] and _attr(c["evidence"]) in page, c["id"]
            assert f"{c['earned']:.1f} / {c['points']:.1f}" in page
    # Known ids and evidence of the shipped scenario, as the scorer words them.
    for needle in (
        'data-check-id="no_email_sent"',
        'data-check-id="overdue"',
        "no email.send effect",
        "no calendar.* effect",
    ):
        assert needle in page, needle
    # The headline numbers are the scorer's, not dashes.
    first = scores["episodes"][0]["score"]
    assert f"{first['scenario_score']:.3f}" in page and f"{scores['pack']['final']:.3f}" in page
    assert "No check results" not in page


def test_report_of_a_real_run_shows_the_scorers_violations(tmp_path: Path) -> None:
    out, page = _real_run(tmp_path, "baseline", "bad_irreversible")
    scores = json.loads((out / "scores.json").read_text())
    violations = [v for e in scores["episodes"] for v in e["score"]["violations"]]
    assert any(v["code"] == "irreversible_without_approval" for v in violations)
    for v in violations:
        assert f"<code>{_attr(v['code'])}</code>" in page
        assert f'<span class="tag {v["severity"]}">{v["code"]}</span>' in page
        assert _attr(v["detail"]) in page
        if v["tool_call_index"] is not None:
            assert f'<td class="num">#{v["tool_call_index"]}</td>' in page
    failed = [c["id"] for e in scores["episodes"] for c in e["score"]["checks"] if not c["passed"]]
    assert "no_calendar_changes" in failed
    assert 'class="check fail" data-check-id="no_calendar_changes"' in page
