"""The sandbox contract: where the world runs for one episode."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

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


class SandboxSession(Protocol):
    async def plan(self, tool: str, args: dict[str, Any]) -> PlannedAction: ...

    async def call(self, tool: str, args: dict[str, Any]) -> ToolResult: ...

    async def verify(self, command: str, timeout_s: float) -> int: ...


class Sandbox(Protocol):
    @property
    def name(self) -> str: ...

    def session(
        self, instance: ScenarioInstance
    ) -> AbstractAsyncContextManager[SandboxSession]: ...
