"""The host-side world: the stdlib engine wrapped in the typed contract (_types.py)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from clawbench.errors import ClawBenchError, ScenarioError
from clawbench.world._types import PlannedAction, SideEffect, ToolResult
from clawbench.world.engine import TOOL_SCHEMAS, FixtureError, WorldEngine

if TYPE_CHECKING:
    from clawbench.scenario import ScenarioInstance

KNOWN_TOOLS: tuple[str, ...] = tuple(TOOL_SCHEMAS)


def tool_schemas(names: Iterable[str]) -> list[dict[str, Any]]:
    """The OpenAI ``tools`` list for ``names``, in the order given (copies: callers may edit)."""
    out = []
    for name in names:
        if name not in TOOL_SCHEMAS:
            raise ClawBenchError(
                f"unknown tool {name!r}; known tools: {', '.join(KNOWN_TOOLS)}",
                code="unknown_tool",
            )
        out.append(copy.deepcopy(TOOL_SCHEMAS[name]))
    return out


class World:
    """One episode's world. Build a fresh one per episode: state is never shared."""

    def __init__(self, instance: ScenarioInstance) -> None:
        self.instance_name = instance.name
        try:
            self._engine = WorldEngine(instance.world_input())
        except FixtureError as exc:
            raise ScenarioError(f"scenario {instance.name!r}: {exc}", code=exc.code) from exc

    @property
    def engine(self) -> WorldEngine:
        return self._engine

    def plan(self, tool: str, args: dict[str, Any]) -> PlannedAction:
        return PlannedAction.model_validate(self._engine.plan(tool, args))

    def call(self, tool: str, args: dict[str, Any]) -> ToolResult:
        raw = self._engine.call(tool, args)
        return ToolResult(
            content=raw["content"],
            is_error=raw["is_error"],
            exit_code=raw["exit_code"],
            side_effects=[SideEffect(**fx) for fx in raw["side_effects"]],
        )
