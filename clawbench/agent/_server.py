"""ScriptedModelServer: an OpenAI-compatible chat-completions endpoint on 127.0.0.1 that
replays scripts, so tests and local runs drive the real ``openai`` client code path.

Stateless: the turn is the number of assistant messages in the request, and the script is
chosen by the request's ``model`` field, so concurrent episodes can share one server. Faults
can be queued (``fail_next``) to exercise a client's retries.
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
from clawbench.agent._types import wire_arguments, wire_message_chars
from clawbench.errors import ModelError

Fault = int | Literal["hang"]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: count the text ones
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _request_chars(messages: list[Any]) -> int:
    total = 0
    for m in messages:
        if not isinstance(m, dict):
            continue
        calls = []
        for c in m.get("tool_calls") or []:
            fn = c.get("function", {}) if isinstance(c, dict) else {}
            calls.append((str(fn.get("name", "")), str(fn.get("arguments", ""))))
        total += wire_message_chars(str(m.get("role", "")), _content_text(m.get("content")), calls)
    return total


def _error(status: int, message: str, kind: str) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": kind}}
    return web.json_response(body, status=status)


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

    async def _complete(self, request: web.Request) -> web.Response:
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
        model = body.get("model")
        script = self.scripts.get(model) if isinstance(model, str) else None
        if script is None:
            return _error(404, f"no script for model {model!r}", "model_not_found")
        messages = body.get("messages")
        if not isinstance(messages, list):
            return _error(400, "messages must be a list", "invalid_request_error")
        turn = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
        try:
            answer = scripted_message(script, turn)
        except ModelError as err:
            return _error(400, str(err), err.code)
        usage = scripted_usage(_request_chars(messages), answer)
        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        if answer.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": wire_arguments(c)},
                }
                for c in answer.tool_calls
            ]
        payload = {
            "id": f"chatcmpl-{model}-{turn}",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if answer.tool_calls else "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
        }
        return web.Response(text=json.dumps(payload), content_type="application/json")
