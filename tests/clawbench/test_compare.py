"""``clawbench compare``: deltas with their 95% interval, the checks that flipped on which
seeds, and the diff of the two packs, in the terminal, as JSON and as an HTML page. The runs
are real ``clawbench run`` subprocesses on the shipped morning_brief scenario."""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from clawbench.pack import PackMetadata, PolicyBundle
from clawbench.report import (
    compare_view,
    delta_of,
    diff_packs,
    load_run,
    render_compare_html,
)
from clawbench.report._compare import t975

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "scenarios"
PACKS = SUITE / "packs" / "morning_brief"
SCRIPTS = SUITE / "scripts" / "morning_brief"


def clawbench(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clawbench.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(columns)},
        timeout=300,
        check=False,
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """imperfect: the optimized pack replaying a script that misses two checks; reference:
    the same pack, the reference script; baseline: the baseline pack, the imperfect script."""
    root = tmp_path_factory.mktemp("compare")
    out = {}
    for name, pack, script in (
        ("imperfect", "optimized", "imperfect"),
        ("reference", "optimized", "reference"),
        ("baseline", "baseline", "imperfect"),
    ):
        out[name] = root / name
        r = clawbench(
            "run", str(PACKS / pack), "--suite", str(SUITE), "--scenario", "morning_brief",
            "--model", f"scripted:{SCRIPTS / f'{script}.yaml'}", "--seeds", "0..2",
            "--out", str(out[name]),
        )  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
    return out


# -- the interval ---------------------------------------------------------------------------


def test_t_quantiles_are_students() -> None:
    assert t975(1) == 12.706 and t975(2) == 4.303 and t975(30) == 2.042
    assert t975(35) == 2.042 and t975(45) == 2.021 and t975(1000) == 1.980
    with pytest.raises(ValueError):
        t975(0)


def test_paired_interval_over_the_same_seeds() -> None:
    d = delta_of({0: 0.5, 1: 0.7, 2: 0.6}, {0: 0.6, 1: 0.9, 2: 0.6})
    assert d.delta == pytest.approx(0.1)
    # per-seed differences 0.1, 0.2, 0.0: sd 0.1, se 0.1/sqrt(3), t(2) = 4.303
    assert d.ci95 == pytest.approx(4.303 * 0.1 / math.sqrt(3))
    assert d.method == "paired over 3 seeds"


def test_independent_interval_when_the_seeds_differ() -> None:
    a, b = {0: 0.2, 1: 0.4}, {0: 0.5, 1: 0.7, 2: 0.9}
    d = delta_of(a, b)
    assert d.delta == pytest.approx(0.7 - 0.3)
    se = math.sqrt(statistics.variance([0.2, 0.4]) / 2 + statistics.variance([0.5, 0.7, 0.9]) / 3)
    assert d.ci95 == pytest.approx(12.706 * se)  # min(nA, nB) - 1 = 1 degree of freedom
    assert d.method.startswith("independent (2 vs 3")


def test_no_interval_from_a_single_value_and_no_delta_from_nothing() -> None:
    one = delta_of({3: 0.5}, {3: 0.9})
    assert one.delta == pytest.approx(0.4) and one.ci95 is None and "single" in one.method
    none = delta_of({}, {0: 0.9})
    assert none.delta is None and none.ci95 is None


# -- the pack diff --------------------------------------------------------------------------


def _pack(files: dict[str, str], version: str = "1.0.0") -> PolicyBundle:
    return PolicyBundle(files=files, metadata=PackMetadata(pack_name="p", pack_version=version))


def test_pack_diff_names_each_file_and_counts_lines() -> None:
    a = _pack({"AGENTS.md": "one\ntwo\n", "TOOLS.md": "t\n"})
    b = _pack({"AGENTS.md": "one\n2\nthree\n", "SOUL.md": "s\n"}, version="1.0.1")
    d = diff_packs(a, b, "a" * 64, "b" * 64)
    by = {f.name: f for f in d.files}
    assert list(by) == ["AGENTS.md", "SOUL.md", "TOOLS.md", "(settings)"]
    assert (by["AGENTS.md"].status, by["AGENTS.md"].added, by["AGENTS.md"].removed) == (
        "changed",
        2,
        1,
    )
    assert "-two" in by["AGENTS.md"].lines and "+three" in by["AGENTS.md"].lines
    assert by["SOUL.md"].status == "added" and by["TOOLS.md"].status == "removed"
    assert by["(settings)"].status == "changed"  # the version moved
    assert any('"1.0.1"' in ln and ln.startswith("+") for ln in by["(settings)"].lines)
    same = diff_packs(a, a, "a" * 64, "a" * 64)
    assert same.identical and not same.changed


# -- the real command -----------------------------------------------------------------------


def test_compare_json_names_the_flipped_checks_and_seeds(runs: dict[str, Path]) -> None:
    r = clawbench("compare", str(runs["imperfect"]), str(runs["reference"]), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    flips = {c["check"]: c for c in data["checks"] if c["fixed_on_seeds"] or c["broke_on_seeds"]}
    # the imperfect script misses the overdue task and the calendar conflict on every seed
    assert set(flips) == {"overdue", "conflict"}
    for c in flips.values():
        assert c["fixed_on_seeds"] == [0, 1, 2] and c["broke_on_seeds"] == []
        assert c["a"] == {"passed": 0, "of": 3} and c["b"] == {"passed": 3, "of": 3}
    final = data["scenarios"][0]["final"]
    seeds = {s["seed"]: s for s in data["seeds"]}
    diffs = [seeds[k]["b"] - seeds[k]["a"] for k in (0, 1, 2)]
    assert final["delta"] == pytest.approx(statistics.fmean(diffs))
    assert final["ci95"] == pytest.approx(4.303 * statistics.stdev(diffs) / math.sqrt(3))
    assert final["method"] == "paired over 3 seeds"
    assert data["pack_diff"]["identical"] is True and data["html"] is None


def test_compare_terminal_fits_80_columns_and_shows_flips_and_pack_diff(
    runs: dict[str, Path],
) -> None:
    r = clawbench("compare", str(runs["imperfect"]), str(runs["reference"]))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    flip = [ln for ln in lines if ln.startswith("morning_brief  overdue")]
    assert flip and "0/3" in flip[0] and "3/3" in flip[0] and "0,1,2" in flip[0]
    assert "pack diff: the two packs are identical" in r.stdout
    for ln in lines:
        if not ln.strip().startswith(("A = ", "B = ", "HTML", "pack diff", "warning")):
            assert len(ln) <= 80, ln
    r = clawbench("compare", str(runs["baseline"]), str(runs["imperfect"]), "--pack-diff")
    assert r.returncode == 0, r.stderr
    assert "changed  AGENTS.md" in r.stdout and "added    SOUL.md" in r.stdout
    assert "checks: no check changed its verdict" in r.stdout
    soul = (PACKS / "optimized" / "SOUL.md").read_text().splitlines()
    assert "+++ B/SOUL.md" in r.stdout and f"+{soul[0]}" in r.stdout


def test_compare_html_is_deterministic_and_holds_the_flips_and_the_diff(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    page = tmp_path / "cmp.html"
    r = clawbench(
        "compare", str(runs["baseline"]), str(runs["reference"]), "--html", str(page), "--json"
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["html"] == str(page)
    html = page.read_text(encoding="utf-8")
    assert html == render_compare_html(
        compare_view(load_run(runs["baseline"]), load_run(runs["reference"]))
    )
    for cid in ("overdue", "conflict"):
        row = f'class="check-change changed" data-scenario="morning_brief" data-check-id="{cid}"'
        assert row in html
    assert (
        'class="check-change same" data-scenario="morning_brief" data-check-id="no_email_sent"'
        in html
    )
    assert '<tr data-file="SOUL.md" class="added">' in html
    assert '<details class="diff" data-file="AGENTS.md" open>' in html
    assert "paired over 3 seeds" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


def test_hostile_pack_text_stays_text(runs: dict[str, Path], tmp_path: Path) -> None:
    pack = tmp_path / "hostile"
    shutil.copytree(PACKS / "optimized", pack)
    with (pack / "AGENTS.md").open("a", encoding="utf-8") as f:
        f.write("<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n")
    out = tmp_path / "run"
    r = clawbench(
        "run", str(pack), "--suite", str(SUITE), "--scenario", "morning_brief",
        "--model", f"scripted:{SCRIPTS / 'reference.yaml'}", "--seeds", "0", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    html = render_compare_html(compare_view(load_run(runs["reference"]), load_run(out)))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert '<span class="dadd">+&lt;script&gt;alert(1)&lt;/script&gt;</span>' in html
    # a single seed in B: no interval is claimed for the delta
    assert "fewer than 2 seeds on one side: no interval" in html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_compare_html_in_headless_chromium(runs: dict[str, Path], tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium not installed: apt-get install -y chromium")
    page = tmp_path / "cmp.html"
    r = clawbench("compare", str(runs["baseline"]), str(runs["reference"]), "--html", str(page))
    assert r.returncode == 0, r.stderr
    common = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="check-change changed"') == 2
    assert 'data-file="SOUL.md"' in dom.stdout and 'class="dadd"' in dom.stdout
    shot = tmp_path / "cmp.png"
    proc = subprocess.run(
        [*common, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
