"""Running scenarios x seeds with bounded concurrency, shared by ``run`` and ``check``.

The harness APIs (agent loop, scoring, sandboxes) are imported when a command needs them, so
the pack and report commands work on their own.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from clawbench.cli._app import CliError, not_available
from clawbench.errors import ModelError, SandboxError
from clawbench.pack import PolicyBundle
from clawbench.trajectory import EpisodeSpec, ModelInfo, TerminationReason, Trajectory


@dataclass(frozen=True)
class Harness:
    """The harness APIs a run needs, looked up once."""

    scenario: ModuleType
    agent: ModuleType
    scoring: ModuleType
    sandbox: ModuleType


def harness(what: str) -> Harness:
    mods = {}
    needs = {
        "scenario": ("load_suite", "instantiate", "find_scenario"),
        "agent": ("run_episode", "ScriptedModel", "OpenAIModel", "load_script"),
        "scoring": ("score_episode", "aggregate", "ScoringParams"),
        "sandbox": ("LocalSandbox",),
    }
    for pkg, names in needs.items():
        mod = importlib.import_module(f"clawbench.{pkg}")
        missing = [n for n in names if not hasattr(mod, n)]
        if missing:
            raise not_available(f"{what} (needs clawbench.{pkg}.{', '.join(missing)})")
        mods[pkg] = mod
    return Harness(**mods)


# --- models -------------------------------------------------------------------------------
ModelFactory = Callable[[Any], Any]  # ScenarioInstance -> ModelClient


def script_for(source: Path, scenario: str) -> Path:
    """scripted:<file> is the same script for every scenario; scripted:<dir> looks for
    <dir>/<scenario>/reference.yaml, then <dir>/<scenario>.yaml."""
    if source.is_file():
        return source
    if not source.is_dir():
        raise CliError(f"{source}: no such script file or directory (scripted:<file or dir>)")
    for candidate in (source / scenario / "reference.yaml", source / f"{scenario}.yaml"):
        if candidate.is_file():
            return candidate
    raise CliError(
        f"{source}: no script for scenario {scenario!r} "
        f"(looked for {source / scenario / 'reference.yaml'} and {source / (scenario + '.yaml')})"
    )


def scripted_factory(h: Harness, script_path: Path) -> ModelFactory:
    script = h.agent.load_script(script_path)

    def make(instance: Any) -> Any:
        return h.agent.ScriptedModel(script, variables=instance.variables)

    return make


def model_factories(
    h: Harness,
    spec: str,
    scenarios: list[str],
    *,
    base_url: str | None,
    api_key_env: str,
) -> dict[str, ModelFactory]:
    """One model factory per scenario, from ``openai:<name>`` or ``scripted:<file or dir>``.
    Every input problem is found here, before any episode starts."""
    kind, _, rest = spec.partition(":")
    if kind == "scripted" and rest:
        src = Path(rest)
        return {s: scripted_factory(h, script_for(src, s)) for s in scenarios}
    if kind == "openai" and rest:
        # One client for every episode; it reads its key from the named variable itself, so
        # the key never passes through here. "none": an endpoint without auth.
        client = h.agent.OpenAIModel(
            rest,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key_env=None if api_key_env.lower() == "none" else api_key_env,
        )
        return dict.fromkeys(scenarios, lambda instance: client)
    raise CliError(f"--model {spec!r}: expected openai:<model name> or scripted:<file or dir>")


def make_sandbox(h: Harness, kind: str) -> Any:
    if kind == "local":
        return h.sandbox.LocalSandbox()
    if kind == "docker":
        if not hasattr(h.sandbox, "DockerSandbox"):
            raise not_available("the docker sandbox (clawbench.sandbox.DockerSandbox)")
        return h.sandbox.DockerSandbox()
    raise CliError(f"--sandbox {kind!r}: expected local or docker")


# --- episodes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    scenario: Any  # clawbench.scenario.Scenario
    seed: int
    pack: PolicyBundle
    pack_hash: str
    model: ModelFactory
    label: str = ""


@dataclass
class Outcome:
    job: Job
    instance: Any  # ScenarioInstance
    trajectory: Trajectory
    score: Any  # clawbench.scoring.EpisodeScore


def _failed_trajectory(
    job: Job, instance: Any, model: Any, sandbox: Any, err: BaseException
) -> Trajectory:
    """The record of an episode the evaluator could not run (never the pack's zero)."""
    reason = TerminationReason.MODEL_ERROR
    code = getattr(err, "code", "")
    if code != "model_error":
        reason = TerminationReason.SANDBOX_ERROR
    info = getattr(model, "info", None)
    if not isinstance(info, ModelInfo):
        info = ModelInfo(provider="unknown", name="unknown")
    return Trajectory(
        spec=EpisodeSpec(
            scenario=instance.name,
            scenario_version=instance.version,
            scenario_hash=instance.content_hash,
            pack_hash=job.pack_hash,
            seed=job.seed,
            model=info,
            harness_version=_harness_version(),
            sandbox=str(getattr(sandbox, "name", "local")),
        ),
        variables=dict(instance.variables),
        termination=reason,
        errors=[f"{type(err).__name__}: {err}"],
    )


def _harness_version() -> str:
    from clawbench import HARNESS_VERSION

    return HARNESS_VERSION


async def _one(h: Harness, job: Job, sandbox: Any, params: Any) -> Outcome:
    instance = h.scenario.instantiate(job.scenario, job.seed)
    model = job.model(instance)
    try:
        traj = await h.agent.run_episode(
            instance, job.pack, model, sandbox, pack_hash=job.pack_hash
        )
    except (ModelError, SandboxError, OSError) as err:
        # run_episode records these itself; this is the backstop. A ScenarioError (the
        # scenario cannot run here, e.g. real-shell under local) propagates: exit 2.
        traj = _failed_trajectory(job, instance, model, sandbox, err)
    score = h.scoring.score_episode(instance, traj, params)
    return Outcome(job=job, instance=instance, trajectory=traj, score=score)


def progress_bar(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


async def run_jobs(
    h: Harness,
    jobs: list[Job],
    *,
    sandbox: Any,
    params: Any,
    concurrency: int,
    console: Console,
    description: str = "episodes",
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run every job, at most ``concurrency`` at a time, with a progress bar; results come
    back in job order whatever order they finished in."""
    sem = asyncio.Semaphore(max(1, concurrency))
    results: list[Outcome | None] = [None] * len(jobs)
    with progress_bar(console) as progress:
        task = progress.add_task(description, total=len(jobs), last="")

        async def worker(i: int, job: Job) -> None:
            async with sem:
                out = await _one(h, job, sandbox, params)
            results[i] = out
            if on_done is not None:  # writes files: off the event loop
                await asyncio.to_thread(on_done, out)
            mark = "!" if out.trajectory.termination.evaluator_failed else "✓"
            progress.update(
                task, advance=1, last=f"{mark} {job.label or job.scenario.name} seed {job.seed}"
            )

        await asyncio.gather(*(worker(i, j) for i, j in enumerate(jobs)))
    return [r for r in results if r is not None]
