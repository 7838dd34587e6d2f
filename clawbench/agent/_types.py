"""What a model client returns, and the protocol every client (real or scripted) implements."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from clawbench.trajectory import ChatMessage, ModelInfo, ToolCallRequest, Usage


class ModelTurn(BaseModel):
    """One model call's answer: the assistant message, its token usage and why it stopped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: ChatMessage
    usage: Usage
    finish_reason: str = "stop"


class ModelClient(Protocol):
    """A chat model with tool calling. ``complete`` raises ``clawbench.errors.ModelError``
    once its retries are spent; it never returns a half-parsed answer."""

    @property
    def info(self) -> ModelInfo: ...

    async def complete(
        self, messages: list[ChatMessage], tools: list[dict[str, Any]], *, seed: int
    ) -> ModelTurn: ...


def wire_arguments(call: ToolCallRequest) -> str:
    """A tool call's ``arguments`` string as sent on the wire: what the model sent if it was not
    valid JSON, else compact JSON. One definition so the in-process and HTTP paths agree."""
    if call.raw_arguments:
        return call.raw_arguments
    return json.dumps(call.arguments, ensure_ascii=False, separators=(",", ":"))


def parse_arguments(call_id: str, name: str, raw: str | None) -> ToolCallRequest:
    """Parse a wire tool call. Arguments that are not a JSON object are kept verbatim in
    ``raw_arguments`` with empty ``arguments`` (the loop refuses them as ``bad_arguments``)."""
    text = raw or ""
    if not text.strip():
        return ToolCallRequest(id=call_id, name=name, arguments={})
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return ToolCallRequest(id=call_id, name=name, arguments=value)
    return ToolCallRequest(id=call_id, name=name, arguments={}, raw_arguments=text)


def wire_message_chars(role: str, content: str | None, calls: Iterable[tuple[str, str]]) -> int:
    """Characters of a message as the usage estimate counts them: content, plus each tool
    call's name and arguments string."""
    return len(content or "") + sum(len(n) + len(a) for n, a in calls)


def estimate_tokens(chars: int) -> int:
    """The scripted models' deterministic token estimate: ceil(chars / 4)."""
    return math.ceil(chars / 4)


def message_chars(msg: ChatMessage) -> int:
    return wire_message_chars(
        msg.role, msg.content, ((c.name, wire_arguments(c)) for c in msg.tool_calls)
    )
