"""The run folder: what ``clawbench run`` writes and ``score`` / ``report`` / ``compare`` read.

Layout (one folder per run, never overwritten)::

    run.json                       RunManifest: pack, model, seeds, scenarios, harness version
    pack.json                      the evaluated pack, canonical (its hash is the manifest's)
    trajectories/<scenario>__seed<k>.json   one Trajectory per episode
    scores.json                    ScoresFile: one score per episode + the pack's aggregate
    summary.json                   the headline numbers (final, mean, variance, qualified)

Scores are stored as the scoring package's JSON dumps, so a report never re-parses console
output and never needs the scenario suite.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clawbench.errors import ClawBenchError, TrajectoryError
from clawbench.trajectory import Trajectory, load_trajectory

RUN_SCHEMA_VERSION: Literal[1] = 1
TRAJECTORY_DIR = "trajectories"


class RunError(ClawBenchError):
    code = "run_invalid"


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunManifest(_Rec):
    schema_version: Literal[1] = RUN_SCHEMA_VERSION
    pack_name: str
    pack_version: str = ""
    pack_hash: str
    model: str  # as given on the command line, e.g. "openai:gpt-4o" or "scripted:scripts/"
    suite: str  # the scenario suite directory the run used (score re-reads it)
    scenarios: list[str]
    seeds: list[int]
    sandbox: str = "local"
    harness_version: str
    concurrency: int = 1
    # The model client: the endpoint without secrets (None: scripted, or the client default)
    # and the settings that shape answers. A resumed run keeps max_tokens and the tool-call
    # format, so results read differently are never mixed in one run.
    endpoint: str | None = None
    tool_call_format: Literal["native", "text"] = "native"
    max_tokens: int | None = None
    timeout_s: float | None = None
    max_retries: int | None = None


class EpisodeScoreEntry(_Rec):
    scenario: str
    seed: int
    trajectory: str  # path relative to the run folder
    score: dict[str, Any]  # the scoring package's EpisodeScore, dumped as JSON


class ScoresFile(_Rec):
    schema_version: Literal[1] = RUN_SCHEMA_VERSION
    params: dict[str, Any] = Field(default_factory=dict)
    episodes: list[EpisodeScoreEntry] = Field(default_factory=list)
    pack: dict[str, Any] | None = None  # PackScore, dumped as JSON


class EpisodeResult(BaseModel):
    """One episode as a report sees it: the trajectory and its score (None if unscored)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    scenario: str
    seed: int
    trajectory: Trajectory
    score: dict[str, Any] | None = None


class RunData(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    path: Path
    manifest: RunManifest
    episodes: list[EpisodeResult]
    pack_score: dict[str, Any] | None = None
    params: dict[str, Any] = Field(default_factory=dict)


def trajectory_filename(scenario: str, seed: int) -> str:
    return f"{scenario}__seed{seed}.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_model(path: Path, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate_json(path.read_bytes())
    except OSError as err:
        raise RunError(f"{path}: unreadable: {err.strerror or err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise RunError(
            f"{path}: not a {model.__name__} ({loc}: {first['msg']}; {err.error_count()} error(s))"
        ) from None


def load_manifest(run_dir: str | Path) -> RunManifest:
    d = Path(run_dir)
    if not d.is_dir():
        raise RunError(f"{d}: no such run folder", code="run_not_found")
    if not (d / "run.json").is_file():
        raise RunError(f"{d}: not a run folder (no run.json)", code="run_not_found")
    manifest: RunManifest = _read_model(d / "run.json", RunManifest)
    return manifest


def load_scores(run_dir: str | Path) -> ScoresFile | None:
    p = Path(run_dir) / "scores.json"
    if not p.is_file():
        return None
    scores: ScoresFile = _read_model(p, ScoresFile)
    return scores


def load_run(run_dir: str | Path) -> RunData:
    """Read a run folder: every saved trajectory, with its score when scores.json has one."""
    d = Path(run_dir)
    manifest = load_manifest(d)
    scores = load_scores(d)
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    if scores is not None:
        by_key = {(e.scenario, e.seed): e.score for e in scores.episodes}
    episodes: list[EpisodeResult] = []
    tdir = d / TRAJECTORY_DIR
    for scenario in manifest.scenarios:
        for seed in manifest.seeds:
            p = tdir / trajectory_filename(scenario, seed)
            if not p.is_file():
                continue  # an interrupted run: report what exists
            try:
                traj = load_trajectory(p)
            except TrajectoryError as err:
                raise RunError(str(err), code="trajectory_invalid") from None
            episodes.append(
                EpisodeResult(
                    scenario=scenario,
                    seed=seed,
                    trajectory=traj,
                    score=by_key.get((scenario, seed)),
                )
            )
    return RunData(
        path=d,
        manifest=manifest,
        episodes=episodes,
        pack_score=scores.pack if scores else None,
        params=scores.params if scores else {},
    )
