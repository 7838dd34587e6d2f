"""The mock world: tools over an in-memory state built from a scenario's fixtures."""

from clawbench.world._types import PlannedAction, SideEffect, ToolResult

__all__ = ["PlannedAction", "SideEffect", "ToolResult"]
