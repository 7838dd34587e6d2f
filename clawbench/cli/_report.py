"""``clawbench report`` and ``clawbench compare``."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from rich.text import Text

from clawbench.cli._app import EXIT_OK, Ctx
from clawbench.report import (
    compare_table,
    coverage_warnings,
    episodes_table,
    load_run,
    render_html,
    run_view,
    summary_table,
)


def cmd_report(args: argparse.Namespace, ctx: Ctx) -> int:
    run = load_run(args.run_dir)
    ctx.console.print(episodes_table(run))
    ctx.console.print(summary_table(run))
    out = Path(args.html) if args.html else run.path / "report.html"
    out.write_text(render_html(run), encoding="utf-8")
    ctx.console.print(Text(f"HTML report: {out}"))
    if args.open_browser == "yes":
        webbrowser.open(out.resolve().as_uri())
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, ctx: Ctx) -> int:
    a, b = load_run(args.run_a), load_run(args.run_b)
    ctx.console.print(compare_table(a, b))
    for warning in coverage_warnings(run_view(a), run_view(b)):
        ctx.say(f"warning: {warning}", "yellow")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="terminal tables and a self-contained HTML page for a run")
    p.add_argument("run_dir")
    p.add_argument(
        "--html", metavar="FILE", help="where to write the HTML (default RUN_DIR/report.html)"
    )
    p.add_argument("--open-browser", choices=("yes", "no"), default="no")
    p.set_defaults(handler=cmd_report)
    p = sub.add_parser("compare", help="two runs side by side per scenario, with deltas")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.set_defaults(handler=cmd_compare)
