"""The sandbox contract: where the world runs for one episode."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from clawbench.errors import ClawBenchError
from clawbench.scenario import ScenarioInstance
from clawbench.trajectory import TerminationReason
from clawbench.world import PlannedAction, ToolResult


class SandboxTerminated(ClawBenchError):
    """The world process hit a containment limit (pids, memory, deadline). The episode ends
    with ``reason``; this is the agent's doing, not the evaluator's."""

    code = "sandbox_terminated"

    def __init__(self, reason: TerminationReason, message: str = "") -> None:
        super().__init__(message or reason.value)
        self.reason = reason


class HiddenRequest(BaseModel):
    """One hidden check, run after the episode (real-shell scenarios): ``kind`` "manifest"
    (the final workspace's file hashes, before any agent code runs again), "values" or
    "unittest" (a check program on a fresh copy of the final workspace with every path under
    ``restore_roots`` replaced by ``restore``, the scenario's own files). ``spec`` is the
    program's input; expected values never go in it. The answer is ``{"status": "reported" |
    "no_report" | "timeout" | "not_restored", "restored": {path: sha256 as written}, "report": ...}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["manifest", "values", "unittest"]
    spec: dict[str, Any] = Field(default_factory=dict)
    restore_roots: list[str] = Field(default_factory=list)
    restore: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = 30.0


class SandboxSession(Protocol):
    async def plan(self, tool: str, args: dict[str, Any]) -> PlannedAction: ...

    async def call(self, tool: str, args: dict[str, Any]) -> ToolResult: ...

    async def verify(self, command: str, timeout_s: float) -> int: ...

    async def check(self, request: HiddenRequest) -> dict[str, Any]: ...


class Sandbox(Protocol):
    @property
    def name(self) -> str: ...

    def session(
        self, instance: ScenarioInstance
    ) -> AbstractAsyncContextManager[SandboxSession]: ...
