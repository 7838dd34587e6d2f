"""Rich tables for the terminal. Every dynamic value is a ``Text`` (never markup), because
scenario names, violation details and check ids come from files a pack author may control.

Tables fit 80 columns and a pipe: identifiers (scenario names, check ids) are never cut,
numbers never wrap, and only the free-text columns (violations, termination) fold.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from clawbench.report._compare import CompareView, Delta
from clawbench.report._run import RunData
from clawbench.report._view import RunView, run_view


def fitted_table(title: str | Text | None = None, caption: str | Text | None = None) -> Table:
    """A compact table (no vertical rules, one space between columns) that fits narrow
    terminals; add columns with ``id_column``, ``num_column`` and ``text_column``."""
    return Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
        caption_justify="left",
        show_edge=False,
    )


def id_column(table: Table, header: str, values: Iterable[str]) -> None:
    """An identifier column: as wide as its longest value, never wrapped or cut."""
    width = max([len(header), *(len(v) for v in values)])
    table.add_column(header, no_wrap=True, min_width=width, overflow="ignore")


def num_column(table: Table, header: str, width: int = 5) -> None:
    """A number column: right-aligned, never wrapped, at least ``width`` wide (0.000)."""
    table.add_column(header, justify="right", no_wrap=True, min_width=max(width, len(header)))


def text_column(table: Table, header: str, values: Iterable[str] = ()) -> None:
    """Free text: wraps between words, and is at least as wide as its longest word (given
    ``values``), so a reason code such as ``not_qualified`` is never split in two."""
    words = [len(w) for v in values for w in v.split()]
    table.add_column(header, overflow="fold", min_width=max([len(header), *words]))


def fits(table: Table, width: int | None) -> bool:
    """Whether ``table`` renders within ``width`` columns without cutting anything."""
    if width is None:
        return True
    probe = Console(width=10_000, file=io.StringIO())
    return Measurement.get(probe, probe.options, table).minimum <= width


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


def _view(run: RunData | RunView) -> RunView:
    return run if isinstance(run, RunView) else run_view(run)


def _note(view: RunView) -> Text | None:
    note = view.verdict_note
    return Text(f"note: {note}; the numbers are no verdict", style="magenta") if note else None


def episodes_table(run: RunData | RunView, width: int | None = None) -> Table:
    """Per scenario and seed: success, cost, safety, final, qualification, violations.
    When that is wider than ``width``, cost and safety are left out (the summary has them)."""
    full = _episodes_table(_view(run), narrow=False)
    return full if fits(full, width) else _episodes_table(_view(run), narrow=True)


def _episodes_table(view: RunView, *, narrow: bool) -> Table:
    caption = "cost and safety per scenario: see the summary (or --json)" if narrow else None
    table = fitted_table(Text(f"{view.title}  ({view.manifest['pack_hash'][:12]})"), caption)
    id_column(table, "scenario", [e.scenario for e in view.episodes])
    num_column(table, "seed", 2)
    for col in ("succ", "final") if narrow else ("succ", "cost", "safe", "final"):
        num_column(table, col)
    table.add_column("qual", no_wrap=True, min_width=4)
    table.add_column("ended", overflow="fold", min_width=5)
    text_column(table, "viol")
    for e in view.episodes:
        viol = Text(", ".join(v.code for v in e.violations), style="red" if e.violations else "")
        if e.evaluator_failed:
            table.add_row(
                Text(e.scenario),
                Text(str(e.seed)),
                *[Text("–", justify="right")] * (2 if narrow else 4),
                Text("–"),
                Text(e.termination, style="magenta"),
                Text("EVALUATOR FAILURE, not a score", style="bold magenta"),
            )
            continue
        parts = [e.success, e.final] if narrow else [e.success, e.cost, e.safety, e.final]
        table.add_row(
            Text(e.scenario),
            Text(str(e.seed)),
            *[_f(x) for x in parts],
            _q(e.qualified) if e.scored else Text("unscored", style="yellow"),
            Text(e.termination),
            viol,
        )
    return table


def summary_table(run: RunData | RunView) -> Table:
    """Per scenario means (evaluator failures excluded), then the pack's final score over
    "n of N" episodes; a partial run or one with evaluator failures says it is no verdict."""
    view = _view(run)
    table = fitted_table(Text(f"summary: {view.title}"), caption=_note(view))
    id_column(table, "scenario", [s.scenario for s in view.scenarios] + ["FINAL"])
    table.add_column("episodes", justify="right", overflow="fold")
    for col in ("succ", "cost", "safe", "final"):
        num_column(table, col)
    table.add_column("qual", no_wrap=True, min_width=4)
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
    coverage = Text(f"{len(view.episodes)} of {view.expected}")
    if not view.complete:
        coverage.stylize("bold magenta")
    table.add_row(
        Text("FINAL", style="bold"),
        coverage,
        Text(""),
        Text(""),
        Text(""),
        _f(view.final),
        _q(view.qualified),
    )
    return table


def coverage_warnings(a: RunView, b: RunView) -> list[str]:
    """Why two runs are not like for like: other scenarios, other seeds, partial runs."""
    out = []
    sa, sb = set(a.manifest["scenarios"]), set(b.manifest["scenarios"])
    if sa != sb:
        only_a, only_b = sorted(sa - sb), sorted(sb - sa)
        parts = []
        if only_a:
            parts.append(f"only A: {', '.join(only_a)}")
        if only_b:
            parts.append(f"only B: {', '.join(only_b)}")
        out.append(f"the runs cover different scenarios ({'; '.join(parts)})")
    if a.manifest["seeds"] != b.manifest["seeds"]:
        out.append(
            f"the runs use different seeds (A {a.manifest['seeds']}, B {b.manifest['seeds']})"
        )
    for name, v in (("A", a), ("B", b)):
        if v.verdict_note:
            out.append(f"{name}: {v.verdict_note}")
    return out


def _pm(d: Delta) -> Text:
    return Text("–" if d.ci95 is None else f"±{d.ci95:.3f}", justify="right", style="dim")


def compare_table(cv: CompareView, width: int | None = None) -> Table:
    """Two runs side by side per scenario (means over seeds) with B − A deltas and the 95%
    interval of the final's delta. When that is wider than ``width``, success and safety show
    only their deltas."""
    full = _compare_table(cv, narrow=False)
    return full if fits(full, width) else _compare_table(cv, narrow=True)


def _compare_table(cv: CompareView, *, narrow: bool) -> Table:
    va, vb = cv.a, cv.b
    sa = {s.scenario: s for s in va.scenarios}
    sb = {s.scenario: s for s in vb.scenarios}
    names = cv.scenarios
    table = fitted_table(
        Text(f"A = {va.path}  ({va.title})\nB = {vb.path}  ({vb.title})"),
        Text("±: 95% interval of the final's Δ over seeds (paired when both ran the same)"),
    )
    id_column(table, "scenario", [*names, "FINAL (pack)", "episode mean"])
    shown: list[tuple[str, bool]] = []  # (part, with A and B columns)
    for part in ("success", "safety", "final"):
        short = {"success": "succ", "safety": "safe", "final": "final"}[part]
        both = not narrow or part == "final"
        shown.append((part, both))
        if both:
            num_column(table, f"{short} A")
            num_column(table, f"{short} B")
            num_column(table, "Δ" if not narrow else f"{short} Δ")
        else:
            num_column(table, f"{short} Δ", 6)
    num_column(table, "±", 6)
    for name in names:
        x, y = sa.get(name), sb.get(name)
        row = [Text(name)]
        for part, both in shown:
            pa = getattr(x, part) if x else None
            pb = getattr(y, part) if y else None
            row += [_f(pa), _f(pb), _delta(pa, pb)] if both else [_delta(pa, pb)]
        table.add_row(*row, _pm(cv.deltas[name]))
    table.add_section()
    blanks = [Text("")] * sum(3 if both else 1 for part, both in shown if part != "final")
    table.add_row(
        Text("FINAL (pack)", style="bold"),
        *blanks,
        _f(va.final),
        _f(vb.final),
        _delta(va.final, vb.final),
        Text(""),
    )
    o = cv.overall
    table.add_row(Text("episode mean"), *blanks, _f(o.a), _f(o.b), _delta(o.a, o.b), _pm(o))
    return table


def _seeds(seeds: list[int]) -> str:
    return ",".join(str(s) for s in seeds) if seeds else ""


def check_changes_table(cv: CompareView, width: int | None = None) -> Table | None:
    """The checks whose verdict changed between A and B: passes out of scored episodes in
    each run, and the seeds (scored in both) where a check was fixed or broke. None when no
    check changed."""
    flips = cv.flips
    if not flips:
        return None
    table = fitted_table(
        Text("checks that changed (B vs A)"),
        Text("fixed: failed in A, passed in B; broke: the reverse; on seeds scored in both"),
    )
    id_column(table, "scenario", [c.scenario for c in flips])
    id_column(table, "check", [c.check for c in flips])
    table.add_column("A", justify="right", no_wrap=True)
    table.add_column("B", justify="right", no_wrap=True)
    table.add_column("fixed on seeds", overflow="fold", style="green")
    table.add_column("broke on seeds", overflow="fold", style="red")
    for c in flips:
        table.add_row(
            Text(c.scenario),
            Text(c.check),
            Text(f"{c.a_passed}/{c.a_total}" if c.a_total else "–"),
            Text(f"{c.b_passed}/{c.b_total}" if c.b_total else "–"),
            Text(_seeds(c.fixed)),
            Text(_seeds(c.broke)),
        )
    return table


def pack_diff_lines(cv: CompareView) -> list[str]:
    """One line per pack file that differs between A's and B's pack (a summary; the full
    diff is in ``--html`` and ``--json``)."""
    d = cv.pack_diff
    if d.note:
        return [f"pack diff: {d.note}"]
    if d.identical:
        return [f"pack diff: the two packs are identical ({d.hash_a[:12]})"]
    out = [f"pack diff: A {d.hash_a[:12]} -> B {d.hash_b[:12]}"]
    for f in d.changed:
        out.append(f"  {f.status:<8} {f.name}  (+{f.added} -{f.removed})")
    return out
