"""OpenAIModel: any OpenAI-compatible chat-completions endpoint through the official client.

Temperature 0 and a seed on every call; our own retry loop (the client's is disabled) with
exponential backoff on 429, 5xx, timeouts and connection errors, so the policy is explicit and
testable (the sleep function is injectable). The API key is read from a named environment
variable at construction and handed to the client only: it is never logged, never part of
``info`` and never enters a trajectory.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import openai

from clawbench.agent._types import ModelTurn, parse_arguments, wire_arguments
from clawbench.errors import ModelError
from clawbench.trajectory import ChatMessage, ModelInfo, Usage

_RETRY_STATUS = frozenset({408, 409, 429})


def to_wire(msg: ChatMessage) -> dict[str, Any]:
    """A ChatMessage in the chat-completions request format."""
    out: dict[str, Any] = {"role": msg.role, "content": msg.content}
    if msg.role == "assistant" and msg.tool_calls:
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": wire_arguments(c)},
            }
            for c in msg.tool_calls
        ]
    if msg.role == "tool":
        out["tool_call_id"] = msg.tool_call_id
        out["content"] = msg.content or ""
    if msg.name is not None and msg.role != "tool":
        out["name"] = msg.name
    return out


def _retryable(err: Exception) -> bool:
    if isinstance(err, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(err, openai.APIStatusError):
        return err.status_code in _RETRY_STATUS or err.status_code >= 500
    return False


def _describe(err: Exception) -> str:
    if isinstance(err, openai.APITimeoutError):
        return "timeout"
    if isinstance(err, openai.APIConnectionError):
        return "connection error"
    if isinstance(err, openai.APIStatusError):
        return f"HTTP {err.status_code}: {err.message}"
    return f"{type(err).__name__}: {err}"


class OpenAIModel:
    """A chat model behind an OpenAI-compatible endpoint.

    ``api_key_env`` names the environment variable holding the key (``None`` for endpoints
    without auth, e.g. a local server). ``seed``, when given, is sent on every call instead of
    the episode's seed. ``retries`` is the number of retries after the first attempt; the
    delay before retry *n* (from 0) is ``min(backoff_max_s, backoff_s * 2**n)``.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        timeout_s: float = 120.0,
        retries: int = 4,
        backoff_s: float = 1.0,
        backoff_max_s: float = 30.0,
        seed: int | None = None,
        max_tokens: int | None = None,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        env = os.environ if environ is None else environ
        if api_key_env is None:
            key = "unused"
        else:
            key = env.get(api_key_env, "")
            if not key:
                raise ModelError(
                    f"environment variable {api_key_env} (the model API key) is not set",
                    code="model_key_missing",
                )
        self.model = model
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.fixed_seed = seed
        self.max_tokens = max_tokens
        self._sleep = sleep
        self._clock = clock
        self._client = openai.AsyncOpenAI(
            api_key=key, base_url=base_url, timeout=timeout_s, max_retries=0
        )
        self._info = ModelInfo(provider="openai", name=model, temperature=0.0, seed=seed)

    @property
    def info(self) -> ModelInfo:
        return self._info

    def __repr__(self) -> str:  # no key here, ever
        return f"OpenAIModel(model={self.model!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> OpenAIModel:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_max_s, self.backoff_s * (2**attempt))

    async def complete(
        self, messages: list[ChatMessage], tools: list[dict[str, Any]], *, seed: int
    ) -> ModelTurn:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [to_wire(m) for m in messages],
            "temperature": 0.0,
            "seed": self.fixed_seed if self.fixed_seed is not None else seed,
        }
        if tools:
            request["tools"] = tools
        if self.max_tokens is not None:
            request["max_tokens"] = self.max_tokens
        last = ""
        for attempt in range(self.retries + 1):
            start = self._clock()
            try:
                resp = await self._client.chat.completions.create(**request)
            except openai.OpenAIError as err:
                last = _describe(err)
                if not _retryable(err):
                    raise ModelError(
                        f"model {self.model!r}: {last}", code="model_rejected"
                    ) from None
                if attempt < self.retries:
                    await self._sleep(self.backoff(attempt))
                continue
            latency_ms = max(0, round((self._clock() - start) * 1000))
            return self._turn(resp, latency_ms)
        raise ModelError(
            f"model {self.model!r}: failed after {self.retries + 1} attempt(s); last: {last}",
            code="model_unavailable",
        )

    def _turn(self, resp: Any, latency_ms: int) -> ModelTurn:
        choices = getattr(resp, "choices", None) or []
        if not choices:
            raise ModelError(
                f"model {self.model!r}: response without choices", code="model_bad_response"
            )
        choice = choices[0]
        msg = choice.message
        calls = [
            parse_arguments(tc.id, tc.function.name, tc.function.arguments)
            for tc in (msg.tool_calls or [])
            if getattr(tc, "function", None) is not None
        ]
        u = resp.usage
        prompt = int(getattr(u, "prompt_tokens", 0) or 0) if u else 0
        completion = int(getattr(u, "completion_tokens", 0) or 0) if u else 0
        total = int(getattr(u, "total_tokens", 0) or 0) if u else 0
        usage = Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=total or prompt + completion,
            latency_ms=latency_ms,
        )
        message = ChatMessage(role="assistant", content=msg.content, tool_calls=calls)
        return ModelTurn(
            message=message, usage=usage, finish_reason=str(choice.finish_reason or "stop")
        )
