"""Model clients: the real openai client (OpenAIModel) against the loopback scripted server,
retries with backoff, argument parsing, the scripted model's rules."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from test_agent_support import REFERENCE_TURNS, call, make_instance, make_pack, make_script

from clawbench.agent import (
    OpenAIModel,
    ScriptedModel,
    ScriptedModelServer,
    render_text,
    run_episode,
)
from clawbench.errors import ModelError
from clawbench.sandbox import LocalSandbox
from clawbench.trajectory import ChatMessage, TerminationReason

VARS = {"CLIENT": "Acme", "CLIENT.email": "dana@acme.example"}
KEY_ENV = {"TEST_MODEL_KEY": "sk-test-SECRET-123"}
EXEC_TOOL = [{"type": "function", "function": {"name": "exec"}}]
HELLO = [ChatMessage(role="system", content="s"), ChatMessage(role="user", content="hello")]


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def client(base_url: str, sleep: FakeSleep | None = None, **kw: Any) -> OpenAIModel:
    return OpenAIModel(
        "ref",
        base_url=base_url,
        api_key_env="TEST_MODEL_KEY",
        environ=KEY_ENV,
        sleep=sleep or FakeSleep(),
        **kw,
    )


def test_render_text() -> None:
    assert render_text("{{CLIENT}} <{{ CLIENT.email }}> {{UNKNOWN}} {{CLIENT.phone}}", VARS) == (
        "Acme <dana@acme.example> {{UNKNOWN}} {{CLIENT.phone}}"
    )


async def test_scripted_model_templating_ids_usage_and_exhaustion() -> None:
    script = make_script(
        [
            {
                "tool_calls": [
                    call("exec", command="mail {{CLIENT.email}}", meta={"tags": ["{{CLIENT}}", 3]})
                ]
            },
            {"content": "Done for {{CLIENT}}."},
        ]
    )
    model = ScriptedModel(script, VARS)
    turn = await model.complete(HELLO, [], seed=1)
    (tc,) = turn.message.tool_calls
    assert (tc.id, tc.name) == ("call_0_0", "exec")
    assert tc.arguments == {"command": "mail dana@acme.example", "meta": {"tags": ["Acme", 3]}}
    assert turn.finish_reason == "tool_calls"
    # ceil(chars / 4): prompt "s" + "hello" = 6 chars -> 2; answer = "exec" + compact JSON args
    args_json = json.dumps(tc.arguments, separators=(",", ":"))
    assert turn.usage.prompt_tokens == 2
    assert turn.usage.completion_tokens == -(-(4 + len(args_json)) // 4)
    assert turn.usage.total_tokens == turn.usage.prompt_tokens + turn.usage.completion_tokens
    history = [
        *HELLO,
        turn.message,
        ChatMessage(role="tool", content="ok", tool_call_id="call_0_0"),
    ]
    final = await model.complete(history, [], seed=1)
    assert final.message.content == "Done for Acme." and final.finish_reason == "stop"
    with pytest.raises(ModelError) as info:
        await model.complete([*history, final.message], [], seed=1)
    assert info.value.code == "script_exhausted"
    assert model.info.provider == "scripted" and model.info.name.startswith("script-")
    assert (
        ScriptedModel(script, {"CLIENT": "Other"}).info == model.info
    )  # named by the script, not vars


async def test_openai_model_speaks_the_wire_format() -> None:
    async with ScriptedModelServer({"ref": make_script(REFERENCE_TURNS)}, VARS) as srv:
        async with client(srv.base_url) as model:
            turn = await model.complete(
                HELLO, [{"type": "function", "function": {"name": "exec"}}], seed=42
            )
        body = srv.requests[0]
    assert body["model"] == "ref" and body["temperature"] == 0 and body["seed"] == 42
    assert body["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "hello"},
    ]
    assert body["tools"] == [{"type": "function", "function": {"name": "exec"}}]
    assert turn.message.tool_calls[0].arguments == {"command": "himalaya envelope list"}
    assert turn.message.tool_calls[0].id == "call_0_0" and turn.finish_reason == "tool_calls"
    assert turn.usage.total_tokens == turn.usage.prompt_tokens + turn.usage.completion_tokens > 0


async def test_retries_with_exponential_backoff_on_500_429_and_timeouts() -> None:
    sleep = FakeSleep()
    async with ScriptedModelServer({"ref": make_script(REFERENCE_TURNS)}, VARS, hang_s=5.0) as srv:
        srv.fail_next(500, 429, "hang", 503)
        async with client(srv.base_url, sleep, timeout_s=0.3, retries=4, backoff_s=0.5) as model:
            turn = await model.complete(HELLO, EXEC_TOOL, seed=1)
    assert turn.message.tool_calls[0].name == "exec"
    assert sleep.delays == [0.5, 1.0, 2.0, 4.0]
    assert len(srv.requests) == 5


async def test_retries_exhausted_is_a_model_error() -> None:
    sleep = FakeSleep()
    async with ScriptedModelServer({"ref": make_script(REFERENCE_TURNS)}) as srv:
        srv.fail_next(500, 500, 500)
        async with client(
            srv.base_url, sleep, retries=2, backoff_s=1.0, backoff_max_s=1.5
        ) as model:
            with pytest.raises(ModelError) as info:
                await model.complete(HELLO, [], seed=1)
    assert info.value.code == "model_unavailable" and "HTTP 500" in str(info.value)
    assert sleep.delays == [1.0, 1.5]
    assert "SECRET" not in str(info.value)


async def test_client_errors_are_not_retried() -> None:
    sleep = FakeSleep()
    async with ScriptedModelServer({"ref": make_script(REFERENCE_TURNS)}) as srv:
        async with OpenAIModel(
            "nope", base_url=srv.base_url, api_key_env=None, sleep=sleep
        ) as model:
            with pytest.raises(ModelError) as info:
                await model.complete(HELLO, [], seed=1)
    assert info.value.code == "model_rejected" and "404" in str(info.value) and sleep.delays == []


async def test_connection_refused_is_retried_then_reported() -> None:
    async with ScriptedModelServer({}) as srv:
        url = srv.base_url
    sleep = FakeSleep()
    async with client(url, sleep, retries=1) as model:
        with pytest.raises(ModelError) as info:
            await model.complete(HELLO, [], seed=1)
    assert info.value.code == "model_unavailable" and "connection error" in str(info.value)
    assert sleep.delays == [1.0]


def test_missing_key_names_the_variable_not_a_value() -> None:
    with pytest.raises(ModelError) as info:
        OpenAIModel(
            "m", base_url="http://127.0.0.1:9/v1", api_key_env="NO_SUCH_KEY_VAR", environ={}
        )
    assert info.value.code == "model_key_missing" and "NO_SUCH_KEY_VAR" in str(info.value)


async def test_invalid_json_arguments_are_kept_raw() -> None:
    async def handler(request: web.Request) -> web.Response:
        calls = [
            {
                "id": "x1",
                "type": "function",
                "function": {"name": "exec", "arguments": "{command: ls"},
            },
            {"id": "x2", "type": "function", "function": {"name": "read", "arguments": "[1, 2]"}},
            {"id": "x3", "type": "function", "function": {"name": "read", "arguments": ""}},
        ]
        return web.json_response(
            {
                "id": "c",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {"role": "assistant", "content": None, "tool_calls": calls},
                    }
                ],
            }
        )

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with OpenAIModel(
            "m", base_url=f"http://127.0.0.1:{port}/v1", api_key_env=None
        ) as model:
            turn = await model.complete(HELLO, [], seed=1)
    finally:
        await runner.cleanup()
    a, b, c = turn.message.tool_calls
    assert (a.arguments, a.raw_arguments) == ({}, "{command: ls")
    assert (b.arguments, b.raw_arguments) == ({}, "[1, 2]")
    assert (c.arguments, c.raw_arguments) == ({}, "")
    # no usage reported: estimated (never silently zero) and flagged
    assert turn.usage.tokens_estimated and turn.usage.total_tokens > 0


async def test_full_episode_through_the_real_openai_client() -> None:
    inst, pack = make_instance(), make_pack()
    local = await run_episode(
        inst, pack, ScriptedModel(make_script(REFERENCE_TURNS), inst.variables), LocalSandbox()
    )
    async with ScriptedModelServer({"ref": make_script(REFERENCE_TURNS)}, inst.variables) as srv:
        async with client(srv.base_url) as model:
            remote = await run_episode(inst, pack, model, LocalSandbox())
            # concurrent episodes share the stateless server
            many = await asyncio.gather(
                *(run_episode(inst, pack, model, LocalSandbox()) for _ in range(4))
            )
        assert srv.requests[-1]["messages"][0]["content"] == local.messages[0].content
    assert remote.termination is TerminationReason.FINAL_ANSWER
    assert remote.messages == local.messages and remote.tool_calls == local.tool_calls
    assert [u.total_tokens for u in remote.usage] == [u.total_tokens for u in local.usage]
    assert remote.spec.model.provider == "openai" and remote.spec.model.name == "ref"
    assert {t.deterministic_json() for t in many} == {remote.deterministic_json()}
    assert "SECRET" not in remote.to_json()


async def test_model_outage_ends_the_episode_as_model_error() -> None:
    async with ScriptedModelServer({"ref": make_script(REFERENCE_TURNS)}) as srv:
        srv.fail_next(*([500] * 3))
        async with client(srv.base_url, retries=2) as model:
            traj = await run_episode(make_instance(), make_pack(), model, LocalSandbox())
    assert traj.termination is TerminationReason.MODEL_ERROR and traj.termination.evaluator_failed
    assert traj.errors[0].startswith("model_unavailable:") and traj.usage == []
