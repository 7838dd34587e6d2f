"""A chat-completions endpoint on 127.0.0.1 that answers with whatever a test queues: any
status, body (JSON or raw text), headers and delay, so the real openai client meets every
shape real providers and proxies send. It runs in its own thread and event loop, so sync
tests (the CLI's ``main``, which calls ``asyncio.run``) and async tests can both use it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    body: Any = None  # a dict/list is sent as JSON; a str as is
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    content_type: str = "application/json"


def completion(
    content: str | None = "done",
    *,
    tool_calls: list[Any] | None = None,
    finish_reason: str | None = "stop",
    usage: dict[str, int] | None = None,
    message: Any = "default",
) -> dict[str, Any]:
    """A chat.completion body; ``message`` replaces the whole message when given."""
    msg: Any = {"role": "assistant", "content": content}
    if tool_calls is not None:
        msg["tool_calls"] = tool_calls
    if message != "default":
        msg = message
    body: dict[str, Any] = {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "message": msg, "finish_reason": finish_reason}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


USAGE = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}


def final(text: str = "done") -> Reply:
    return Reply(completion(text, usage=USAGE))


class FaultServer:
    """``with FaultServer(default) as srv:`` then point a client at ``srv.base_url``. Each
    request pops the next queued ``Reply`` (``srv.queue(...)``); when none is queued the
    ``default`` answers (a Reply, or a function of the request body)."""

    def __init__(self, default: Reply | Callable[[dict[str, Any]], Reply] | None = None) -> None:
        self.default = default or final()
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._lock = threading.Lock()

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        with self._lock:
            self.requests.append(body)
            self.headers.append(dict(request.headers))
            reply = self.replies.pop(0) if self.replies else None
        if reply is None:
            reply = self.default(body) if callable(self.default) else self.default
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return web.Response(
            text=text, status=reply.status, headers=reply.headers, content_type=reply.content_type
        )

    async def _models(self, request: web.Request) -> web.Response:
        """Lists "m" (so a preflight needs no chat completion and no queued reply)."""
        return web.json_response({"object": "list", "data": [{"id": "m", "object": "model"}]})

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._handle)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> FaultServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
