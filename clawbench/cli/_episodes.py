"""Running scenarios x seeds with bounded concurrency, shared by ``run`` and ``check``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from clawbench import HARNESS_VERSION
from clawbench.agent import (
    ModelClient,
    OpenAIModel,
    ScriptedModel,
    load_script,
    redact,
    run_episode,
)
from clawbench.cli._app import CliError
from clawbench.errors import ModelError, ScenarioError
from clawbench.pack import PolicyBundle
from clawbench.sandbox import DockerSandbox, LocalSandbox, Sandbox
from clawbench.scenario import Scenario, ScenarioInstance, instantiate
from clawbench.scoring import EpisodeScore, ScoringParams, score_episode
from clawbench.trajectory import EpisodeSpec, TerminationReason, Trajectory

# --- models -------------------------------------------------------------------------------
ModelFactory = Callable[[ScenarioInstance], ModelClient]


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


def scripted_factory(script_path: Path) -> ModelFactory:
    script = load_script(script_path)

    def make(instance: ScenarioInstance) -> ModelClient:
        return ScriptedModel(script, variables=instance.variables)

    return make


class Activity:
    """What the progress bar shows besides episodes done: the model client's retries.
    The client calls ``sleep`` before each retry; this counts them and passes the delay on."""

    def __init__(self) -> None:
        self.retries = 0
        self.listener: Callable[[int], None] | None = None

    async def sleep(self, delay: float) -> None:
        self.retries += 1
        if self.listener is not None:
            self.listener(self.retries)
        await asyncio.sleep(delay)


@dataclass(frozen=True)
class ClientSettings:
    """``clawbench run``'s model-client flags (``--timeout``, ``--max-retries``,
    ``--max-tokens``, ``--tool-call-format``); the same settings the validator config has."""

    timeout_s: float = 120.0
    max_retries: int = 4
    max_tokens: int | None = None
    tool_call_format: Literal["native", "text"] = "native"

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise CliError("--timeout must be more than 0 seconds")
        if self.max_retries < 0:
            raise CliError("--max-retries must be 0 or more")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise CliError("--max-tokens must be at least 1")


def model_factories(
    spec: str,
    scenarios: list[str],
    *,
    base_url: str | None,
    api_key_env: str,
    activity: Activity | None = None,
    settings: ClientSettings | None = None,
) -> dict[str, ModelFactory]:
    """One model factory per scenario, from ``openai:<name>`` or ``scripted:<file or dir>``.
    Every input problem is found here, before any episode starts."""
    kind, _, rest = spec.partition(":")
    if kind == "scripted" and rest:
        src = Path(rest)
        return {s: scripted_factory(script_for(src, s)) for s in scenarios}
    if kind == "openai" and rest:
        # One client for every episode; it reads its key from the named variable itself, so
        # the key never passes through here. "none": an endpoint without auth.
        cs = settings or ClientSettings()
        client = OpenAIModel(
            rest,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key_env=None if api_key_env.lower() == "none" else api_key_env,
            sleep=(activity or Activity()).sleep,
            timeout_s=cs.timeout_s,
            retries=cs.max_retries,
            max_tokens=cs.max_tokens,
            tool_call_format=cs.tool_call_format,
        )
        return dict.fromkeys(scenarios, lambda instance: client)
    raise CliError(f"--model {spec!r}: expected openai:<model name> or scripted:<file or dir>")


def make_sandbox(kind: str) -> Sandbox:
    if kind == "local":
        return LocalSandbox()
    if kind == "docker":
        return DockerSandbox()
    raise CliError(f"--sandbox {kind!r}: expected local or docker")


# --- episodes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    scenario: Scenario
    seed: int
    pack: PolicyBundle
    pack_hash: str
    model: ModelFactory
    label: str = ""


@dataclass
class Outcome:
    job: Job
    instance: ScenarioInstance
    trajectory: Trajectory
    score: EpisodeScore


def _failed_trajectory(
    job: Job,
    instance: ScenarioInstance,
    model: ModelClient,
    sandbox: Sandbox,
    err: Exception,
) -> Trajectory:
    """The record of an episode the evaluator could not run (never the pack's zero)."""
    reason = (
        TerminationReason.MODEL_ERROR
        if isinstance(err, ModelError)
        else TerminationReason.SANDBOX_ERROR
    )
    return Trajectory(
        spec=EpisodeSpec(
            scenario=instance.name,
            scenario_version=instance.version,
            scenario_hash=instance.content_hash,
            pack_hash=job.pack_hash,
            seed=job.seed,
            model=model.info,
            harness_version=HARNESS_VERSION,
            sandbox=sandbox.name,
        ),
        variables=dict(instance.variables),
        termination=reason,
        errors=[redact(f"{type(err).__name__}: {err}")],
    )


async def _one(job: Job, sandbox: Sandbox, params: ScoringParams) -> Outcome:
    instance = instantiate(job.scenario, job.seed)
    model = job.model(instance)
    try:
        traj = await run_episode(instance, job.pack, model, sandbox, pack_hash=job.pack_hash)
    except ScenarioError:
        raise  # the scenario cannot run here (e.g. real-shell under local): exit 2
    except Exception as err:
        # run_episode records model and sandbox failures itself; this is the backstop, so
        # that nothing one episode meets (a client bug, an odd response) ends the whole run:
        # the episode is an evaluator failure with the error named, the others go on.
        traj = _failed_trajectory(job, instance, model, sandbox, err)
    score = score_episode(instance, traj, params)
    return Outcome(job=job, instance=instance, trajectory=traj, score=score)


def progress_bar(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.fields[retries]}", style="yellow"),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def error_kind(traj: Trajectory) -> tuple[str, str]:
    """(kind, cause) of an evaluator failure: the reason code the loop recorded in front of
    the first error (``model_rejected: model 'x': HTTP 401: ...``), else the termination."""
    first = traj.errors[0] if traj.errors else ""
    code, sep, _ = first.partition(": ")
    kind = code if sep and code.replace("_", "").isalnum() and " " not in code else ""
    return (kind or traj.termination.value), (first or traj.termination.value)


class FailureLog:
    """Prints the first evaluator failure of each kind with its cause, as it happens, and
    counts the rest; so a wrong key or a dead sandbox is visible in the first seconds."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def see(self, console: Console, label: str, traj: Trajectory) -> None:
        kind, cause = error_kind(traj)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if self.counts[kind] == 1:
            console.print(
                Text(f"! {label}: evaluator failure [{kind}]: {cause}", style="magenta"),
                soft_wrap=True,
            )

    def summary(self) -> list[str]:
        return [f"{n} episode(s) failed with [{kind}]" for kind, n in sorted(self.counts.items())]


async def run_jobs(
    jobs: list[Job],
    *,
    sandbox: Sandbox,
    params: ScoringParams,
    concurrency: int,
    console: Console,
    description: str = "episodes",
    on_done: Callable[[Outcome], None] | None = None,
    activity: Activity | None = None,
    failures: FailureLog | None = None,
) -> list[Outcome]:
    """Run every job, at most ``concurrency`` at a time, with a progress bar; results come
    back in job order whatever order they finished in."""
    sem = asyncio.Semaphore(max(1, concurrency))
    results: list[Outcome | None] = [None] * len(jobs)
    failures = failures if failures is not None else FailureLog()
    with progress_bar(console) as progress:
        task = progress.add_task(description, total=len(jobs), last="", retries="")
        if activity is not None:
            activity.listener = lambda n: progress.update(task, retries=f"{n} retries")

        async def worker(i: int, job: Job) -> None:
            async with sem:
                out = await _one(job, sandbox, params)
            results[i] = out
            if on_done is not None:  # writes files: off the event loop
                await asyncio.to_thread(on_done, out)
            label = f"{job.label or job.scenario.name} seed {job.seed}"
            if out.trajectory.termination.evaluator_failed:
                failures.see(progress.console, label, out.trajectory)
            mark = "!" if out.trajectory.termination.evaluator_failed else "✓"
            progress.update(
                task, advance=1, last=f"{mark} {job.label or job.scenario.name} seed {job.seed}"
            )

        await asyncio.gather(*(worker(i, j) for i, j in enumerate(jobs)))
    return [r for r in results if r is not None]
