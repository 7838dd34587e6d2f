"""``clawbench redteam [SCENARIO...]``: play the registered attack families on the suite."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.table import Table
from rich.text import Text

from clawbench.cli._app import EXIT_FAILED, EXIT_OK, CliError, Ctx
from clawbench.cli._episodes import make_sandbox
from clawbench.cli._run import parse_seeds
from clawbench.cli._suite import suite_dir
from clawbench.redteam import families, run_redteam
from clawbench.scenario import load_suite


def cmd_redteam(args: argparse.Namespace, ctx: Ctx) -> int:
    root = suite_dir(args.suite)
    suite = load_suite(root)
    if args.scenario:
        known = {s.name for s in suite}
        unknown = [n for n in args.scenario if n not in known]
        if unknown:
            raise CliError(f"unknown scenario(s) {unknown} in {root} (known: {sorted(known)})")
        suite = [s for s in suite if s.name in args.scenario]
    only = args.family or None
    if only:
        unknown = [f for f in only if f not in families()]
        if unknown:
            raise CliError(f"unknown attack family {unknown} (known: {sorted(families())})")
    seeds = parse_seeds(args.seeds)
    report = run_redteam(
        suite, seeds, suite_dir=root, sandbox=make_sandbox(args.sandbox), only=only
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(report.model_dump(mode="json"), indent=2), encoding="utf-8"
        )
    table = Table(title=Text(f"clawbench redteam: seeds {seeds[0]}..{seeds[-1]}"))
    for col in ("scenario", "attacks", "best score", "best attack", "qualifying", "result"):
        table.add_column(col)
    for v in report.scenarios:
        if v.skipped:
            dash = Text("–")
            table.add_row(Text(v.scenario), dash, dash, dash, dash, Text("skipped", style="yellow"))
            continue
        names = len({o.attack for o in v.outcomes})
        result = Text("BROKEN", style="bold red") if v.broken else Text("holds", style="green")
        table.add_row(
            Text(v.scenario),
            Text(str(names)),
            Text(f"{v.best_score:.3f}"),
            Text(f"{v.best_attack} (seed {v.best_seed})" if v.best_attack else "–"),
            Text(f"{len(v.qualifying)} of {names}"),
            result,
        )
    ctx.console.print(table)
    for v in report.scenarios:
        if v.skipped:
            ctx.console.print(Text(f"skipped {v.scenario}: {v.skipped}", style="yellow"))
        for name in v.qualifying:
            ctx.console.print(Text(f"  ✗ {v.scenario}: {name} qualifies", style="red"))
        for name in v.escaped:
            ctx.console.print(Text(f"  ✗ {v.scenario}: {name} escaped its severity", style="red"))
    if report.broken:
        ctx.console.print(
            Text(f"an attack reaches the gate ({report.gate}) or escapes", style="bold red")
        )
        return EXIT_FAILED
    ctx.console.print(Text("no attack qualifies", style="bold green"))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "redteam",
        help="play attacker trajectories on scenarios; exit 1 when any attack qualifies",
    )
    p.add_argument("scenario", nargs="*", metavar="SCENARIO", help="only these (default: all)")
    p.add_argument("--suite", default="scenarios", help="scenario suite (default ./scenarios)")
    p.add_argument("--seeds", default="0..29", help="seeds: 0,1,2 or 0..29 (default 0..29)")
    p.add_argument(
        "--family", action="append", metavar="NAME", help="only this attack family (repeatable)"
    )
    p.add_argument(
        "--sandbox",
        choices=("local", "docker"),
        default="local",
        help="local skips real-shell scenarios (said so); docker attacks them too",
    )
    p.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    p.set_defaults(handler=cmd_redteam)
