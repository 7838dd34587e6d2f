"""The scripted server speaks the chat-completions API as clients expect: streaming (SSE with
tool-call deltas and a usage chunk), tool_choice, max_tokens, n=1, no calls without tools, and
JSON 400s for malformed requests. Exercised with the official openai SDK (streaming and not)
and with raw httpx, as any other client would see it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from test_agent_support import REFERENCE_TURNS, call, make_script

from clawbench.agent import ScriptedModelServer

VARS = {"CLIENT": "Acme", "CLIENT.email": "dana@acme.example"}
TOOLS = [
    {"type": "function", "function": {"name": "exec", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "slack", "parameters": {"type": "object"}}},
]
USER = [{"role": "user", "content": "hello"}]
TWO_CALLS = [
    {
        "content": "Looking.",
        "tool_calls": [
            call("exec", command="himalaya envelope list --page-size 50 --folder INBOX"),
            call("slack", action="read", channel="#finance"),
        ],
    },
    {"content": "All done for {{CLIENT}}: " + "x" * 200},
]


def server() -> ScriptedModelServer:
    return ScriptedModelServer(
        {"ref": make_script(REFERENCE_TURNS), "two": make_script(TWO_CALLS)}, VARS
    )


def sdk(srv: ScriptedModelServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="unused", base_url=srv.base_url, max_retries=0)


async def test_streaming_with_the_openai_sdk_matches_the_plain_answer() -> None:
    async with server() as srv:
        client = sdk(srv)
        plain = await client.chat.completions.create(model="two", messages=USER, tools=TOOLS)  # type: ignore[arg-type]
        stream = await client.chat.completions.create(
            model="two",
            messages=USER,  # type: ignore[arg-type]
            tools=TOOLS,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
        content, calls, finish, usage, chunks = "", {}, None, None, 0
        async for chunk in stream:
            chunks += 1
            if chunk.usage is not None:
                usage = chunk.usage
            for ch in chunk.choices:
                content += ch.delta.content or ""
                for d in ch.delta.tool_calls or []:
                    slot = calls.setdefault(d.index, {"id": None, "name": "", "arguments": ""})
                    slot["id"] = d.id or slot["id"]
                    if d.function is not None:
                        slot["name"] += d.function.name or ""
                        slot["arguments"] += d.function.arguments or ""
                finish = ch.finish_reason or finish
        await client.close()
    msg = plain.choices[0].message
    assert chunks > 4  # really streamed: role, pieces, calls, finish, usage
    assert content == msg.content == "Looking."
    assert [(c["id"], c["name"], c["arguments"]) for c in calls.values()] == [
        (t.id, t.function.name, t.function.arguments) for t in msg.tool_calls or []
    ]
    assert json.loads(calls[0]["arguments"])["command"].startswith("himalaya envelope list")
    assert finish == plain.choices[0].finish_reason == "tool_calls"
    assert usage is not None and plain.usage is not None
    assert usage.total_tokens == plain.usage.total_tokens > 0


async def test_stream_without_include_usage_has_no_usage_chunk() -> None:
    async with server() as srv:
        client = sdk(srv)
        stream = await client.chat.completions.create(model="ref", messages=USER, stream=True)  # type: ignore[arg-type]
        chunks = [c async for c in stream]
        await client.close()
    assert chunks and all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


async def test_no_tool_calls_without_tools_or_with_tool_choice_none() -> None:
    async with server() as srv:
        client = sdk(srv)
        bare = await client.chat.completions.create(model="two", messages=USER)  # type: ignore[arg-type]
        none = await client.chat.completions.create(
            model="two",
            messages=USER,
            tools=TOOLS,
            tool_choice="none",  # type: ignore[arg-type]
        )
        named = await client.chat.completions.create(
            model="two",
            messages=USER,  # type: ignore[arg-type]
            tools=TOOLS,  # type: ignore[arg-type]
            tool_choice={"type": "function", "function": {"name": "slack"}},
        )
        await client.close()
    for r in (bare, none):
        assert r.choices[0].message.tool_calls is None and r.choices[0].finish_reason == "stop"
        assert r.choices[0].message.content == "Looking."
    assert [t.function.name for t in named.choices[0].message.tool_calls or []] == ["slack"]


async def test_max_tokens_cuts_the_answer_and_finishes_length() -> None:
    async with server() as srv:
        client = sdk(srv)
        history = [
            *USER,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "exec", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "a", "content": "ok"},
        ]
        cut = await client.chat.completions.create(model="two", messages=history, max_tokens=10)  # type: ignore[arg-type]
        whole = await client.chat.completions.create(model="two", messages=history, max_tokens=500)  # type: ignore[arg-type]
        calls = await client.chat.completions.create(
            model="two",
            messages=USER,
            tools=TOOLS,
            max_tokens=8,  # type: ignore[arg-type]
        )
        await client.close()
    assert cut.choices[0].finish_reason == "length" and cut.usage is not None
    assert len(cut.choices[0].message.content or "") == 40 and cut.usage.completion_tokens <= 10
    assert whole.choices[0].finish_reason == "stop"
    assert (whole.choices[0].message.content or "").startswith("All done for Acme")
    assert calls.choices[0].finish_reason == "length"
    (only,) = calls.choices[0].message.tool_calls or []
    with pytest.raises(ValueError):
        json.loads(only.function.arguments)  # cut mid-arguments, as a real server would


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "ref", "messages": USER, "n": 2}, "n"),
        ({"model": "ref", "messages": "hi"}, "messages"),
        ({"model": "ref", "messages": [{"content": "no role"}]}, "messages"),
        (
            {
                "model": "ref",
                "messages": [
                    *USER,
                    {"role": "assistant", "tool_calls": [{"id": "a", "type": "function"}]},
                ],
            },
            "messages",
        ),
        (
            {
                "model": "ref",
                "messages": [
                    *USER,
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "a",
                                "type": "function",
                                "function": {"name": "exec", "arguments": {"x": 1}},
                            }
                        ],
                    },
                ],
            },
            "messages",
        ),
        ({"model": "ref", "messages": USER, "tools": [{"type": "function"}]}, "tools"),
        (
            {"model": "ref", "messages": USER, "tools": TOOLS, "tool_choice": "sometimes"},
            "tool_choice",
        ),
        (
            {
                "model": "ref",
                "messages": USER,
                "tools": TOOLS,
                "tool_choice": {"type": "function", "function": {"name": "read"}},
            },
            "tool_choice",
        ),
        ({"model": "ref", "messages": USER, "max_tokens": 0}, "max_tokens"),
        ({"model": "ref", "messages": USER, "stream": "yes"}, "stream"),
    ],
)
async def test_malformed_requests_get_a_json_400(body: dict[str, Any], param: str) -> None:
    async with server() as srv:
        async with httpx.AsyncClient() as http:
            resp = await http.post(f"{srv.base_url}/chat/completions", json=body)
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["type"] == "invalid_request_error" and err["param"] == param
    assert "Traceback" not in resp.text


async def test_tool_choice_required_on_a_turn_without_calls_is_a_400() -> None:
    async with server() as srv:
        client = sdk(srv)
        history = [
            *USER,
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": "more"},
        ]
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.create(
                model="two",
                messages=history,
                tools=TOOLS,
                tool_choice="required",  # type: ignore[arg-type]
            )
        await client.close()
    assert "required" in str(info.value)


async def test_raw_sse_as_any_client_sees_it() -> None:
    async with server() as srv:
        async with httpx.AsyncClient() as http:
            async with http.stream(
                "POST",
                f"{srv.base_url}/chat/completions",
                json={
                    "model": "two",
                    "messages": USER,
                    "tools": TOOLS,
                    "stream": True,
                    "stream_options": {"include_usage": True},
                },
            ) as resp:
                assert resp.headers["content-type"].startswith("text/event-stream")
                lines = [line async for line in resp.aiter_lines() if line]
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    starts = [
        d
        for c in chunks
        for ch in c["choices"]
        for d in ch["delta"].get("tool_calls", [])
        if "id" in d
    ]
    assert [(d["index"], d["function"]["name"]) for d in starts] == [(0, "exec"), (1, "slack")]
