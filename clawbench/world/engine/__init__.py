"""The world engine: standard library only, because it also runs inside the sandbox image.

``WorldEngine(world_input)`` answers tool calls over an in-memory state built from the
scenario's fixtures; ``TOOL_SCHEMAS`` are the tools' OpenAI function schemas. See
docs/world.md for the tool surface and the side-effect table (``IRREVERSIBLE``).
"""

from ._core import IRREVERSIBLE
from ._curl import build_request as parse_curl
from ._engine import WorldEngine
from ._schemas import TOOL_SCHEMAS
from ._state import DEFAULT_NOW, FixtureError

__all__ = [
    "DEFAULT_NOW",
    "IRREVERSIBLE",
    "TOOL_SCHEMAS",
    "FixtureError",
    "WorldEngine",
    "parse_curl",
]
