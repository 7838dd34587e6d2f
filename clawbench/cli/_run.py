"""``clawbench run``, ``score`` and ``check``."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from clawbench import HARNESS_VERSION
from clawbench.agent import ModelClient, Script, ScriptExpectation, load_script
from clawbench.cli._app import EXIT_EVALUATOR, EXIT_FAILED, EXIT_OK, CliError, Ctx
from clawbench.cli._episodes import (
    Job,
    Outcome,
    make_sandbox,
    model_factories,
    run_jobs,
    scripted_factory,
)
from clawbench.cli._pack import published_hash
from clawbench.pack import PolicyBundle, load_pack, pack_hash, write_pack_json
from clawbench.report import (
    TRAJECTORY_DIR,
    EpisodeScoreEntry,
    RunData,
    RunManifest,
    ScoresFile,
    episodes_table,
    load_manifest,
    load_run,
    summary_table,
    trajectory_filename,
    write_json_atomic,
)
from clawbench.report._view import run_view
from clawbench.scenario import Scenario, ScenarioInstance, instantiate, load_suite
from clawbench.scoring import EpisodeScore, PackScore, ScoringParams, aggregate, score_episode
from clawbench.trajectory import dump_trajectory, load_trajectory

_SEEDS = re.compile(r"^\s*(\d+)\s*\.\.\s*(\d+)\s*$")
MAX_SEEDS = 1000


def parse_seeds(text: str) -> list[int]:
    """``0,1,2`` or an inclusive range ``0..4``."""
    m = _SEEDS.match(text)
    try:
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise ValueError
            seeds = list(range(lo, hi + 1))
        else:
            seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CliError(f"seeds {text!r}: expected 0,1,2 or 0..4") from None
    if not seeds or len(seeds) > MAX_SEEDS or min(seeds) < 0:
        raise CliError(f"seeds {text!r}: between 1 and {MAX_SEEDS} non-negative seeds")
    return sorted(set(seeds))


def _suite(suite: str) -> list[Scenario]:
    if not Path(suite).is_dir():
        raise CliError(f"{suite}: no such scenario suite directory (use --suite DIR)")
    return load_suite(suite)


def _score_json(score: EpisodeScore | PackScore) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(score.model_dump_json())
    return data


def _new_run_dir(base: Path, pack: PolicyBundle, digest: str) -> Path:
    """runs/<pack-name>-<shorthash>-<n>, the first n not taken (mkdir is the lock)."""
    base.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", pack.metadata.pack_name).strip("-.") or "pack"
    for n in range(1, 100_000):
        d = base / f"{name}-{digest[:8]}-{n}"
        try:
            d.mkdir()
        except FileExistsError:
            continue
        return d
    raise CliError(f"{base}: no free run folder name")


def _write_scores(run_dir: Path, outcomes: list[Outcome], params: ScoringParams) -> PackScore:
    pack_score = aggregate([o.score for o in outcomes], params)
    scores = ScoresFile(
        params=json.loads(params.model_dump_json()),
        episodes=[
            EpisodeScoreEntry(
                scenario=o.job.scenario.name,
                seed=o.job.seed,
                trajectory=f"{TRAJECTORY_DIR}/{trajectory_filename(o.job.scenario.name, o.job.seed)}",
                score=_score_json(o.score),
            )
            for o in outcomes
        ],
        pack=_score_json(pack_score),
    )
    write_json_atomic(run_dir / "scores.json", scores.model_dump(mode="json"))
    return pack_score


def _write_summary(run_dir: Path) -> tuple[int, RunData]:
    """summary.json from the saved records; returns (evaluator failures, the run data)."""
    run = load_run(run_dir)
    view = run_view(run)
    summary = {
        "pack_name": run.manifest.pack_name,
        "pack_hash": run.manifest.pack_hash,
        "model": run.manifest.model,
        "episodes": len(view.episodes),
        "evaluator_failures": view.evaluator_failures,
        "final": view.final,
        "mean": view.mean,
        "variance": view.variance,
        "qualified": view.qualified,
        "total_tokens": view.total_tokens,
        "total_tool_calls": view.total_tool_calls,
        "scenarios": [
            {
                "scenario": s.scenario,
                "episodes": s.episodes,
                "evaluator_failures": s.failed,
                "success": s.success,
                "cost": s.cost,
                "safety": s.safety,
                "final": s.final,
                "qualified": s.qualified,
            }
            for s in view.scenarios
        ],
    }
    write_json_atomic(run_dir / "summary.json", summary)
    return view.evaluator_failures, run


def _print_results(ctx: Ctx, run: RunData, failures: int) -> int:
    ctx.console.print(episodes_table(run))
    ctx.console.print(summary_table(run))
    ctx.console.print(Text(f"run folder: {run.path}"))
    if failures:
        ctx.console.print(
            Text(
                f"{failures} episode(s) ended in an evaluator failure (model or sandbox error): "
                "not scores; see the trajectories' errors",
                style="bold magenta",
            )
        )
        return EXIT_EVALUATOR
    return EXIT_OK


def cmd_run(args: argparse.Namespace, ctx: Ctx) -> int:
    pack_path = Path(args.pack)
    pack = load_pack(pack_path)
    digest = published_hash(pack_path) if pack_path.is_file() else pack_hash(pack)
    seeds = parse_seeds(args.seeds) if args.seeds else list(range(args.seed_count or 1))
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    suite = _suite(args.suite)
    by_name = {s.name: s for s in suite}
    names = args.scenario or [s.name for s in suite]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise CliError(
            f"{args.suite}: no scenario {', '.join(map(repr, unknown))} "
            f"(available: {', '.join(sorted(by_name))})",
            code="scenario_not_found",
        )
    names = list(dict.fromkeys(names))
    if args.sandbox == "local":
        # Real-shell scenarios run only in the locked container: named explicitly, that is an
        # error; as part of "all scenarios", they are left out and the run says so.
        shell = [n for n in names if by_name[n].spec.real_workspace is not None]
        if shell and args.scenario:
            raise CliError(
                f"{', '.join(shell)}: a real-shell scenario needs --sandbox docker",
                code="real_shell_refused",
            )
        for n in shell:
            ctx.console.print(
                Text(f"skipped {n}: a real-shell scenario; run it with --sandbox docker")
            )
        names = [n for n in names if n not in shell]
    models = model_factories(
        args.model, names, base_url=args.base_url, api_key_env=args.api_key_env
    )
    sandbox = make_sandbox(args.sandbox)
    params = ScoringParams()

    if args.out:
        run_dir = Path(args.out)
        if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
            raise CliError(f"{run_dir}: exists and is not empty; runs are never overwritten")
        run_dir.mkdir(parents=True, exist_ok=True)
    else:
        run_dir = _new_run_dir(Path("runs"), pack, digest)
    (run_dir / TRAJECTORY_DIR).mkdir()
    manifest = RunManifest(
        pack_name=pack.metadata.pack_name,
        pack_version=pack.metadata.pack_version,
        pack_hash=digest,
        model=args.model,
        suite=str(Path(args.suite).resolve()),
        scenarios=names,
        seeds=seeds,
        sandbox=sandbox.name,
        harness_version=HARNESS_VERSION,
        concurrency=args.concurrency,
    )
    write_json_atomic(run_dir / "run.json", manifest.model_dump(mode="json"))
    write_pack_json(pack, run_dir / "pack.json")

    def save(out: Outcome) -> None:
        name = trajectory_filename(out.job.scenario.name, out.job.seed)
        dump_trajectory(out.trajectory, run_dir / TRAJECTORY_DIR / name)

    jobs = [
        Job(scenario=by_name[n], seed=s, pack=pack, pack_hash=digest, model=models[n])
        for n in names
        for s in seeds
    ]
    outcomes = asyncio.run(
        run_jobs(
            jobs,
            sandbox=sandbox,
            params=params,
            concurrency=args.concurrency,
            console=ctx.console,
            on_done=save,
        )
    )
    _write_scores(run_dir, outcomes, params)
    failures, run = _write_summary(run_dir)
    return _print_results(ctx, run, failures)


def cmd_score(args: argparse.Namespace, ctx: Ctx) -> int:
    run_dir = Path(args.run_dir)
    manifest = load_manifest(run_dir)
    suite_path = args.suite or manifest.suite
    by_name = {s.name: s for s in _suite(suite_path)}
    params = ScoringParams()
    outcomes: list[Outcome] = []
    pack = load_pack(run_dir / "pack.json")
    for name in manifest.scenarios:
        if name not in by_name:
            raise CliError(f"{suite_path}: the run's scenario {name!r} is not in this suite")
        scenario = by_name[name]
        for seed in manifest.seeds:
            p = run_dir / TRAJECTORY_DIR / trajectory_filename(name, seed)
            if not p.is_file():
                continue
            traj = load_trajectory(p)
            if traj.spec.scenario_hash != scenario.content_hash:
                ctx.console.print(
                    Text(
                        f"warning: {p.name} was run on a different version of {name} "
                        f"(hash {traj.spec.scenario_hash[:12]} vs {scenario.content_hash[:12]})",
                        style="yellow",
                    )
                )
            instance = instantiate(scenario, seed)
            score = score_episode(instance, traj, params)
            job = Job(
                scenario=scenario,
                seed=seed,
                pack=pack,
                pack_hash=manifest.pack_hash,
                model=_no_model,
            )
            outcomes.append(Outcome(job=job, instance=instance, trajectory=traj, score=score))
    if not outcomes:
        raise CliError(f"{run_dir}: no trajectories to score")
    _write_scores(run_dir, outcomes, params)
    failures, run = _write_summary(run_dir)
    return _print_results(ctx, run, failures)


def _no_model(instance: ScenarioInstance) -> ModelClient:
    raise CliError("re-scoring a run calls no model", code="internal")


# --- check --------------------------------------------------------------------------------
def _expectation_problems(expect: ScriptExpectation, out: Outcome) -> list[str]:
    """Every way an episode misses its script's ``expect`` block, in words."""
    traj, score = out.trajectory, out.score
    problems: list[str] = []
    if traj.termination.evaluator_failed:
        return [f"evaluator failure ({traj.termination.value}): {'; '.join(traj.errors)}"]
    final = score.scenario_score
    qualified = score.qualified
    if expect.qualified is not None and qualified != expect.qualified:
        problems.append(f"qualified is {qualified}, expected {expect.qualified}")
    if expect.min_score is not None and (final is None or final < expect.min_score):
        problems.append(f"score {final} < min_score {expect.min_score}")
    if expect.max_score is not None and (final is None or final > expect.max_score):
        problems.append(f"score {final} > max_score {expect.max_score}")
    critical = {v.code for v in score.violations if v.severity == "critical"}
    for code in expect.critical:
        if code not in critical:
            problems.append(
                f"critical violation {code!r} absent (got {sorted(critical) or 'none'})"
            )
    checks = {c.id: c.passed for c in score.checks}
    for cid in expect.failed_checks:
        if cid not in checks:
            problems.append(f"check {cid!r} does not exist")
        elif checks[cid]:
            problems.append(f"check {cid!r} passed, expected it to fail")
    if expect.termination is not None and traj.termination.value != expect.termination:
        problems.append(f"termination {traj.termination.value}, expected {expect.termination}")
    return problems


def cmd_check(args: argparse.Namespace, ctx: Ctx) -> int:
    seeds = parse_seeds(args.seeds)
    suite_dir = Path(args.suite)
    suite = _suite(args.suite)
    sandbox = make_sandbox("local")
    params = ScoringParams()
    jobs: list[Job] = []
    scripts: dict[str, Script] = {}
    packs: dict[Path, tuple[PolicyBundle, str]] = {}
    skipped: list[str] = []
    shell_jobs: list[Job] = []
    for scenario in suite:
        if scenario.spec.real_workspace is not None and args.real_shell == "skip":
            skipped.append(scenario.name)
            continue
        sdir = suite_dir / "scripts" / scenario.name
        files = sorted(sdir.glob("*.yaml")) if sdir.is_dir() else []
        if not files:
            raise CliError(
                f"{sdir}: scenario {scenario.name} has no scripts to check",
                exit_code=EXIT_FAILED,
                code="no_scripts",
            )
        for f in files:
            script = load_script(f)
            label = f"{scenario.name}/{f.stem}"
            scripts[label] = script
            pdir = suite_dir / "packs" / scenario.name / (script.pack or "optimized")
            if pdir not in packs:
                pk = load_pack(pdir)
                packs[pdir] = (pk, pack_hash(pk))
            pk, digest = packs[pdir]
            factory = scripted_factory(f)
            target = shell_jobs if scenario.spec.real_workspace is not None else jobs
            target += [
                Job(
                    scenario=scenario, seed=s, pack=pk, pack_hash=digest, model=factory, label=label
                )
                for s in seeds
            ]
    outcomes = asyncio.run(
        run_jobs(
            jobs,
            sandbox=sandbox,
            params=params,
            concurrency=args.concurrency,
            console=ctx.console,
            description="check",
        )
    )
    if shell_jobs:  # real-shell scenarios run only in the locked container
        outcomes += asyncio.run(
            run_jobs(
                shell_jobs,
                sandbox=make_sandbox("docker"),
                params=params,
                concurrency=args.concurrency,
                console=ctx.console,
                description="check (docker)",
            )
        )
    table = Table(
        title=Text(f"clawbench check: {len(scripts)} script(s) x seeds {seeds[0]}..{seeds[-1]}")
    )
    for col in ("script", "pack", "min", "max", "qualified", "result"):
        table.add_column(col)
    broken: list[str] = []
    for label, script in scripts.items():
        mine = [o for o in outcomes if o.job.label == label]
        nums = [o.score.scenario_score for o in mine if o.score.scenario_score is not None]
        quals = {o.score.qualified for o in mine}
        problems = [
            f"{label} seed {o.job.seed}: {p}"
            for o in mine
            for p in _expectation_problems(script.expect, o)
        ]
        broken += problems
        table.add_row(
            Text(label),
            Text(script.pack or "optimized"),
            Text(f"{min(nums):.3f}" if nums else "–"),
            Text(f"{max(nums):.3f}" if nums else "–"),
            Text("/".join(sorted(str(q) for q in quals))),
            Text("ok", style="green")
            if not problems
            else Text(f"BROKEN ({len(problems)})", style="bold red"),
        )
    ctx.console.print(table)
    for name in skipped:
        ctx.console.print(
            Text(f"skipped {name}: a real-shell scenario; check it with --real-shell docker")
        )
    if broken:
        ctx.console.print(Text(f"{len(broken)} broken expectation(s):", style="bold red"))
        for line in broken:
            ctx.console.print(Text(f"  ✗ {line}", style="red"))
        return EXIT_FAILED
    ctx.console.print(
        Text(f"all {len(outcomes)} episode(s) met their expectations", style="bold green")
    )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a pack on scenarios x seeds; write a run folder")
    p.add_argument("pack", metavar="PACK", help="a pack directory or pack.json")
    p.add_argument(
        "--suite", default="scenarios", help="scenario suite directory (default ./scenarios)"
    )
    p.add_argument(
        "--scenario", action="append", metavar="NAME", help="only this scenario (repeatable)"
    )
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", help="seeds: 0,1,2 or 0..4 (default 0)")
    seeds.add_argument("--seed-count", type=int, metavar="N", help="seeds 0..N-1")
    p.add_argument("--model", required=True, help="openai:<model name> or scripted:<file or dir>")
    p.add_argument(
        "--base-url", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL or OpenAI)"
    )
    p.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="VAR",
        help="variable holding the API key (default OPENAI_API_KEY; none: no auth)",
    )
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--sandbox", choices=("local", "docker"), default="local")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="run folder (default runs/<pack>-<hash>-<n>; never overwritten)",
    )
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("score", help="re-score a run folder's trajectories; rewrite scores.json")
    p.add_argument("run_dir")
    p.add_argument("--suite", help="scenario suite (default: the one the run used)")
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser(
        "check", help="replay every scenario's scripts and assert their expectations"
    )
    p.add_argument("--suite", default="scenarios")
    p.add_argument("--seeds", default="0..4", help="seeds: 0,1,2 or 0..4 (default 0..4)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument(
        "--real-shell",
        choices=("skip", "docker"),
        default="skip",
        help="real-shell scenarios: run them in the docker sandbox, or skip them (default, said so)",
    )
    p.set_defaults(handler=cmd_check)
