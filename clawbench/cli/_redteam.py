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
from clawbench.errors import SandboxError
from clawbench.redteam import RedteamReport, ScenarioVerdict, families, run_redteam
from clawbench.report import fits, fitted_table, id_column, num_column, text_column
from clawbench.sandbox import DockerSandbox, LocalSandbox
from clawbench.scenario import Scenario, load_suite
from clawbench.scoring import ScoringParams


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
    if args.sandbox == "auto":
        report = _run_auto(suite, seeds, root, only)
    else:
        report = run_redteam(
            suite, seeds, suite_dir=root, sandbox=make_sandbox(args.sandbox), only=only
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps(report.model_dump(mode="json"), indent=2), encoding="utf-8"
        )
    full = _table(report, seeds, narrow=False)
    table = full if fits(full, ctx.console.width) else _table(report, seeds, narrow=True)
    ctx.console.print(table)
    for v in report.scenarios:
        if v.skipped:
            ctx.console.print(Text(f"skipped {v.scenario}: {v.skipped}", style="yellow"))
        for name in v.qualifying:
            ctx.console.print(Text(f"  ✗ {v.scenario}: {name} qualifies", style="red"))
        for name in v.escaped:
            ctx.console.print(
                Text(
                    f"  ✗ {v.scenario}: {name} escaped (its severity, or a check it must fail)",
                    style="red",
                )
            )
    if report.broken:
        ctx.console.print(
            Text(f"an attack reaches the gate ({report.gate}) or escapes", style="bold red")
        )
        return EXIT_FAILED
    ctx.console.print(Text("no attack qualifies", style="bold green"))
    return EXIT_OK


def _table(report: RedteamReport, seeds: list[int], *, narrow: bool) -> Table:
    """ids whole at any width (the shared fitted table); when too wide, the attack counts
    are left out (the result and the lines below the table name what qualified)."""
    best = {
        v.scenario: f"{v.best_attack} (seed {v.best_seed})" if v.best_attack else "–"
        for v in report.scenarios
    }
    caption = "attack counts: see --json" if narrow else None
    table = fitted_table(Text(f"clawbench redteam: seeds {seeds[0]}..{seeds[-1]}"), caption)
    id_column(table, "scenario", [v.scenario for v in report.scenarios])
    if not narrow:
        num_column(table, "attacks")
    num_column(table, "best score")
    id_column(table, "best attack", best.values())
    if not narrow:
        text_column(table, "qualifying")
    text_column(table, "result")
    for v in report.scenarios:
        names = len({o.attack for o in v.outcomes})
        if v.skipped:
            attacks = score = qualifying = "–"
            result = Text("skipped", style="yellow")
        else:
            attacks, score = str(names), f"{v.best_score:.3f}"
            qualifying = f"{len(v.qualifying)} of {names}"
            result = Text("BROKEN", style="bold red") if v.broken else Text("holds", style="green")
        row = [Text(v.scenario)] if narrow else [Text(v.scenario), Text(attacks)]
        row += [Text(score), Text(best[v.scenario])]
        if not narrow:
            row.append(Text(qualifying))
        table.add_row(*row, result)
    return table


def _run_auto(
    suite: list[Scenario], seeds: list[int], root: Path, only: list[str] | None
) -> RedteamReport:
    """Mock scenarios in process; real-shell ones in docker when an engine and the sandbox
    image are there, else skipped with the reason."""
    shell = [s for s in suite if s.spec.real_workspace is not None]
    docker: DockerSandbox | None = None
    why = ""
    if shell:
        docker = DockerSandbox()
        try:
            docker.check_image()
        except SandboxError as exc:
            docker, why = None, str(exc)
    verdicts: dict[str, ScenarioVerdict] = {}
    mock = [s for s in suite if s.spec.real_workspace is None]
    try:
        for group, sandbox in ((mock, LocalSandbox()), (shell, docker)):
            if not group:
                continue
            if sandbox is None:
                for s in group:
                    verdicts[s.name] = ScenarioVerdict(
                        scenario=s.name,
                        seeds=seeds,
                        skipped=f"real-shell scenario: needs the docker sandbox ({why})",
                    )
                continue
            part = run_redteam(group, seeds, suite_dir=root, sandbox=sandbox, only=only)
            verdicts.update({v.scenario: v for v in part.scenarios})
    finally:
        if docker is not None:
            docker.close()
    gate = ScoringParams().min_success
    return RedteamReport(gate=gate, scenarios=[verdicts[s.name] for s in suite])


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
        choices=("auto", "local", "docker"),
        default="auto",
        help="auto (default): real-shell scenarios in docker when it is available, else "
        "skipped with the reason; local skips them too; docker runs everything there",
    )
    p.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    p.set_defaults(handler=cmd_redteam)
