"""``clawbench run``, ``score`` and ``check``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from rich.text import Text

from clawbench import HARNESS_VERSION
from clawbench.agent import ModelClient, Script, ScriptExpectation, load_script, public_endpoint
from clawbench.cli._app import (
    EXIT_EVALUATOR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    Ctx,
    add_json_flag,
)
from clawbench.cli._episodes import (
    Activity,
    ClientSettings,
    FailureLog,
    Job,
    Outcome,
    make_sandbox,
    model_factories,
    run_jobs,
    scripted_factory,
)
from clawbench.cli._pack import published_hash
from clawbench.cli._preflight import (
    PREFLIGHT_TIMEOUT_S,
    Endpoint,
    check_model,
    check_sandbox,
    resolve_base_url,
)
from clawbench.cli._suite import load_suite_lenient
from clawbench.pack import PolicyBundle, load_pack, pack_hash, write_pack_json
from clawbench.report import (
    TRAJECTORY_DIR,
    EpisodeScoreEntry,
    RunData,
    RunManifest,
    ScoresFile,
    episodes_list,
    episodes_table,
    fitted_table,
    id_column,
    load_manifest,
    load_run,
    num_column,
    summary_dict,
    summary_table,
    trajectory_filename,
    write_json_atomic,
)
from clawbench.report._view import run_view
from clawbench.sandbox import DockerSandbox, Sandbox
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
    summary = summary_dict(view)
    write_json_atomic(run_dir / "summary.json", summary)
    return view.evaluator_failures, run


def _print_results(ctx: Ctx, run: RunData, failures: int) -> int:
    view = run_view(run)
    if ctx.json:
        ctx.emit({**summary_dict(view), "run_dir": str(run.path), "episodes": episodes_list(view)})
    else:
        ctx.console.print(episodes_table(view, ctx.console.width))
        ctx.console.print(summary_table(view))
    ctx.say(f"run folder: {run.path}")
    if failures:
        ctx.say(
            f"{failures} episode(s) ended in an evaluator failure (model or sandbox error): "
            "not scores; see the trajectories' errors",
            "bold magenta",
        )
    if failures or not view.complete:
        ctx.say(f"finish it with: clawbench run --resume {run.path}", "bold")
    return EXIT_EVALUATOR if failures else EXIT_OK


def _preflight(ctx: Ctx, args: argparse.Namespace, spec: str, sandbox: Sandbox) -> None:
    """Endpoint, key, model and Docker, checked once before any episode (exit 4 on failure)."""
    if args.no_preflight:
        ctx.say("preflight skipped (--no-preflight)", "yellow")
        return
    kind, _, name = spec.partition(":")
    said: list[str] = []
    if kind == "openai":
        env = args.api_key_env
        endpoint = Endpoint(
            base_url=resolve_base_url(args.base_url, os.environ),
            api_key_env=None if env.lower() == "none" else env,
        )
        timeout = getattr(args, "timeout", None) or PREFLIGHT_TIMEOUT_S
        said.append(check_model(name, endpoint, timeout_s=min(float(timeout), 60.0)))
    said.append(check_sandbox(sandbox))
    ctx.say("preflight ok: " + "; ".join(said), "green")


def _sandbox_from_manifest(name: str) -> Sandbox:
    """The sandbox a run used, from run.json's ``sandbox`` (``local`` or ``docker:<image>``)."""
    if name == "local":
        return make_sandbox("local")
    kind, _, image = name.partition(":")
    if kind == "docker":
        return DockerSandbox(image or None)
    raise CliError(f"run.json: unknown sandbox {name!r}", code="run_invalid")


def _settings(args: argparse.Namespace, manifest: RunManifest | None = None) -> ClientSettings:
    """The client flags; a resumed run keeps its max_tokens and tool-call format."""
    fmt, max_tokens = args.tool_call_format, args.max_tokens
    if manifest is not None:
        if fmt is not None and fmt != manifest.tool_call_format:
            raise CliError(
                f"--tool-call-format {fmt}: this run used {manifest.tool_call_format}; a resumed "
                "run keeps it (results read differently are never mixed)"
            )
        if max_tokens is not None and max_tokens != manifest.max_tokens:
            raise CliError(
                f"--max-tokens cannot change a resumed run (it used {manifest.max_tokens})"
            )
        fmt, max_tokens = manifest.tool_call_format, manifest.max_tokens
    return ClientSettings(
        timeout_s=args.timeout,
        max_retries=args.max_retries,
        max_tokens=max_tokens,
        tool_call_format=fmt or "native",
    )


def _base_url(args: argparse.Namespace, spec: str) -> str | None:
    if spec.startswith("openai:"):
        return resolve_base_url(args.base_url, os.environ)  # a bad URL is exit 2, here
    return None


def _models(
    args: argparse.Namespace,
    spec: str,
    names: list[str],
    activity: Activity,
    settings: ClientSettings,
) -> Any:
    return model_factories(
        spec,
        names,
        base_url=_base_url(args, spec) or args.base_url,
        api_key_env=args.api_key_env,
        activity=activity,
        settings=settings,
    )


def cmd_run(args: argparse.Namespace, ctx: Ctx) -> int:
    if args.resume:
        return _resume(args, ctx)
    if not args.pack or not args.model:
        raise CliError("clawbench run needs PACK and --model (or --resume RUN_DIR)")
    pack_path = Path(args.pack)
    pack = load_pack(pack_path)
    digest = published_hash(pack_path) if pack_path.is_file() else pack_hash(pack)
    seeds = parse_seeds(args.seeds) if args.seeds else list(range(args.seed_count or 1))
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    suite, broken = load_suite_lenient(args.suite, ctx)  # a broken file blocks only itself
    by_name = {s.name: s for s in suite}
    names = args.scenario or [s.name for s in suite]
    for n in names:
        if n in broken:
            raise CliError(broken[n], code="scenario_invalid")
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
            ctx.say(f"skipped {n}: a real-shell scenario; run it with --sandbox docker")
        names = [n for n in names if n not in shell]
    activity = Activity()
    settings = _settings(args)
    models = _models(args, args.model, names, activity, settings)
    sandbox = make_sandbox(args.sandbox)
    if args.out:  # refused before the preflight spends a request
        run_dir = Path(args.out)
        if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
            raise CliError(
                f"{run_dir}: exists and is not empty; runs are never overwritten "
                f"(to finish an interrupted run: clawbench run --resume {run_dir})"
            )
    _preflight(ctx, args, args.model, sandbox)

    if args.out:
        run_dir = Path(args.out)
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
        endpoint=public_endpoint(_base_url(args, args.model)),
        tool_call_format=settings.tool_call_format,
        max_tokens=settings.max_tokens,
        timeout_s=settings.timeout_s,
        max_retries=settings.max_retries,
    )
    write_json_atomic(run_dir / "run.json", manifest.model_dump(mode="json"))
    write_pack_json(pack, run_dir / "pack.json")
    jobs = [
        Job(scenario=by_name[n], seed=s, pack=pack, pack_hash=digest, model=models[n])
        for n in names
        for s in seeds
    ]
    return _execute(ctx, run_dir, jobs, sandbox, args.concurrency, activity, by_name)


def _resume(args: argparse.Namespace, ctx: Ctx) -> int:
    """Re-run only the episodes of RUN_DIR that are missing or ended in an evaluator failure,
    with the run's own pack, model, suite, seeds and sandbox; then score the whole run."""
    run_dir = Path(args.resume)
    manifest = load_manifest(run_dir)
    if args.pack:
        raise CliError("--resume takes the pack from the run folder; leave PACK out")
    if args.model and args.model != manifest.model:
        raise CliError(
            f"--model {args.model!r}: this run used {manifest.model!r}; a resumed run keeps "
            "its model (start a new run to change it)"
        )
    for flag in ("scenario", "seeds", "seed_count", "out"):
        if getattr(args, flag, None):
            raise CliError(f"--{flag.replace('_', '-')} cannot change a resumed run")
    settings = _settings(args, manifest)
    pack = load_pack(run_dir / "pack.json")
    if published_hash(run_dir / "pack.json") != manifest.pack_hash:
        raise CliError(
            f"{run_dir / 'pack.json'}: its hash is not run.json's pack_hash; not resuming",
            code="run_invalid",
        )
    by_name = {s.name: s for s in _suite(manifest.suite)}
    lost = [n for n in manifest.scenarios if n not in by_name]
    if lost:
        raise CliError(f"{manifest.suite}: the run's scenario(s) {', '.join(lost)} are gone")
    missing: list[tuple[str, int]] = []
    failed: list[tuple[str, int]] = []
    for name in manifest.scenarios:
        for seed in manifest.seeds:
            p = run_dir / TRAJECTORY_DIR / trajectory_filename(name, seed)
            if not p.is_file():
                missing.append((name, seed))
            elif load_trajectory(p).termination.evaluator_failed:
                failed.append((name, seed))
    total = len(manifest.scenarios) * len(manifest.seeds)
    todo = [k for k in missing + failed]
    todo.sort(key=lambda k: (manifest.scenarios.index(k[0]), k[1]))
    if not todo:
        ctx.say(f"nothing to resume: all {total} episodes are saved, none an evaluator failure")
        return _finish(ctx, run_dir, by_name)
    ctx.say(
        f"resuming {run_dir}: {len(todo)} of {total} episodes to run "
        f"({len(missing)} missing, {len(failed)} evaluator failure(s))"
    )
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1")
    activity = Activity()
    names = list(dict.fromkeys(n for n, _ in todo))
    models = _models(args, manifest.model, names, activity, settings)
    sandbox = _sandbox_from_manifest(manifest.sandbox)
    _preflight(ctx, args, manifest.model, sandbox)
    (run_dir / TRAJECTORY_DIR).mkdir(exist_ok=True)
    jobs = [
        Job(scenario=by_name[n], seed=s, pack=pack, pack_hash=manifest.pack_hash, model=models[n])
        for n, s in todo
    ]
    return _execute(ctx, run_dir, jobs, sandbox, args.concurrency, activity, by_name)


def _execute(
    ctx: Ctx,
    run_dir: Path,
    jobs: list[Job],
    sandbox: Sandbox,
    concurrency: int,
    activity: Activity,
    by_name: dict[str, Scenario],
) -> int:
    """Run the jobs (each trajectory saved as its episode ends), then score what is saved.
    Ctrl-C keeps the finished episodes, scores them, and says how to resume (exit 130)."""

    def save(out: Outcome) -> None:
        name = trajectory_filename(out.job.scenario.name, out.job.seed)
        dump_trajectory(out.trajectory, run_dir / TRAJECTORY_DIR / name)

    failures = FailureLog()
    try:
        asyncio.run(
            run_jobs(
                jobs,
                sandbox=sandbox,
                params=ScoringParams(),
                concurrency=concurrency,
                console=ctx.console,
                on_done=save,
                activity=activity,
                failures=failures,
            )
        )
    except KeyboardInterrupt:
        saved = len(list((run_dir / TRAJECTORY_DIR).glob("*__seed*.json")))
        manifest = load_manifest(run_dir)
        total = len(manifest.scenarios) * len(manifest.seeds)
        if saved:
            _score_saved(ctx, run_dir, by_name, quiet=True)
        print(
            f"clawbench: interrupted: {saved} of {total} episodes saved in {run_dir}\n"
            f"resume with: clawbench run --resume {run_dir}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    for line in failures.summary():
        ctx.say(line, "magenta")
    return _finish(ctx, run_dir, by_name)


def _finish(ctx: Ctx, run_dir: Path, by_name: dict[str, Scenario]) -> int:
    _score_saved(ctx, run_dir, by_name)
    failures, run = _write_summary(run_dir)
    return _print_results(ctx, run, failures)


def _score_saved(
    ctx: Ctx, run_dir: Path, by_name: dict[str, Scenario], *, quiet: bool = False
) -> int:
    """Score every saved trajectory of the run (no model call); write scores.json and
    summary.json. Returns how many episodes were scored."""
    manifest = load_manifest(run_dir)
    params = ScoringParams()
    outcomes: list[Outcome] = []
    pack = load_pack(run_dir / "pack.json")
    for name in manifest.scenarios:
        if name not in by_name:
            raise CliError(f"{manifest.suite}: the run's scenario {name!r} is not in this suite")
        scenario = by_name[name]
        for seed in manifest.seeds:
            p = run_dir / TRAJECTORY_DIR / trajectory_filename(name, seed)
            if not p.is_file():
                continue
            traj = load_trajectory(p)
            if traj.spec.scenario_hash != scenario.content_hash and not quiet:
                ctx.say(
                    f"warning: {p.name} was run on a different version of {name} "
                    f"(hash {traj.spec.scenario_hash[:12]} vs {scenario.content_hash[:12]})",
                    "yellow",
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
    _write_summary(run_dir)
    return len(outcomes)


def cmd_score(args: argparse.Namespace, ctx: Ctx) -> int:
    run_dir = Path(args.run_dir)
    manifest = load_manifest(run_dir)
    suite_path = args.suite or manifest.suite
    by_name = {s.name: s for s in _suite(suite_path)}
    return _finish(ctx, run_dir, by_name)


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
    table = fitted_table(
        Text(f"clawbench check: {len(scripts)} script(s) x seeds {seeds[0]}..{seeds[-1]}")
    )
    id_column(table, "script", list(scripts))
    id_column(table, "pack", [s.pack or "optimized" for s in scripts.values()])
    num_column(table, "min")
    num_column(table, "max")
    table.add_column("qualified", overflow="fold")
    table.add_column("result", overflow="fold")
    broken: list[str] = []
    rows: list[dict[str, Any]] = []
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
        rows.append(
            {
                "script": label,
                "pack": script.pack or "optimized",
                "min": min(nums) if nums else None,
                "max": max(nums) if nums else None,
                "qualified": sorted(q for q in quals if q is not None),
                "problems": problems,
            }
        )
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
    if ctx.json:
        ctx.emit({"scripts": rows, "skipped": skipped, "broken": broken, "ok": not broken})
    else:
        ctx.console.print(table)
    for name in skipped:
        ctx.say(f"skipped {name}: a real-shell scenario; check it with --real-shell docker")
    if broken:
        ctx.say(f"{len(broken)} broken expectation(s):", "bold red")
        for line in broken:
            ctx.say(f"  ✗ {line}", "red")
        return EXIT_FAILED
    ctx.say(f"all {len(outcomes)} episode(s) met their expectations", "bold green")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a pack on scenarios x seeds; write a run folder")
    p.add_argument("pack", metavar="PACK", nargs="?", help="a pack directory or pack.json")
    p.add_argument(
        "--resume",
        metavar="RUN_DIR",
        help="finish an earlier run: re-run only its missing and evaluator-failed episodes "
        "(same pack, model, suite, seeds and sandbox)",
    )
    p.add_argument(
        "--no-preflight",
        action="store_true",
        help="skip the check of endpoint, key, model and Docker before the first episode",
    )
    p.add_argument(
        "--suite", default="scenarios", help="scenario suite directory (default ./scenarios)"
    )
    p.add_argument(
        "--scenario", action="append", metavar="NAME", help="only this scenario (repeatable)"
    )
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", help="seeds: 0,1,2 or 0..4 (default 0)")
    seeds.add_argument("--seed-count", type=int, metavar="N", help="seeds 0..N-1")
    p.add_argument(
        "--model", help="openai:<model name> or scripted:<file or dir> (required unless --resume)"
    )
    p.add_argument(
        "--base-url", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL or OpenAI)"
    )
    p.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="VAR",
        help="variable holding the API key (default OPENAI_API_KEY; none: no auth)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="each model call attempt (default 120; never past the episode's wall time)",
    )
    p.add_argument(
        "--max-retries",
        type=int,
        default=4,
        metavar="N",
        help="retries of a call on 429/5xx/timeouts (default 4; Retry-After honoured)",
    )
    p.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help="cap on each answer's tokens (default: the episode's remaining token budget)",
    )
    p.add_argument(
        "--tool-call-format",
        choices=("native", "text"),
        help="native (the API's tool_calls; default) or text (also read JSON blocks and "
        "<tool_call> tags in the answer, for models without tool calling)",
    )
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--sandbox", choices=("local", "docker"), default="local")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="run folder (default runs/<pack>-<hash>-<n>; never overwritten)",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("score", help="re-score a run folder's trajectories; rewrite scores.json")
    p.add_argument("run_dir")
    p.add_argument("--suite", help="scenario suite (default: the one the run used)")
    add_json_flag(p)
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
    add_json_flag(p)
    p.set_defaults(handler=cmd_check)
