"""The self-contained HTML report: inline CSS, no scripts, no external assets.

Trajectories hold adversarial text (a pack steers the model; tool results echo fixtures), so
every value goes through Jinja's autoescaping, and the page's Content-Security-Policy forbids
scripts and remote loads as a second line of defence.
"""

from __future__ import annotations

from importlib import resources

import jinja2

from clawbench.report._run import RunData
from clawbench.report._view import run_view


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _yesno(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "no")


def _template() -> jinja2.Template:
    source = (
        resources.files("clawbench.report")
        .joinpath("templates/report.html.j2")
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(autoescape=True)
    env.globals.update(fmt=_fmt, yesno=_yesno)
    return env.from_string(source)


def render_html(run: RunData, *, open_first: int = 1) -> str:
    """The report page for a run folder's data (see ``load_run``)."""
    return _template().render(run=run_view(run), open_first=open_first)
