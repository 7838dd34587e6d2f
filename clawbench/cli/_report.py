"""``clawbench report`` and ``clawbench compare``."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from clawbench.cli._app import EXIT_OK, Ctx, add_json_flag
from clawbench.report import (
    check_changes_table,
    compare_dict,
    compare_table,
    compare_view,
    coverage_warnings,
    episodes_list,
    episodes_table,
    load_run,
    pack_diff_lines,
    render_compare_html,
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
    cv = compare_view(a, b)
    cv.warnings.extend(coverage_warnings(cv.a, cv.b))
    html = Path(args.html) if args.html else None
    if html is not None:
        html.write_text(render_compare_html(cv), encoding="utf-8")
    if ctx.json:
        ctx.emit({**compare_dict(cv), "html": None if html is None else str(html)})
    else:
        ctx.console.print(compare_table(cv, ctx.console.width))
        flips = check_changes_table(cv, ctx.console.width)
        if flips is None:
            ctx.say("checks: no check changed its verdict on a seed scored in both runs")
        else:
            ctx.console.print(flips)
        for line in pack_diff_lines(cv):
            ctx.say(line)
        if args.pack_diff:
            for f in cv.pack_diff.changed:
                for line in f.lines:
                    ctx.say(line, "green" if line[:1] == "+" else "red" if line[:1] == "-" else "")
    for warning in cv.warnings:
        ctx.say(f"warning: {warning}", "yellow")
    if html is not None:
        ctx.say(f"HTML comparison: {html}")
        if args.open_browser == "yes":
            webbrowser.open(html.resolve().as_uri())
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="terminal tables and a self-contained HTML page for a run")
    p.add_argument("run_dir")
    p.add_argument(
        "--html", metavar="FILE", help="where to write the HTML (default RUN_DIR/report.html)"
    )
    p.add_argument("--open-browser", choices=("yes", "no"), default="no")
    add_json_flag(p)
    p.set_defaults(handler=cmd_report)
    p = sub.add_parser(
        "compare",
        help="two runs: score deltas with 95%% intervals, checks that flipped, pack diff",
    )
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument(
        "--html",
        metavar="FILE",
        nargs="?",
        const="compare.html",
        help="also write a self-contained HTML comparison (default FILE: ./compare.html)",
    )
    p.add_argument(
        "--pack-diff", action="store_true", help="print the unified diff of the two packs"
    )
    p.add_argument("--open-browser", choices=("yes", "no"), default="no")
    add_json_flag(p)
    p.set_defaults(handler=cmd_compare)
