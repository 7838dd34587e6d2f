"""What a model client returns, and the protocol every client (real or scripted) implements."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from clawbench.trajectory import ChatMessage, ModelInfo, ToolCallRequest, Usage


class ModelTurn(BaseModel):
    """One model call's answer: the assistant message, its token usage and why it stopped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: ChatMessage
    usage: Usage
    finish_reason: str | None = "stop"  # as the provider sent it; None if it sent none


@dataclass(frozen=True)
class CallBudget:
    """What one model call may spend, set by the loop from the episode's limits.

    ``max_tokens``: the cap on the answer's tokens (sent as ``max_tokens``), never more than
    the episode has left. ``timeout_s``: seconds left before the episode's wall time; no
    attempt, retry or backoff of this call may run past it. ``None``: no cap from the loop.
    """

    max_tokens: int | None = None
    timeout_s: float | None = None


class ModelClient(Protocol):
    """A chat model with tool calling. ``complete`` raises ``clawbench.errors.ModelError``
    once its retries are spent; it never returns a half-parsed answer. ``budget`` (from the
    loop) caps this call; a client may ignore it (the loop enforces the wall time anyway)."""

    @property
    def info(self) -> ModelInfo: ...

    async def complete(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        *,
        seed: int,
        budget: CallBudget | None = None,
    ) -> ModelTurn: ...


def wire_arguments(call: ToolCallRequest) -> str:
    """A tool call's ``arguments`` string as sent on the wire: what the model sent if it was not
    valid JSON, else compact JSON. One definition so the in-process and HTTP paths agree."""
    if call.raw_arguments:
        return call.raw_arguments
    return json.dumps(call.arguments, ensure_ascii=False, separators=(",", ":"))


def parse_arguments(call_id: str, name: str, raw: Any) -> ToolCallRequest:
    """Parse a wire tool call. Arguments that are not a JSON object are kept verbatim in
    ``raw_arguments`` with empty ``arguments`` (the loop refuses them as ``bad_arguments``).
    Some servers send the arguments as a JSON object rather than a string: taken as is."""
    if isinstance(raw, dict):
        return ToolCallRequest(id=call_id, name=name, arguments=raw)
    if raw is not None and not isinstance(raw, str):  # a list, number...: not an object
        text = json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str)
        return ToolCallRequest(id=call_id, name=name, arguments={}, raw_arguments=text)
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
