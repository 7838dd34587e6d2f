"""``clawbench list`` and ``clawbench validate``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.text import Text

from clawbench.agent import load_script
from clawbench.cli._app import EXIT_OK, EXIT_USAGE, CliError, Ctx, add_json_flag
from clawbench.errors import ClawBenchError
from clawbench.pack import load_pack
from clawbench.report import fitted_table, id_column, num_column
from clawbench.scenario import Scenario, load_scenario

PACK_MANIFESTS = ("pack.yaml", "pack.yml", "pack.json")


def suite_dir(value: str) -> Path:
    d = Path(value)
    if not d.is_dir():
        raise CliError(f"{d}: no such scenario suite directory (use --suite DIR)")
    return d


def load_suite_lenient(value: str, ctx: Ctx) -> tuple[list[Scenario], dict[str, str]]:
    """Every scenario of the suite that loads; a broken file is reported (one line naming the
    file and the problem) instead of blocking the others. Returns the scenarios and
    ``{scenario name (the file stem): problem}`` for the broken ones."""
    d = suite_dir(value)
    folder = d / "scenarios" if (d / "scenarios").is_dir() else d  # the public layout
    files = sorted(folder.glob("*.yaml"), key=lambda p: p.stem)
    if not files:
        raise CliError(f"{folder}: no *.yaml scenarios", code="suite_empty")
    good: list[Scenario] = []
    broken: dict[str, str] = {}
    for f in files:
        try:
            good.append(load_scenario(f))
        except ClawBenchError as err:
            broken[f.stem] = str(err)
            msg = str(err) if str(f) in str(err) else f"{f}: {err}"
            ctx.say(f"skipped a broken scenario: [{err.code}] {msg}", "yellow")
    if not good:
        raise CliError(f"{folder}: no scenario loads ({len(broken)} broken)", code="suite_empty")
    return good, broken


def _docker_only(s: Scenario) -> bool:
    return s.spec.real_workspace is not None


def cmd_list(args: argparse.Namespace, ctx: Ctx) -> int:
    suite, broken = load_suite_lenient(args.suite, ctx)
    if ctx.json:
        ctx.emit(
            {
                "suite": args.suite,
                "scenarios": [
                    {
                        "name": s.name,
                        "version": s.version,
                        "difficulty": s.spec.difficulty,
                        "checks": len(s.spec.scoring.checks),
                        "points": sum(c.points for c in s.spec.scoring.checks),
                        "baseline_tool_calls": s.spec.baseline.tool_calls
                        if s.spec.baseline
                        else None,
                        "baseline_tokens": s.spec.baseline.tokens if s.spec.baseline else None,
                        "docker_only": _docker_only(s),
                    }
                    for s in suite
                ],
                "broken": broken,
            }
        )
        return EXIT_USAGE if broken else EXIT_OK
    table = fitted_table(Text(f"scenarios in {args.suite}"))
    id_column(table, "name", [s.name for s in suite])
    table.add_column("difficulty", overflow="fold")
    num_column(table, "checks", 2)
    num_column(table, "points", 2)
    table.add_column("baseline calls/tokens", justify="right", overflow="fold")
    table.add_column("sandbox", overflow="fold")
    for s in suite:
        spec = s.spec
        points = sum(c.points for c in spec.scoring.checks)
        base = f"{spec.baseline.tool_calls}/{spec.baseline.tokens}" if spec.baseline else "–"
        table.add_row(
            Text(spec.name),
            Text(spec.difficulty),
            Text(str(len(spec.scoring.checks))),
            Text(f"{points:g}"),
            Text(base),
            Text("docker only", style="yellow") if _docker_only(s) else Text("any"),
        )
    ctx.console.print(table)
    if broken:
        ctx.say(f"{len(broken)} scenario file(s) did not load (see above)", "bold red")
        return EXIT_USAGE
    return EXIT_OK


def _is_pack_dir(p: Path) -> bool:
    return p.is_dir() and any((p / m).is_file() for m in PACK_MANIFESTS)


def _classify(p: Path) -> str:
    if _is_pack_dir(p) or p.suffix == ".json":
        return "pack"
    if p.suffix in (".yaml", ".yml"):
        if "scripts" in p.parts:
            return "script"
        return "scenario"
    return "unknown"


def _suite_targets(d: Path) -> list[tuple[str, Path]]:
    targets: list[tuple[str, Path]] = []
    sdir = d / "scenarios" if (d / "scenarios").is_dir() else d  # the public layout nests them
    targets += [("scenario", p) for p in sorted(sdir.glob("*.yaml"))]
    packs = d / "packs"
    if packs.is_dir():
        targets += [("pack", p) for p in sorted(packs.glob("*/*")) if p.is_dir()]
    scripts = d / "scripts"
    if scripts.is_dir():
        targets += [("script", p) for p in sorted(scripts.glob("*/*.yaml"))]
    return targets


def _validate_one(kind: str, p: Path) -> str:
    """Returns a short description on success; raises ClawBenchError naming the file."""
    if kind == "pack":
        pack = load_pack(p)
        return f"pack {pack.metadata.pack_name} {pack.metadata.pack_version}"
    if kind == "script":
        script = load_script(p)
        scen_dir = p.parent
        suite = scen_dir.parent.parent
        if script.scenario is not None and script.scenario != scen_dir.name:
            raise ClawBenchError(
                f"{p}: script.scenario is {script.scenario!r} but the script lives under "
                f"scripts/{scen_dir.name}/",
                code="script_invalid",
            )
        pack_name = script.pack or "optimized"
        pack_dir = suite / "packs" / scen_dir.name / pack_name
        if (suite / "packs").is_dir() and not pack_dir.is_dir():
            raise ClawBenchError(
                f"{p}: script.pack {pack_name!r} names no pack ({pack_dir} does not exist)",
                code="script_invalid",
            )
        return f"script, {len(script.turns)} turn(s)"
    if kind == "scenario":
        scen = load_scenario(p)
        return f"scenario {scen.name} {scen.version}, {len(scen.spec.scoring.checks)} checks"
    raise ClawBenchError(
        f"{p}: not a scenario (.yaml), script (scripts/<name>/*.yaml) or pack (dir or .json)",
        code="unknown_file",
    )


def cmd_validate(args: argparse.Namespace, ctx: Ctx) -> int:
    if args.paths:
        targets = []
        for raw in args.paths:
            p = Path(raw)
            if not p.exists():
                raise CliError(f"{p}: no such file or directory")
            targets.append((_classify(p), p))
    else:
        targets = _suite_targets(suite_dir(args.suite))
        if not targets:
            raise CliError(f"{args.suite}: no scenarios, packs or scripts found")
    errors = 0
    for kind, p in targets:
        try:
            what = _validate_one(kind, p)
        except ClawBenchError as err:
            errors += 1
            msg = str(err) if str(p) in str(err) else f"{p}: {err}"
            ctx.console.print(
                Text("ERROR ", style="bold red") + Text(f"[{err.code}] {msg}"), soft_wrap=True
            )
        else:
            ctx.console.print(Text("ok    ", style="green") + Text(f"{p}: {what}"), soft_wrap=True)
    verdict = f"{len(targets) - errors} valid, {errors} invalid"
    ctx.console.print(Text(verdict, style="bold red" if errors else "bold green"))
    return EXIT_USAGE if errors else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="the scenarios of a suite")
    p.add_argument(
        "--suite", default="scenarios", help="scenario suite directory (default ./scenarios)"
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser(
        "validate",
        help="validate scenarios, packs and scripts (default: the whole suite); "
        "every error names the file",
    )
    p.add_argument("--suite", default="scenarios")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(handler=cmd_validate)
