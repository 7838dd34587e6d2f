"""`clawbench list` and `clawbench validate`: every bad file is named with its problem."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from clawbench.cli import EXIT_OK, EXIT_USAGE, main

PUBLIC_SUITE = Path(__file__).parent / "data" / "public_suite"


def _run(argv: list[str]) -> tuple[int, str]:
    console = Console(record=True, width=250, file=io.StringIO())
    code = main(argv, console=console)
    return code, console.export_text()


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    d = tmp_path / "suite"
    shutil.copytree(PUBLIC_SUITE, d)
    assert _run(["pack", "init", str(d / "packs" / "mini_inbox" / "optimized")])[0] == EXIT_OK
    (d / "scripts" / "mini_inbox").mkdir(parents=True)
    (d / "scripts" / "mini_inbox" / "reference.yaml").write_text(
        "turns:\n  - content: all good\n", encoding="utf-8"
    )
    return d


def test_list_shows_the_suite(suite: Path) -> None:
    code, out = _run(["list", "--suite", str(suite)])
    assert code == EXIT_OK
    row = next(line for line in out.splitlines() if "mini_inbox" in line)
    # name, difficulty, #checks, points, baseline (public scenarios have none), sandbox
    assert row.split() == ["mini_inbox", "medium", "6", "13", "–", "any"]


def test_validate_a_good_suite(suite: Path) -> None:
    code, out = _run(["validate", "--suite", str(suite)])
    assert code == EXIT_OK, out
    assert "3 valid, 0 invalid" in out


def test_validate_names_every_bad_file(suite: Path) -> None:
    scen = suite / "scenarios" / "mini_inbox.yaml"
    bad_scen = suite / "scenarios" / "broken.yaml"
    bad_scen.write_text(
        scen.read_text(encoding="utf-8").replace(
            "name: mini_inbox", "name: broken\nversion: '1'\nsurprise: 1"
        ),
        encoding="utf-8",
    )
    script = suite / "scripts" / "mini_inbox" / "bad_pack.yaml"
    script.write_text("pack: nonexistent\nturns:\n  - content: x\n", encoding="utf-8")
    empty = suite / "scripts" / "mini_inbox" / "bad_empty.yaml"
    empty.write_text("turns:\n  - {}\n", encoding="utf-8")
    pack_yaml = suite / "packs" / "mini_inbox" / "optimized" / "pack.yaml"
    pack_yaml.write_text(
        pack_yaml.read_text(encoding="utf-8").replace("0.1.0", "one"), encoding="utf-8"
    )
    code, out = _run(["validate", "--suite", str(suite)])
    assert code == EXIT_USAGE
    errors = [line for line in out.splitlines() if line.startswith("ERROR")]
    text = out  # a scenario error lists one problem per line, each naming the file
    assert len(errors) == 4, out
    assert f"{bad_scen}: surprise: unknown key" in text
    assert str(bad_scen) in text and "surprise" in text
    assert str(script) in text and "nonexistent" in text
    assert str(empty) in text
    assert str(pack_yaml.parent) in text and "pack_version" in text
    assert "Traceback" not in out


def test_validate_given_paths(suite: Path, tmp_path: Path) -> None:
    code, out = _run(
        [
            "validate",
            str(suite / "scenarios" / "mini_inbox.yaml"),
            str(suite / "packs" / "mini_inbox" / "optimized"),
        ]
    )
    assert code == EXIT_OK, out
    assert "2 valid, 0 invalid" in out
    other = tmp_path / "notes.txt"
    other.write_text("hi", encoding="utf-8")
    code, out = _run(["validate", str(other)])
    assert code == EXIT_USAGE and str(other) in out


def test_missing_suite_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["list", "--suite", str(tmp_path / "none")])[0] == EXIT_USAGE
    assert "no such scenario suite" in capsys.readouterr().err
