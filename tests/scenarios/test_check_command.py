"""`clawbench check` over the shipped suite, as CI runs it: every reference trajectory meets
full marks and every bad one fails as declared, under five seeds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from clawbench.cli import main

SUITE = str(Path(__file__).resolve().parents[2] / "scenarios")


def test_check_passes_on_the_suite() -> None:
    out = io.StringIO()
    assert (
        main(["check", "--suite", SUITE, "--seeds", "0..4"], console=Console(file=out, width=200))
        == 0
    )
    text = out.getvalue()
    assert "met their expectations" in text
    assert (
        "skipped repo_bugfix" in text
    )  # real-shell scenarios are skipped out loud, never silently


@pytest.mark.docker
def test_check_passes_with_real_shell_scenarios_in_docker(sandbox_image: str) -> None:
    out = io.StringIO()
    code = main(
        ["check", "--suite", SUITE, "--seeds", "0..1", "--real-shell", "docker"],
        console=Console(file=out, width=200),
    )
    assert code == 0, out.getvalue()[-2000:]
    assert "repo_bugfix/reference" in out.getvalue()
