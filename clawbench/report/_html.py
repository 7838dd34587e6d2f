"""The self-contained HTML pages (a run's report, a comparison of two runs): inline CSS and
SVG, no scripts, no external assets.

Trajectories hold adversarial text (a pack steers the model; tool results echo fixtures), so
every value goes through Jinja's autoescaping, and the page's Content-Security-Policy forbids
scripts and remote loads as a second line of defence. The pages carry no clock time, so the
same records give the same bytes.
"""

from __future__ import annotations

from importlib import resources

import jinja2

from clawbench.report._compare import CompareView
from clawbench.report._plots import final_by_scenario, paired_finals, tokens_vs_success
from clawbench.report._run import RunData
from clawbench.report._view import run_view


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _signed(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def _yesno(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "no")


def _delta_class(value: float | None) -> str:
    if value is None or abs(value) <= 1e-9:
        return ""
    return "pass" if value > 0 else "fail"


def _diff_class(line: str, index: int) -> str:
    """A unified-diff line's role: the two file headers, hunk headers, additions, removals."""
    if index < 2:
        return "dh"
    if line.startswith("@@"):
        return "dhunk"
    return {"+": "dadd", "-": "ddel"}.get(line[:1], "dctx")


def _load(name: str) -> str:
    return (
        resources.files("clawbench.report")
        .joinpath(f"templates/{name}")
        .read_text(encoding="utf-8")
    )


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.globals.update(
        fmt=_fmt, yesno=_yesno, signed=_signed, delta_class=_delta_class, diff_class=_diff_class
    )
    return env


def render_html(run: RunData, *, open_first: int = 1) -> str:
    """The report page for a run folder's data (see ``load_run``)."""
    view = run_view(run)
    plots = [final_by_scenario(view.episodes), tokens_vs_success(view.episodes)]
    return (
        _env().get_template("report.html.j2").render(run=view, open_first=open_first, plots=plots)
    )


def render_compare_html(cv: CompareView) -> str:
    """The comparison page: score deltas with intervals, per-seed finals, the checks that
    flipped on which seeds, and the diff of the two packs."""
    pairs = [
        (r.scenario, r.seed, r.a, r.b) for r in cv.seed_rows if r.a is not None and r.b is not None
    ]
    return _env().get_template("compare.html.j2").render(cv=cv, plots=[paired_finals(pairs)])
