"""ScriptedModelServer: an OpenAI-compatible chat-completions endpoint on 127.0.0.1 that
replays scripts, so tests and local runs drive the real ``openai`` client code path (and any
other OpenAI-compatible client).

Stateless: the turn is the number of assistant messages in the request, and the script is
chosen by the request's ``model`` field, so concurrent episodes can share one server. Faults
can be queued (``fail_next``) to exercise a client's retries.

It speaks the API as clients expect:

* ``stream: true`` answers with server-sent events: a role chunk, the content in pieces,
  each tool call as deltas (index, id, name, then argument pieces), a chunk with the
  ``finish_reason``, a usage chunk when ``stream_options.include_usage`` is set, then
  ``data: [DONE]``.
* ``tool_choice``: ``none`` (or a request without ``tools``) gets no tool calls, only the
  turn's text; ``{"type": "function", "function": {"name": N}}`` keeps only calls of ``N``;
  ``required`` on a turn without tool calls is a 400 (a script cannot invent a call).
* ``max_tokens`` / ``max_completion_tokens``: an answer whose estimated tokens exceed it is
  cut (text first, then tool calls, the last one's arguments cut mid-string) and finishes
  ``length``.
* ``n`` other than 1 is a 400; so is every malformed request (not JSON, messages not a list
  of role messages, a ``tool_calls`` entry without a function name or string arguments, bad
  ``tools``), always with an OpenAI-style JSON error body, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

from clawbench.agent._script import Script
from clawbench.agent._scripted import render_script, scripted_message, scripted_usage
from clawbench.agent._types import estimate_tokens, wire_arguments, wire_message_chars
from clawbench.errors import ModelError
from clawbench.trajectory import ChatMessage, ToolCallRequest

Fault = int | Literal["hang"]
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_PIECE = 24  # characters per streamed delta


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: count the text ones
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list", "messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in _ROLES:
            raise BadRequest(f"messages[{i}] must be an object with a valid role", "messages")
        calls = m.get("tool_calls")
        if calls is None:
            continue
        if not isinstance(calls, list):
            raise BadRequest(f"messages[{i}].tool_calls must be a list", "messages")
        for k, c in enumerate(calls):
            fn = c.get("function") if isinstance(c, dict) else None
            where = f"messages[{i}].tool_calls[{k}]"
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise BadRequest(f"{where}.function.name is required", "messages")
            if not isinstance(fn.get("arguments", ""), str):
                raise BadRequest(f"{where}.function.arguments must be a string", "messages")
            if not isinstance(c.get("id", ""), str):
                raise BadRequest(f"{where}.id must be a string", "messages")
    return messages


def _tool_names(tools: Any) -> list[str] | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise BadRequest("tools must be a list", "tools")
    names = []
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(t, dict) or t.get("type") != "function" or not isinstance(fn, dict):
            raise BadRequest(f"tools[{i}] must be {{type: function, function: {{...}}}}", "tools")
        if not isinstance(fn.get("name"), str) or not fn["name"]:
            raise BadRequest(f"tools[{i}].function.name is required", "tools")
        names.append(fn["name"])
    return names


def _request_chars(messages: list[dict[str, Any]]) -> int:
    total = 0
    for m in messages:
        calls = []
        for c in m.get("tool_calls") or []:
            fn = c.get("function", {})
            calls.append((str(fn.get("name", "")), str(fn.get("arguments", ""))))
        total += wire_message_chars(str(m.get("role", "")), _content_text(m.get("content")), calls)
    return total


def _error(status: int, message: str, kind: str, param: str | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": kind}}
    return web.json_response(body, status=status)


def _apply_tool_choice(answer: ChatMessage, names: list[str] | None, choice: Any) -> ChatMessage:
    """The answer as the request allows it: no calls without tools or with ``none``."""
    if choice is not None and not (
        choice in ("none", "auto", "required")
        or (
            isinstance(choice, dict)
            and choice.get("type") == "function"
            and isinstance((choice.get("function") or {}).get("name"), str)
        )
    ):
        raise BadRequest(
            "tool_choice must be none, auto, required or a named function", "tool_choice"
        )
    calls = answer.tool_calls
    if not names or choice == "none":
        calls = []
    elif isinstance(choice, dict):
        wanted = choice["function"]["name"]
        if wanted not in names:
            raise BadRequest(f"tool_choice names {wanted!r}, which is not in tools", "tool_choice")
        calls = [c for c in calls if c.name == wanted]
    if choice == "required" and names and not calls:
        raise BadRequest(
            "tool_choice is required but this script turn makes no tool call", "tool_choice"
        )
    if calls == answer.tool_calls:
        return answer
    return answer.model_copy(update={"tool_calls": calls})


def _cut(answer: ChatMessage, max_tokens: int | None) -> tuple[ChatMessage, list[str], bool]:
    """(the answer, each call's wire arguments, whether it was cut at ``max_tokens``)."""
    args = [wire_arguments(c) for c in answer.tool_calls]
    chars = wire_message_chars(
        "assistant",
        answer.content,
        ((c.name, a) for c, a in zip(answer.tool_calls, args, strict=True)),
    )
    if max_tokens is None or estimate_tokens(chars) <= max_tokens:
        return answer, args, False
    budget = max_tokens * 4
    content = answer.content
    if content is not None:
        content = content[:budget]
        budget -= len(content)
    calls: list[ToolCallRequest] = []
    cut_args: list[str] = []
    for c, a in zip(answer.tool_calls, args, strict=True):
        if budget <= len(c.name):
            break
        budget -= len(c.name)
        piece = a[:budget]
        budget -= len(piece)
        cut_args.append(piece)
        calls.append(
            ToolCallRequest(id=c.id, name=c.name, arguments={}, raw_arguments=piece or " ")
        )
    return ChatMessage(role="assistant", content=content, tool_calls=calls), cut_args, True


class ScriptedModelServer:
    """Serves ``scripts`` (model name -> Script, templated with ``variables``) at
    ``POST /v1/chat/completions``. Use as ``async with ScriptedModelServer(...) as srv:`` and
    point a client at ``srv.base_url``. ``requests`` keeps every request body received."""

    def __init__(
        self,
        scripts: Mapping[str, Script],
        variables: Mapping[str, str] | None = None,
        *,
        hang_s: float = 30.0,
    ) -> None:
        self.scripts = {name: render_script(s, variables or {}) for name, s in scripts.items()}
        self.requests: list[dict[str, Any]] = []
        self.hang_s = hang_s
        self._faults: list[Fault] = []
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.port = 0

    def fail_next(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order: an HTTP status (500, 429,
        503, ...) or ``"hang"`` (answer only after ``hang_s`` or when the server stops:
        trips client timeouts)."""
        self._faults.extend(faults)

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the server is not running")
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> str:
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_get("/v1/models", self._models)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            self._stopping.set()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ScriptedModelServer:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _models(self, request: web.Request) -> web.Response:
        data = [
            {"id": n, "object": "model", "created": 0, "owned_by": "clawbench"}
            for n in self.scripts
        ]
        return web.json_response({"object": "list", "data": data})

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, "request body is not JSON", "invalid_request_error")
        if not isinstance(body, dict):
            return _error(400, "request body must be a JSON object", "invalid_request_error")
        self.requests.append(body)
        if self._faults:
            fault = self._faults.pop(0)
            if fault == "hang":  # until hang_s passes or the server stops
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.hang_s)
            else:
                return _error(int(fault), f"injected fault {fault}", "server_error")
        try:
            return await self._answer(request, body)
        except BadRequest as err:
            return _error(400, str(err), "invalid_request_error", err.param)
        except ModelError as err:
            return _error(400, str(err), err.code)
        except Exception as err:  # never a traceback on the wire
            return _error(500, f"internal error: {type(err).__name__}", "server_error")

    async def _answer(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        model = body.get("model")
        script = self.scripts.get(model) if isinstance(model, str) else None
        if script is None:
            return _error(404, f"no script for model {model!r}", "model_not_found", "model")
        messages = _check_messages(body.get("messages"))
        n = body.get("n", 1)
        if n is not None and n != 1:
            raise BadRequest("n must be 1 (one choice per request)", "n")
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
            raise BadRequest("max_tokens must be a positive integer", "max_tokens")
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            raise BadRequest("stream must be a boolean", "stream")
        names = _tool_names(body.get("tools"))
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        answer = _apply_tool_choice(scripted_message(script, turn), names, body.get("tool_choice"))
        answer, args, cut = _cut(answer, cap)
        usage = scripted_usage(_request_chars(messages), answer)
        finish = "length" if cut else ("tool_calls" if answer.tool_calls else "stop")
        usage_json = {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        }
        calls = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": a}}
            for c, a in zip(answer.tool_calls, args, strict=False)
        ]
        head = {"id": f"chatcmpl-{model}-{turn}", "created": 0, "model": model}
        if stream:
            options = body.get("stream_options") or {}
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            return await self._stream(
                request, head, answer.content, calls, finish, usage_json if include_usage else None
            )
        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        if calls:
            message["tool_calls"] = calls
        payload = {
            **head,
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "usage": usage_json,
        }
        return web.Response(text=json.dumps(payload), content_type="application/json")

    async def _stream(
        self,
        request: web.Request,
        head: dict[str, Any],
        content: str | None,
        calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, int] | None,
    ) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await resp.prepare(request)

        async def send(choices: list[Any], **extra: Any) -> None:
            chunk = {**head, "object": "chat.completion.chunk", "choices": choices, **extra}
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())

        def delta(d: dict[str, Any], finish_reason: str | None = None) -> list[Any]:
            return [{"index": 0, "delta": d, "finish_reason": finish_reason, "logprobs": None}]

        await send(delta({"role": "assistant", "content": "" if content is not None else None}))
        text = content or ""
        for i in range(0, len(text), _PIECE):
            await send(delta({"content": text[i : i + _PIECE]}))
        for k, c in enumerate(calls):
            fn = c["function"]
            first = {
                "index": k,
                "id": c["id"],
                "type": "function",
                "function": {"name": fn["name"], "arguments": ""},
            }
            await send(delta({"tool_calls": [first]}))
            a = fn["arguments"]
            for i in range(0, len(a), _PIECE):
                piece = {"index": k, "function": {"arguments": a[i : i + _PIECE]}}
                await send(delta({"tool_calls": [piece]}))
        await send(delta({}, finish))
        if usage is not None:
            await send([], usage=usage)
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp
