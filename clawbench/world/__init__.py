"""The mock world: tools over an in-memory state built from a scenario's fixtures.

``World(instance)`` answers one episode's tool calls (``plan`` / ``call``);
``tool_schemas(names)`` gives the OpenAI ``tools`` list. The engine underneath
(``clawbench.world.engine``) is standard-library only so the sandbox image can run it.
"""

from clawbench.world._types import PlannedAction, SideEffect, ToolResult
from clawbench.world._world import KNOWN_TOOLS, World, tool_schemas

__all__ = ["KNOWN_TOOLS", "PlannedAction", "SideEffect", "ToolResult", "World", "tool_schemas"]
