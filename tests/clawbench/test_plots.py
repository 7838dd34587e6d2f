"""Inline SVG plots in the HTML pages: each dot is a record's number at the place the axis
says, evaluator failures are not plotted, names stay text, and the bytes are deterministic."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clawbench.report._plots import (
    PLOT_BOTTOM,
    TOP,
    final_by_scenario,
    paired_finals,
    tokens_vs_success,
)
from clawbench.report._view import EpisodeView

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "scenarios"


def _y(value: float) -> str:
    return f"{TOP + (1 - value) * (PLOT_BOTTOM - TOP):.1f}"


def _dots(html: str, plot_id: str) -> list[dict[str, str]]:
    start = html.index(f'id="{plot_id}"')
    figure = html[start : html.index("</figure>", start)]
    return [
        dict(zip(("cx", "cy", "scenario", "seed"), m, strict=True))
        for m in re.findall(
            r'<circle class="pt" cx="([\d.]+)" cy="([\d.]+)"[^>]*data-scenario="([^"]*)" '
            r'data-seed="(\d+)"',
            figure,
        )
    ]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plots") / "run"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "clawbench.cli",
            "run",
            str(SUITE / "packs" / "morning_brief" / "optimized"),
            "--suite",
            str(SUITE),
            "--scenario",
            "morning_brief",
            "--scenario",
            "team_standup",
            "--model",
            f"scripted:{SUITE / 'scripts'}",
            "--seeds",
            "0..2",
            "--out",
            str(out),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def _report(run_dir: Path, page: Path) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "clawbench.cli", "report", str(run_dir), "--html", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert r.returncode == 0, r.stderr
    return page.read_text(encoding="utf-8")


def test_each_scored_episode_is_a_dot_at_its_final_score(run_dir: Path, tmp_path: Path) -> None:
    html = _report(run_dir, tmp_path / "a.html")
    scores = json.loads((run_dir / "scores.json").read_text())["episodes"]
    dots = _dots(html, "plot-final-by-scenario")
    assert len(dots) == len(scores) == 6
    by = {(d["scenario"], int(d["seed"])): d for d in dots}
    for e in scores:
        assert by[(e["scenario"], e["seed"])]["cy"] == _y(e["score"]["scenario_score"])
    # tokens vs success: same episodes, y is the success rate
    dots = _dots(html, "plot-tokens-vs-success")
    by = {(d["scenario"], int(d["seed"])): d for d in dots}
    assert len(by) == 6
    for e in scores:
        assert by[(e["scenario"], e["seed"])]["cy"] == _y(e["score"]["success_rate"])
    # the two scenarios sit in their own columns, in the run's order
    xs = {d["scenario"]: float(d["cx"]) for d in _dots(html, "plot-final-by-scenario")}
    assert xs["morning_brief"] < xs["team_standup"]


def test_the_page_is_the_same_bytes_every_time(run_dir: Path, tmp_path: Path) -> None:
    first = _report(run_dir, tmp_path / "a.html")
    assert _report(run_dir, tmp_path / "b.html") == first
    assert "<script" not in first and "xlink:href" not in first and "url(" not in first


def _episode(scenario: str, seed: int, final: float | None, failed: bool = False) -> EpisodeView:
    return EpisodeView(
        scenario=scenario,
        seed=seed,
        termination="model_error" if failed else "final_answer",
        evaluator_failed=failed,
        scored=True,
        success=final,
        final=final,
        total_tokens=1000 * (seed + 1),
    )


def test_evaluator_failures_are_not_plotted_and_the_caption_says_so() -> None:
    eps = [_episode("demo", 0, 0.5), _episode("demo", 1, None, failed=True)]
    for svg in (final_by_scenario(eps), tokens_vs_success(eps)):
        assert str(svg).count('class="pt"') == 1
        assert "1 episode(s) without a score" in svg


def test_names_stay_text_and_long_names_move_to_a_numbered_key() -> None:
    hostile = "<script>alert(1)</script>"
    svg = str(final_by_scenario([_episode(hostile, 0, 0.9)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    long = [_episode(f"scenario_with_a_rather_long_identifier_{i}", 0, 0.5) for i in range(9)]
    svg = str(final_by_scenario(long))
    assert ">1 scenario_with_a_rather_long_identifier_0<" in svg  # the key, whole
    assert ">9</text>" in svg  # the axis label is the key's number
    height = int(re.search(r'height="(\d+)"', svg).group(1))  # type: ignore[union-attr]
    last_key = max(float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)" fill', svg))
    assert last_key < height  # the key is inside the picture


def test_paired_plot_puts_b_better_above_the_diagonal() -> None:
    svg = str(paired_finals([("demo", 0, 0.25, 0.75), ("demo", 1, 0.75, 0.25)]))
    dots = re.findall(r'cx="([\d.]+)" cy="([\d.]+)"[^>]*data-seed="(\d)"', svg)
    pos = {seed: (float(x), float(y)) for x, y, seed in dots}
    assert pos["0"][1] == float(_y(0.75)) and pos["1"][1] == float(_y(0.25))
    assert pos["0"][1] < pos["1"][1]  # SVG y grows downwards: seed 0 (B better) is higher
