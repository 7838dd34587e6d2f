"""OpenAI function schemas for the tools the world answers (what the model is shown)."""

from __future__ import annotations

from typing import Any

from ._slack import ACTIONS


def _fn(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


_S = {"type": "string"}
_I = {"type": "integer"}

TOOL_SCHEMAS: dict[str, dict[str, Any]] = {
    "exec": _fn(
        "exec",
        "Run one command (no shell: no pipes, redirections or chaining). Available CLIs: "
        "himalaya (email: envelope list, message read/write/send, draft, flag, move, delete), "
        "curl (Notion API https://api.notion.com/v1/... for tasks and documents; Google "
        "Calendar API https://www.googleapis.com/calendar/v3/calendars/primary/events), "
        "gcalcli (list, agenda, search, add, delete), gcal (list-events, list-calendars) and gh "
        "(issues and pull requests).",
        {"command": {**_S, "description": "The command line, e.g. himalaya envelope list"}},
        ["command"],
    ),
    "slack": _fn(
        "slack",
        "Slack workspace access: read channels, send, edit or delete messages, react, pin, "
        "list channels and look up members.",
        {
            "action": {"type": "string", "enum": list(ACTIONS)},
            "channelId": {**_S, "description": "Channel id or #name"},
            "channel": {**_S, "description": "Channel #name (alternative to channelId)"},
            "to": {**_S, "description": "sendMessage target: #channel, channel id or user id"},
            "content": {**_S, "description": "Message text (sendMessage, editMessage)"},
            "messageId": _S,
            "emoji": _S,
            "userId": _S,
            "limit": {**_I, "description": "readMessages: most recent N messages"},
        },
        ["action"],
    ),
    "memory_search": _fn(
        "memory_search",
        "Search the agent's memory files (MEMORY.md, memory/*) for lines matching the terms.",
        {"query": _S, "maxResults": _I},
        ["query"],
    ),
    "memory_get": _fn(
        "memory_get",
        "Read lines of a memory file (e.g. memory/notes.md).",
        {"path": _S, "from": {**_I, "description": "First line (1-based)"}, "lines": _I},
        ["path"],
    ),
    "read": _fn(
        "read",
        "Read a workspace file by relative path (e.g. USER.md).",
        {"path": _S},
        ["path"],
    ),
    "web_search": _fn(
        "web_search",
        "Search the web; returns titles, URLs and descriptions.",
        {"query": _S, "count": _I},
        ["query"],
    ),
    "web_fetch": _fn(
        "web_fetch",
        "Fetch a web page's readable text by URL.",
        {"url": _S},
        ["url"],
    ),
}
