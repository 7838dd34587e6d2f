"""Trajectory record v3. Changing a field means bumping TRAJECTORY_SCHEMA_VERSION and the
golden file in tests/clawbench/golden/.

v2 added, per model call (``Usage``): ``finish_reason`` and ``tokens_estimated``. v3 added
``hidden_checks`` (what each hidden check computed in the final workspace). v1 and v2
records still load (read as v3 with the added fields unknown: ``None``/``False``/empty).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clawbench.errors import TrajectoryError
from clawbench.world._types import SideEffect

TRAJECTORY_SCHEMA_VERSION: Literal[3] = 3
READABLE_SCHEMA_VERSIONS = (1, 2, 3)


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TerminationReason(StrEnum):
    FINAL_ANSWER = "final_answer"
    MAX_TURNS = "max_turns"
    MAX_TOOL_CALLS = "max_tool_calls"
    MAX_TOKENS = "max_tokens"
    WALL_TIME = "wall_time"
    REPEATED_CALL = "repeated_call"  # the pack's stop_on_repeated_call fired
    MODEL_ERROR = "model_error"  # validator-side: never scored as the pack's zero
    SANDBOX_ERROR = "sandbox_error"  # validator-side: never scored as the pack's zero
    # The provider's content filter stopped the answer (finish_reason content_filter): the
    # pack's outcome, since the pack's text steered the model there.
    CONTENT_FILTER = "content_filter"
    # The endpoint refused the episode's conversation but accepts a neutral one with the same
    # settings (clawbench.errors.ModelConversationRejectedError): the pack's outcome.
    CONVERSATION_REJECTED = "conversation_rejected"
    # Sandbox containment outcomes (the docker backend reports what the world process hit).
    SANDBOX_PIDS_LIMIT = "sandbox_pids_limit"
    SANDBOX_OOM = "sandbox_oom"
    SANDBOX_DEADLINE = "sandbox_deadline"

    @property
    def evaluator_failed(self) -> bool:
        """True when the episode says nothing about the pack (the evaluator broke)."""
        return self in (TerminationReason.MODEL_ERROR, TerminationReason.SANDBOX_ERROR)

    @property
    def hit_limit(self) -> bool:
        return self in (
            TerminationReason.MAX_TURNS,
            TerminationReason.MAX_TOOL_CALLS,
            TerminationReason.MAX_TOKENS,
            TerminationReason.WALL_TIME,
            TerminationReason.REPEATED_CALL,
            TerminationReason.CONTENT_FILTER,
            TerminationReason.CONVERSATION_REJECTED,
        )


class Usage(_Rec):
    """One model call: its token usage and why it stopped."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    latency_ms: int = 0  # excluded from determinism comparisons; 0 for scripted models
    # As the provider sent it ("stop", "tool_calls", "length", "content_filter", ...);
    # None when unknown (v1 records, or a provider that sent none).
    finish_reason: str | None = None
    # True when the provider reported no usage and the counts are our estimate
    # (clawbench.agent.count_tokens): limits and cost still apply, flagged as estimated.
    tokens_estimated: bool = False


class ToolCallRequest(_Rec):
    """A tool call as the model asked for it (OpenAI ``tool_calls`` entry, arguments parsed)."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw_arguments: str = ""  # as sent, for calls whose arguments were not valid JSON


class ChatMessage(_Rec):
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ToolCallRequest] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None


class ToolCallRecord(_Rec):
    """One tool call and what came of it. ``refused`` says why the harness did not run it:
    ``denied_by_policy``, ``unknown_tool``, ``approval_required``, ``limit``, ``bad_arguments``."""

    index: int  # order among all tool calls in the episode, from 0
    turn: int  # the model call that requested it, from 0
    call_id: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: str = ""
    is_error: bool = False
    exit_code: int | None = None
    refused: str | None = None
    side_effects: list[SideEffect] = Field(default_factory=list)


class ModelInfo(_Rec):
    provider: str  # "openai" (any OpenAI-compatible endpoint) or "scripted"
    name: str
    temperature: float = 0.0
    seed: int | None = None
    # How tool calls were read: "native" (the API's tool_calls) or "text" (JSON blocks and
    # <tool_call> tags in the answer's text, for models without native tool calling).
    tool_call_format: Literal["native", "text"] = "native"


class EpisodeSpec(_Rec):
    """Everything that identifies an episode's inputs (the evaluation cache key lives here)."""

    scenario: str
    scenario_version: str
    scenario_hash: str
    pack_hash: str
    seed: int
    model: ModelInfo
    harness_version: str
    sandbox: str = "local"  # backend, plus image for docker: "docker:<tag>@<base image id>"


class HiddenCheckRun(_Rec):
    """What one hidden check computed after the episode (real-shell scenarios). ``status``:
    ``reported`` (``report`` holds the check program's values, or the workspace manifest),
    ``no_report`` (the program died before reporting: the agent's code exited it), or
    ``timeout`` (it overran its deadline), or ``not_restored`` (no fresh copy could be
    written: the agent filled the workspace). ``restored``: the sha256 of each scenario file
    written into the fresh copy, read back before anything ran. The scorer compares all of it
    with what the instance holds; nothing here is trusted on its own."""

    kind: Literal["manifest", "values", "unittest"]
    status: Literal["reported", "no_report", "timeout", "not_restored"]
    restored: dict[str, str] = Field(default_factory=dict)
    report: Any = None

    @field_validator("report", "restored", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """Agent-chosen text (a file name that is not UTF-8, a returned string) arrives with
        lone surrogates, which JSON cannot store: they are kept as backslash escapes."""
        return _escape_surrogates(value)


def _escape_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_escape_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_escape_surrogates(k): _escape_surrogates(v) for k, v in value.items()}
    return value


class Trajectory(_Rec):
    schema_version: Literal[3] = TRAJECTORY_SCHEMA_VERSION
    spec: EpisodeSpec
    variables: dict[str, str] = Field(default_factory=dict)  # seeded substitutions used
    messages: list[ChatMessage] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    usage: list[Usage] = Field(default_factory=list)
    final_response: str = ""
    termination: TerminationReason
    errors: list[str] = Field(default_factory=list)
    # Results of hidden verification commands run in the final sandbox state, by check id.
    verifications: dict[str, int] = Field(default_factory=dict)
    # Hidden checks (hidden_values, hidden_unittest, files_unchanged), by check id.
    hidden_checks: dict[str, HiddenCheckRun] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        """A v1/v2 record reads as v3: the fields added since have defaults meaning "unknown"."""
        if isinstance(data, dict) and data.get("schema_version") in (1, 2):
            return {**data, "schema_version": TRAJECTORY_SCHEMA_VERSION}
        return data

    @property
    def total_tokens(self) -> int:
        return sum(u.total_tokens for u in self.usage)

    def to_json(self) -> str:
        return self.model_dump_json(indent=None)

    def deterministic_json(self) -> str:
        """The record with latency zeroed: two runs of the same inputs are byte-identical here."""
        data = self.model_dump(mode="json")
        for u in data["usage"]:
            u["latency_ms"] = 0
        return json.dumps(data, sort_keys=True)


def dump_trajectory(traj: Trajectory, path: str | Path) -> None:
    Path(path).write_text(traj.model_dump_json(indent=2), encoding="utf-8")


def load_trajectory(path: str | Path) -> Trajectory:
    p = Path(path)
    try:
        return Trajectory.model_validate_json(p.read_bytes())
    except ValidationError as err:
        raise TrajectoryError(
            f"{p}: not a trajectory (versions {READABLE_SCHEMA_VERSIONS} are read): {err}"
        ) from None
    except OSError as err:
        raise TrajectoryError(f"{p}: unreadable: {err}") from None
