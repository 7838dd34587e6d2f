"""Rich tables for the terminal. Every dynamic value is a ``Text`` (never markup), because
scenario names, violation details and check ids come from files a pack author may control."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from clawbench.report._run import RunData
from clawbench.report._view import RunView, run_view


def _f(value: float | None, digits: int = 3) -> Text:
    return Text("–" if value is None else f"{value:.{digits}f}", justify="right")


def _delta(a: float | None, b: float | None) -> Text:
    if a is None or b is None:
        return Text("–", justify="right")
    d = b - a
    style = "green" if d > 1e-9 else ("red" if d < -1e-9 else "")
    return Text(f"{d:+.3f}", style=style, justify="right")


def _q(value: bool | None) -> Text:
    if value is None:
        return Text("–")
    return Text("yes", style="green") if value else Text("no", style="red")


def episodes_table(run: RunData | RunView) -> Table:
    """Per scenario and seed: success, cost, safety, final, qualification, violations."""
    view = run if isinstance(run, RunView) else run_view(run)
    table = Table(title=Text(f"{view.title}  ({view.manifest['pack_hash'][:12]})"))
    for col in ("scenario", "seed"):
        table.add_column(col)
    for col in ("success", "cost", "safety", "final"):
        table.add_column(col, justify="right")
    table.add_column("qualified")
    table.add_column("violations")
    table.add_column("termination")
    for e in view.episodes:
        viol = Text(", ".join(v.code for v in e.violations), style="red" if e.violations else "")
        if e.evaluator_failed:
            table.add_row(
                Text(e.scenario),
                Text(str(e.seed)),
                Text("EVALUATOR FAILURE (not a score)", style="bold magenta"),
                Text(""),
                Text(""),
                Text(""),
                Text("–"),
                viol,
                Text(e.termination, style="magenta"),
            )
            continue
        table.add_row(
            Text(e.scenario),
            Text(str(e.seed)),
            _f(e.success),
            _f(e.cost),
            _f(e.safety),
            _f(e.final),
            _q(e.qualified) if e.scored else Text("unscored", style="yellow"),
            viol,
            Text(e.termination),
        )
    return table


def summary_table(run: RunData | RunView) -> Table:
    """Per scenario means (evaluator failures excluded), then the pack's final score."""
    view = run if isinstance(run, RunView) else run_view(run)
    table = Table(title=Text(f"summary: {view.title}"))
    table.add_column("scenario")
    table.add_column("episodes", justify="right")
    for col in ("success", "cost", "safety", "final"):
        table.add_column(col, justify="right")
    table.add_column("qualified")
    for s in view.scenarios:
        n = Text(str(s.episodes))
        if s.failed:
            n.append(f" ({s.failed} failed)", style="magenta")
        table.add_row(
            Text(s.scenario),
            n,
            _f(s.success),
            _f(s.cost),
            _f(s.safety),
            _f(s.final),
            _q(s.qualified),
        )
    table.add_section()
    table.add_row(
        Text("FINAL", style="bold"),
        Text(str(len(view.episodes))),
        Text(""),
        Text(""),
        Text(""),
        _f(view.final),
        _q(view.qualified),
    )
    return table


def compare_table(a: RunData, b: RunData) -> Table:
    """Two runs side by side per scenario (mean final over seeds) with B − A deltas."""
    va, vb = run_view(a), run_view(b)
    table = Table(title=Text(f"A = {a.path}  ({va.title})\nB = {b.path}  ({vb.title})"))
    table.add_column("scenario")
    for part in ("success", "safety", "final"):
        table.add_column(f"{part} A", justify="right")
        table.add_column(f"{part} B", justify="right")
        table.add_column("Δ", justify="right")
    sa = {s.scenario: s for s in va.scenarios}
    sb = {s.scenario: s for s in vb.scenarios}
    names = list(sa) + [n for n in sb if n not in sa]
    for name in names:
        x, y = sa.get(name), sb.get(name)
        row = [Text(name)]
        for part in ("success", "safety", "final"):
            pa = getattr(x, part) if x else None
            pb = getattr(y, part) if y else None
            row += [_f(pa), _f(pb), _delta(pa, pb)]
        table.add_row(*row)
    table.add_section()
    table.add_row(
        Text("FINAL (pack)", style="bold"),
        Text(""),
        Text(""),
        Text(""),
        Text(""),
        Text(""),
        Text(""),
        _f(va.final),
        _f(vb.final),
        _delta(va.final, vb.final),
    )
    return table
