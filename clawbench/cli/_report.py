"""``clawbench report`` and ``clawbench compare``."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path
from typing import Any

from clawbench.cli._app import EXIT_OK, Ctx, add_json_flag
from clawbench.report import (
    RunView,
    compare_table,
    coverage_warnings,
    episodes_list,
    episodes_table,
    load_run,
    render_html,
    run_view,
    summary_dict,
    summary_table,
)


def cmd_report(args: argparse.Namespace, ctx: Ctx) -> int:
    run = load_run(args.run_dir)
    view = run_view(run)
    out = Path(args.html) if args.html else run.path / "report.html"
    out.write_text(render_html(run), encoding="utf-8")
    if ctx.json:
        ctx.emit({**summary_dict(view), "html": str(out), "episodes": episodes_list(view)})
    else:
        ctx.console.print(episodes_table(view, ctx.console.width))
        ctx.console.print(summary_table(view))
    ctx.say(f"HTML report: {out}")
    if args.open_browser == "yes":
        webbrowser.open(out.resolve().as_uri())
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, ctx: Ctx) -> int:
    a, b = load_run(args.run_a), load_run(args.run_b)
    va, vb = run_view(a), run_view(b)
    warnings = coverage_warnings(va, vb)
    if ctx.json:
        ctx.emit(compare_dict(va, vb, warnings))
    else:
        ctx.console.print(compare_table(a, b, ctx.console.width))
    for warning in warnings:
        ctx.say(f"warning: {warning}", "yellow")
    return EXIT_OK


def compare_dict(va: RunView, vb: RunView, warnings: list[str]) -> dict[str, Any]:
    sa = {s.scenario: s for s in va.scenarios}
    sb = {s.scenario: s for s in vb.scenarios}
    rows = []
    for name in list(sa) + [n for n in sb if n not in sa]:
        row: dict[str, Any] = {"scenario": name}
        for part in ("success", "safety", "final"):
            x = getattr(sa[name], part) if name in sa else None
            y = getattr(sb[name], part) if name in sb else None
            row[part] = {"a": x, "b": y, "delta": None if x is None or y is None else y - x}
        rows.append(row)
    return {
        "a": {"run_dir": va.path, **summary_dict(va)},
        "b": {"run_dir": vb.path, **summary_dict(vb)},
        "scenarios": rows,
        "final_delta": None if va.final is None or vb.final is None else vb.final - va.final,
        "warnings": warnings,
    }


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="terminal tables and a self-contained HTML page for a run")
    p.add_argument("run_dir")
    p.add_argument(
        "--html", metavar="FILE", help="where to write the HTML (default RUN_DIR/report.html)"
    )
    p.add_argument("--open-browser", choices=("yes", "no"), default="no")
    add_json_flag(p)
    p.set_defaults(handler=cmd_report)
    p = sub.add_parser("compare", help="two runs side by side per scenario, with deltas")
    p.add_argument("run_a")
    p.add_argument("run_b")
    add_json_flag(p)
    p.set_defaults(handler=cmd_compare)
