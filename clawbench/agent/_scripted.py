"""The scripted model: replays a Script's turns, in process (``ScriptedModel``) or over HTTP
(``ScriptedModelServer``, in ``_server.py``).

Rules (shared by both):

* Turn *i* answers the *i*-th model call of the episode, whatever the tool results were.
* Strings are templated with the instance's variables: ``{{NAME}}`` and ``{{NAME.field}}``
  (looked up by the full dotted name); unknown placeholders stay as written. Tool arguments
  are templated recursively (dict values, list items).
* Tool call ids are ``call_<turn>_<k>``.
* Usage is an estimate, deterministic by construction: prompt tokens = ceil(chars / 4) of
  the messages sent (content plus tool-call names and argument strings; tool schemas are not
  counted), completion tokens = ceil(chars / 4) of the answer.
* Calling past the script's end raises ``ModelError`` (code ``script_exhausted``): the loop
  stops at a final answer, so only a script that ends with tool calls gets there, and such a
  script is broken.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from clawbench.agent._script import Script, ScriptToolCall, ScriptTurn
from clawbench.agent._types import CallBudget, ModelTurn, estimate_tokens, message_chars
from clawbench.errors import ModelError
from clawbench.trajectory import ChatMessage, ModelInfo, ToolCallRequest, Usage

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")


def render_text(text: str, variables: Mapping[str, str]) -> str:
    """Substitute ``{{NAME}}`` / ``{{NAME.field}}`` from ``variables``; unknown ones stay."""
    if "{{" not in text:
        return text
    return _PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def render_value(value: Any, variables: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return render_text(value, variables)
    if isinstance(value, dict):
        return {k: render_value(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, variables) for v in value]
    return value


def render_script(script: Script, variables: Mapping[str, str]) -> Script:
    """The script with every turn's content and tool arguments templated."""
    turns = [
        ScriptTurn(
            content=None if t.content is None else render_text(t.content, variables),
            tool_calls=[
                ScriptToolCall(name=c.name, arguments=render_value(c.arguments, variables))
                for c in t.tool_calls
            ],
        )
        for t in script.turns
    ]
    return script.model_copy(update={"turns": turns})


def script_id(script: Script) -> str:
    """A short content id for a script (names the scripted model; part of cache keys)."""
    return hashlib.sha256(script.model_dump_json().encode()).hexdigest()[:12]


def scripted_message(script: Script, turn: int) -> ChatMessage:
    """The assistant message for ``turn`` of an already rendered script."""
    if turn >= len(script.turns):
        raise ModelError(
            f"the script has {len(script.turns)} turn(s) and was asked for turn {turn + 1}: "
            "a script must end with a final answer (a turn without tool calls)",
            code="script_exhausted",
        )
    t = script.turns[turn]
    calls = [
        ToolCallRequest(id=f"call_{turn}_{k}", name=c.name, arguments=dict(c.arguments))
        for k, c in enumerate(t.tool_calls)
    ]
    return ChatMessage(role="assistant", content=t.content, tool_calls=calls)


def scripted_usage(prompt_chars: int, answer: ChatMessage) -> Usage:
    prompt = estimate_tokens(prompt_chars)
    completion = estimate_tokens(message_chars(answer))
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


class ScriptedModel:
    """Replays ``script`` (templated with ``variables``) in process. ``latency_s`` adds an
    ``asyncio.sleep`` per call (benchmarks); it never enters the record (latency_ms stays 0).

    The turn index is the number of assistant messages in the conversation it is sent, so one
    instance is stateless and may serve concurrent episodes of the same instance.
    """

    def __init__(
        self,
        script: Script,
        variables: Mapping[str, str] | None = None,
        *,
        name: str | None = None,
        latency_s: float = 0.0,
    ) -> None:
        self.script = render_script(script, variables or {})
        self.latency_s = latency_s
        self._info = ModelInfo(provider="scripted", name=name or f"script-{script_id(script)}")

    @property
    def info(self) -> ModelInfo:
        return self._info

    async def complete(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        *,
        seed: int,
        budget: CallBudget | None = None,
    ) -> ModelTurn:
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        turn = sum(1 for m in messages if m.role == "assistant")
        answer = scripted_message(self.script, turn)
        usage = scripted_usage(sum(message_chars(m) for m in messages), answer)
        finish = "tool_calls" if answer.tool_calls else "stop"
        return ModelTurn(message=answer, usage=usage, finish_reason=finish)
