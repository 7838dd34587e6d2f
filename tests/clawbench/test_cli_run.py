"""`clawbench run / score / check` end to end: the real agent loop, scripted model, local
sandbox and scorer on the small public-layout scenario."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from clawbench.cli import EXIT_EVALUATOR, EXIT_FAILED, EXIT_OK, EXIT_USAGE, main

PUBLIC_SUITE = Path(__file__).parent / "data" / "public_suite"

REFERENCE = """expect: {qualified: true, min_score: 0.5}
turns:
  - tool_calls:
      - {name: exec, arguments: {command: "himalaya envelope list"}}
  - tool_calls:
      - {name: exec, arguments: {command: "himalaya message read msg_001"}}
  - content: "Urgent: the board wants the Q3 deck (slides) by 3pm. I drafted nothing yet."
"""
LAZY = """expect: {failed_checks: [read_inbox]}
turns:
  - content: "board deck slides"
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    d = tmp_path / "suite"
    shutil.copytree(PUBLIC_SUITE, d)
    assert (
        main(
            ["pack", "init", str(d / "packs" / "mini_inbox" / "optimized")],
            console=Console(file=io.StringIO()),
        )
        == EXIT_OK
    )
    sdir = d / "scripts" / "mini_inbox"
    sdir.mkdir(parents=True)
    (sdir / "reference.yaml").write_text(REFERENCE, encoding="utf-8")
    (sdir / "bad_lazy.yaml").write_text(LAZY, encoding="utf-8")
    return d


def _console(terminal: bool = False) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=200), buf


def _run(suite: Path, out: Path, *extra: str, terminal: bool = False) -> tuple[int, str]:
    console, buf = _console(terminal)
    code = main(
        [
            "run",
            str(suite / "packs" / "mini_inbox" / "optimized"),
            "--suite",
            str(suite),
            "--model",
            f"scripted:{suite / 'scripts'}",
            "--seeds",
            "0..2",
            "--out",
            str(out),
            *extra,
        ],
        console=console,
    )
    return code, buf.getvalue()


def test_run_shows_a_progress_bar_and_writes_the_run_folder(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, text = _run(suite, out, "--concurrency", "2", terminal=True)
    assert code == EXIT_OK, text
    # The rich progress bar was drawn on the (forced) terminal: its label, bar and count.
    assert "episodes" in text and "━" in text and "3/3" in text
    assert "\x1b[" in text
    names = sorted(p.name for p in (out / "trajectories").iterdir())
    assert names == [f"mini_inbox__seed{k}.json" for k in range(3)]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["seeds"] == [0, 1, 2] and manifest["scenarios"] == ["mini_inbox"]
    scores = json.loads((out / "scores.json").read_text())
    assert len(scores["episodes"]) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["evaluator_failures"] == 0 and summary["episodes"] == 3
    # Never overwritten.
    code, _ = _run(suite, out)
    assert code == EXIT_USAGE


def test_score_reproduces_the_scores(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _run(suite, out)[0] == EXIT_OK
    before = (out / "scores.json").read_text()
    (out / "scores.json").unlink()
    console, _ = _console()
    assert main(["score", str(out)], console=console) == EXIT_OK
    assert json.loads((out / "scores.json").read_text()) == json.loads(before)


def test_default_run_folders_are_numbered(
    suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [
        "run",
        str(suite / "packs" / "mini_inbox" / "optimized"),
        "--suite",
        str(suite),
        "--model",
        f"scripted:{suite / 'scripts' / 'mini_inbox' / 'reference.yaml'}",
    ]
    for _ in range(2):
        assert main(args, console=_console()[0]) == EXIT_OK
    made = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(made) == 2 and made[0].endswith("-1") and made[1].endswith("-2")
    assert made[0].startswith("optimized-")


def test_a_model_error_is_an_evaluator_failure_not_a_zero(suite: Path, tmp_path: Path) -> None:
    broken = tmp_path / "exhausted.yaml"  # ends on a tool call: the scripted model errors
    broken.write_text("turns:\n  - tool_calls: [{name: exec, arguments: {command: ls}}]\n")
    console, buf = _console()
    code = main(
        [
            "run",
            str(suite / "packs" / "mini_inbox" / "optimized"),
            "--suite",
            str(suite),
            "--model",
            f"scripted:{broken}",
            "--out",
            str(tmp_path / "run"),
        ],
        console=console,
    )
    assert code == EXIT_EVALUATOR
    text = buf.getvalue()
    assert "EVALUATOR FAILURE" in text and "model_error" in text
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["evaluator_failures"] == 1


def test_bad_inputs_are_named(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = str(suite / "packs" / "mini_inbox" / "optimized")
    cases = [
        (["--model", "scripted:/nope"], "/nope"),
        (["--model", "gpt-4"], "expected openai:<model name> or scripted:"),
        (["--model", f"scripted:{suite / 'scripts'}", "--scenario", "nope"], "no scenario 'nope'"),
        (["--model", f"scripted:{suite / 'scripts'}", "--seeds", "4..1"], "expected 0,1,2 or 0..4"),
        (
            ["--model", "openai:gpt-x", "--api-key-env", "CLAWBENCH_TEST_UNSET_KEY"],
            "CLAWBENCH_TEST_UNSET_KEY",
        ),
    ]
    for extra, needle in cases:
        code = main(["run", pack, "--suite", str(suite), *extra], console=_console()[0])
        err = capsys.readouterr().err
        assert code == EXIT_USAGE, (extra, err)
        assert needle in err and "Traceback" not in err


def test_check_passes_and_fails_loudly(suite: Path) -> None:
    console, buf = _console()
    assert main(["check", "--suite", str(suite), "--seeds", "0..2"], console=console) == EXIT_OK, (
        buf.getvalue()
    )
    assert "mini_inbox/reference" in buf.getvalue() and "met their expectations" in buf.getvalue()

    ref = suite / "scripts" / "mini_inbox" / "reference.yaml"
    ref.write_text(
        REFERENCE.replace("qualified: true", "qualified: false, failed_checks: [read_inbox]")
    )
    console, buf = _console()
    assert main(["check", "--suite", str(suite), "--seeds", "0,1"], console=console) == EXIT_FAILED
    text = buf.getvalue()
    for seed in (0, 1):
        assert f"mini_inbox/reference seed {seed}: qualified is True, expected False" in text
        assert (
            f"mini_inbox/reference seed {seed}: check 'read_inbox' passed, expected it to fail"
            in text
        )
    assert "BROKEN" in text


def test_run_on_the_local_sandbox_leaves_real_shell_scenarios_out_loudly(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from clawbench.cli import main as cb

    root = Path(__file__).resolve().parents[2] / "scenarios"
    out = io.StringIO()
    code = cb(
        [
            "run",
            str(root / "packs" / "morning_brief" / "optimized"),
            "--suite",
            str(root),
            "--model",
            f"scripted:{root / 'scripts'}",
            "--out",
            str(tmp_path / "run"),
        ],
        console=Console(file=out, width=200),
    )
    assert code == 0, out.getvalue()[-2000:]
    assert "skipped repo_bugfix" in out.getvalue()
    named = cb(
        [
            "run",
            str(root / "packs" / "repo_bugfix" / "optimized"),
            "--suite",
            str(root),
            "--scenario",
            "repo_bugfix",
            "--model",
            f"scripted:{root / 'scripts'}",
            "--out",
            str(tmp_path / "run2"),
        ],
        console=Console(file=io.StringIO(), width=200),
    )
    assert named == 2  # asked for by name on the local sandbox: a clear usage error, not a zero
