"""OpenAIModel: any OpenAI-compatible chat-completions endpoint through the official client.

Temperature 0 and a seed on every call; our own retry loop (the client's is disabled) with
exponential backoff on 429, 5xx, timeouts and connection errors, so the policy is explicit and
testable (the sleep function is injectable). A ``Retry-After`` (or ``retry-after-ms``) header
is honoured; the waits of one call add up to at most ``retry_wait_max_s`` and never pass the
episode's deadline (``CallBudget.timeout_s``). The API key is read from a named environment
variable at construction and handed to the client only: it is never logged, never part of
``info`` and never enters a trajectory; provider error text is redacted before it is kept.

Every response shape is either read or refused with a typed ``ModelError`` (the episode ends,
the run goes on): arguments as a JSON string or object, content as a string or content parts,
missing/empty/duplicate call ids (replaced by ``cb_<turn>_<k>``), the legacy
``function_call``; a response without choices, ``message: null`` or a tool call without a
function name field is ``model_bad_response`` (an empty name is the model's: the loop refuses
that call ``unknown_tool``). A response without usage gets estimated counts
(``tokens_estimated``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Literal

import openai

from clawbench.agent._redact import redact
from clawbench.agent._textcalls import parse_text_tool_calls
from clawbench.agent._tokens import message_tokens
from clawbench.agent._types import CallBudget, ModelTurn, parse_arguments, wire_arguments
from clawbench.errors import (
    ModelContextLengthError,
    ModelConversationRejectedError,
    ModelDeadlineError,
    ModelError,
    ModelResponseError,
)
from clawbench.trajectory import ChatMessage, ModelInfo, ToolCallRequest, Usage

_RETRY_STATUS = frozenset({408, 409, 429})
# Refusals a request's content can cause (malformed or refused messages); 401/403/404/... are
# about the validator's key, model or endpoint, never the conversation.
_CONTENT_STATUS = frozenset({400, 413, 422})
_PROBE = [{"role": "user", "content": "Reply with the single word: ready"}]
_CONTEXT = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|too many tokens|prompt is too long"
    r"|reduce the length|exceeds? the (model'?s? )?(maximum|max)",
    re.IGNORECASE,
)
ToolCallFormat = Literal["native", "text"]


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


def _content_status(err: Exception) -> bool:
    return isinstance(err, openai.APIStatusError) and err.status_code in _CONTENT_STATUS


def _context_length(err: Exception) -> bool:
    if not isinstance(err, openai.APIStatusError) or err.status_code not in (400, 413):
        return False
    body = err.body if isinstance(err.body, dict) else {}
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    if isinstance(inner, dict) and (
        inner.get("code") == "context_length_exceeded"
        or inner.get("type") in ("exceed_context_size_error", "context_length_exceeded")
    ):
        return True
    return bool(_CONTEXT.search(str(err.message)))


def retry_after_s(err: Exception, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, ``Retry-After`` as seconds
    or an HTTP date), or None."""
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = now() if now is not None else datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - current).total_seconds())


def _content_text(content: Any) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        texts = []
        for p in content:
            text = p.get("text") if isinstance(p, dict) else getattr(p, "text", None)
            if isinstance(text, str):
                texts.append(text)
        return "".join(texts)
    raise ModelResponseError(f"message content of type {type(content).__name__}")


def _get(obj: Any, name: str) -> Any:
    """A field of an SDK object or of a plain dict (the SDK does not validate responses, so
    nested values may be either, or anything)."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


class OpenAIModel:
    """A chat model behind an OpenAI-compatible endpoint.

    ``api_key_env`` names the environment variable holding the key (``None`` for endpoints
    without auth, e.g. a local server). ``seed``, when given, is sent on every call instead of
    the episode's seed. ``retries`` is the number of retries after the first attempt; the
    delay before retry *n* (from 0) is ``min(backoff_max_s, backoff_s * 2**n)``, or the
    server's ``Retry-After`` when longer; the waits of one call total at most
    ``retry_wait_max_s``. ``timeout_s`` bounds each attempt; ``max_tokens`` caps every
    answer (the loop's ``CallBudget`` may cap it lower). ``tool_call_format="text"`` also
    reads tool calls written in the answer's text (``clawbench.agent._textcalls``).
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
        retry_wait_max_s: float = 60.0,
        seed: int | None = None,
        max_tokens: int | None = None,
        tool_call_format: ToolCallFormat = "native",
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
        self.retry_wait_max_s = retry_wait_max_s
        self.fixed_seed = seed
        self.max_tokens = max_tokens
        self.tool_call_format = tool_call_format
        self._secrets = (key,) if api_key_env is not None else ()
        self._sleep = sleep
        self._clock = clock
        self._client = openai.AsyncOpenAI(
            api_key=key, base_url=base_url, timeout=timeout_s, max_retries=0
        )
        self._info = ModelInfo(
            provider="openai",
            name=model,
            temperature=0.0,
            seed=seed,
            tool_call_format=tool_call_format,
        )

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

    def _describe(self, err: Exception) -> str:
        if isinstance(err, openai.APITimeoutError):
            return "timeout"
        if isinstance(err, openai.APIConnectionError):
            return "connection error"
        if isinstance(err, openai.APIStatusError):
            return f"HTTP {err.status_code}: {redact(str(err.message), self._secrets)}"
        return redact(f"{type(err).__name__}: {err}", self._secrets)

    async def complete(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        *,
        seed: int,
        budget: CallBudget | None = None,
    ) -> ModelTurn:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [to_wire(m) for m in messages],
            "temperature": 0.0,
            "seed": self.fixed_seed if self.fixed_seed is not None else seed,
        }
        if tools:
            request["tools"] = tools
        loop_cap = budget.max_tokens if budget is not None else None
        caps = [c for c in (self.max_tokens, loop_cap) if c is not None]
        if caps:
            request["max_tokens"] = max(1, min(caps))
        deadline = None
        if budget is not None and budget.timeout_s is not None:
            deadline = self._clock() + budget.timeout_s
        turn = sum(1 for m in messages if m.role == "assistant")
        last, waited = "", 0.0
        for attempt in range(self.retries + 1):
            timeout, cut = self.timeout_s, False
            if deadline is not None:
                left = deadline - self._clock()
                if left <= 0:
                    raise ModelDeadlineError(
                        f"model {self.model!r}: the episode's wall time ran out"
                    )
                if left < timeout:
                    timeout, cut = left, True
            start = self._clock()
            err: Exception
            try:
                resp = await asyncio.wait_for(
                    self._client.chat.completions.create(**request, timeout=timeout),
                    timeout + 1.0,  # the client's timeout is per read; this bounds the total
                )
            except (openai.APITimeoutError, TimeoutError) as e:
                if cut:
                    raise ModelDeadlineError(
                        f"model {self.model!r}: the episode's wall time ran out during the call"
                    ) from None
                err, last = e, "timeout"
            except openai.OpenAIError as e:
                err, last = e, self._describe(e)
                if _context_length(e):
                    raise ModelContextLengthError(
                        f"model {self.model!r}: the conversation exceeds the context window: {last}"
                    ) from None
                if not _retryable(e):
                    if _content_status(e) and await self._accepts_neutral(request, deadline):
                        raise ModelConversationRejectedError(
                            f"model {self.model!r}: refused this conversation but accepts a "
                            f"neutral one with the same settings: {last}"
                        ) from None
                    raise ModelError(
                        f"model {self.model!r}: {last}", code="model_rejected"
                    ) from None
            except ValueError as e:  # a 200 whose body the client cannot decode
                raise ModelResponseError(
                    f"model {self.model!r}: unreadable response body: "
                    + redact(f"{type(e).__name__}: {e}", self._secrets)
                ) from None
            else:
                latency_ms = max(0, round((self._clock() - start) * 1000))
                try:
                    return self._turn(resp, latency_ms, messages, turn)
                except ModelError:
                    raise
                except Exception as e:  # any other shape we cannot read
                    raise ModelResponseError(
                        f"model {self.model!r}: unreadable response: "
                        + redact(f"{type(e).__name__}: {e}", self._secrets)
                    ) from None
            if attempt == self.retries:
                break
            delay = self.backoff(attempt)
            asked = retry_after_s(err)
            if asked is not None:
                delay = max(delay, asked)
            if waited + delay > self.retry_wait_max_s:
                raise ModelError(
                    f"model {self.model!r}: a retry would wait {delay:g}s, past the retry budget "
                    f"of {self.retry_wait_max_s:g}s; last: {last}",
                    code="model_unavailable",
                )
            if deadline is not None and self._clock() + delay >= deadline:
                raise ModelError(
                    f"model {self.model!r}: failing until the episode's wall time ran out; "
                    f"last: {last}",
                    code="model_unavailable",
                )
            waited += delay
            await self._sleep(delay)
        raise ModelError(
            f"model {self.model!r}: failed after {self.retries + 1} attempt(s); last: {last}",
            code="model_unavailable",
        )

    async def _accepts_neutral(self, request: dict[str, Any], deadline: float | None) -> bool:
        """Whose refusal was it? The same model, settings and tools (all ours) with a neutral
        conversation instead of the episode's: accepted means the episode's content (the
        pack's prompt, its agent's messages) caused the refusal. Any failure of the probe
        itself leaves the refusal ours. Costs one short request, once per episode at most."""
        probe = {
            **request,
            "messages": _PROBE,
            "max_tokens": min(request.get("max_tokens", 16), 16),
        }
        timeout = self.timeout_s
        if deadline is not None:
            timeout = min(timeout, deadline - self._clock())
            if timeout <= 0:
                return False
        try:
            resp = await asyncio.wait_for(
                self._client.chat.completions.create(**probe, timeout=timeout), timeout + 1.0
            )
        except (openai.OpenAIError, TimeoutError, ValueError):
            return False
        choices = _get(resp, "choices")
        return isinstance(choices, list) and bool(choices)

    def _turn(
        self, resp: Any, latency_ms: int, messages: list[ChatMessage], turn: int
    ) -> ModelTurn:
        choices = _get(resp, "choices")
        if not isinstance(choices, list) or not choices:
            detail = ""
            error = _get(resp, "error")
            if error is not None:
                detail = ": " + redact(json.dumps(error, default=str), self._secrets)
            elif isinstance(resp, str):
                detail = ": " + redact(resp, self._secrets, max_chars=200)
            raise ModelResponseError(f"model {self.model!r}: response without choices{detail}")
        choice = choices[0]
        msg = _get(choice, "message")
        if msg is None:
            raise ModelResponseError(f"model {self.model!r}: the choice's message is null")
        content = _content_text(_get(msg, "content"))
        calls = self._tool_calls(msg, turn)
        finish = _get(choice, "finish_reason")
        finish = str(finish) if finish is not None else None
        if not calls and self.tool_call_format == "text" and content:
            content, calls = parse_text_tool_calls(content, turn)
            if calls and finish in (None, "stop"):
                finish = "tool_calls"
        message = ChatMessage(role="assistant", content=content, tool_calls=calls)
        return ModelTurn(
            message=message,
            usage=self._usage(_get(resp, "usage"), latency_ms, messages, message, finish),
            finish_reason=finish,
        )

    def _tool_calls(self, msg: Any, turn: int) -> list[ToolCallRequest]:
        raw = _get(msg, "tool_calls")
        legacy = _get(msg, "function_call")
        if not raw and legacy is not None:  # the pre-tools API: one call, no id
            raw = [{"id": None, "type": "function", "function": legacy}]
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise ModelResponseError(f"model {self.model!r}: tool_calls is not a list")
        calls: list[ToolCallRequest] = []
        seen: set[str] = set()
        for k, tc in enumerate(raw):
            fn = _get(tc, "function")
            name = _get(fn, "name") if fn is not None else None
            # A missing name is the server's broken shape; an empty one is what the model
            # wrote (a pack can steer it there): a call the loop refuses as unknown_tool.
            if not isinstance(name, str):
                raise ModelResponseError(
                    f"model {self.model!r}: tool call {k} has no function name"
                )
            call_id = _get(tc, "id")
            if not isinstance(call_id, str) or not call_id or call_id in seen:
                call_id = f"cb_{turn}_{k}"
            seen.add(call_id)
            calls.append(parse_arguments(call_id, name, _get(fn, "arguments")))
        return calls

    def _usage(
        self,
        u: Any,
        latency_ms: int,
        messages: list[ChatMessage],
        answer: ChatMessage,
        finish: str | None,
    ) -> Usage:
        def num(name: str) -> int | None:
            v = _get(u, name) if u is not None else None
            return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None

        prompt, completion, total = (
            num("prompt_tokens"),
            num("completion_tokens"),
            num("total_tokens"),
        )
        if prompt is None or completion is None:
            prompt = sum(message_tokens(m) for m in messages) if prompt is None else prompt
            completion = message_tokens(answer) if completion is None else completion
            return Usage(
                prompt_tokens=prompt,
                completion_tokens=completion,
                total_tokens=prompt + completion,
                latency_ms=latency_ms,
                finish_reason=finish,
                tokens_estimated=True,
            )
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=total or prompt + completion,
            latency_ms=latency_ms,
            finish_reason=finish,
        )
