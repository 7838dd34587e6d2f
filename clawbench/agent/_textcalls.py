"""Tool calls written in the answer's text, for models without native tool calling
(opt-in: ``--tool-call-format text``).

Small local models often answer a tool request with text the server leaves as content:

* Hermes / Qwen style tags: ``<tool_call>{"name": "exec", "arguments": {...}}</tool_call>``
* a fenced JSON block: a ```` ```json ```` (or bare ```` ``` ````) fence holding one call
  object or a list of them.

A call object is ``{"name": ..., "arguments": {...}}``; ``parameters`` is accepted for
``arguments`` and ``{"function": {"name", "arguments"}}`` (the API's own shape) too.
Arguments may be an object or a JSON string. Blocks that are not call objects stay text. The
text around parsed calls is kept as the message's content; ids are ``text_<turn>_<k>``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from clawbench.agent._types import parse_arguments
from clawbench.trajectory import ToolCallRequest

_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call)?[ \t]*\n(.*?)\n?```", re.DOTALL)


def _call_objects(value: Any) -> list[dict[str, Any]] | None:
    """The call objects in a parsed JSON value, or None if it is not (only) calls."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, dict):
            return None
        if isinstance(item.get("function"), dict):
            item = item["function"]
        name = item.get("name")
        if not isinstance(name, str) or not name:
            return None
        args = item.get("arguments", item.get("parameters", {}))
        out.append({"name": name, "arguments": args})
    return out or None


def parse_text_tool_calls(text: str, turn: int) -> tuple[str, list[ToolCallRequest]]:
    """(the text left once the calls are taken out, the calls). Tags win over fences: a
    model using tags may also show JSON examples in fences."""
    calls: list[dict[str, Any]] = []
    spans: list[tuple[int, int]] = []
    for pattern in (_TAG, _FENCE):
        for m in pattern.finditer(text):
            try:
                value = json.loads(m.group(1))
            except ValueError:
                continue
            found = _call_objects(value)
            if found is None:
                continue
            calls += found
            spans.append(m.span())
        if calls:
            break
    if not calls:
        return text, []
    rest, pos = [], 0
    for a, b in sorted(spans):
        rest.append(text[pos:a])
        pos = b
    rest.append(text[pos:])
    requests = [
        parse_arguments(f"text_{turn}_{k}", c["name"], c["arguments"]) for k, c in enumerate(calls)
    ]
    return "".join(rest).strip(), requests
