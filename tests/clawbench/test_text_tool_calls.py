"""The opt-in text tool-call reader (--tool-call-format text): JSON blocks and Hermes-style
<tool_call> tags in the answer's text become tool calls; anything else stays text."""

from __future__ import annotations

import json

import pytest
from fault_server import USAGE, FaultServer, Reply, completion
from test_agent_support import make_instance, make_pack

from clawbench.agent import OpenAIModel, parse_text_tool_calls, run_episode
from clawbench.sandbox import LocalSandbox
from clawbench.trajectory import TerminationReason

LIST = {"name": "exec", "arguments": {"command": "himalaya envelope list"}}


def test_hermes_tags() -> None:
    text = f"I will look.\n<tool_call>\n{json.dumps(LIST)}\n</tool_call>"
    rest, calls = parse_text_tool_calls(text, 2)
    assert rest == "I will look."
    assert [(c.id, c.name, c.arguments) for c in calls] == [("text_2_0", "exec", LIST["arguments"])]


def test_fenced_json_blocks_lists_and_api_shapes() -> None:
    api = {"type": "function", "function": {"name": "slack", "arguments": '{"action": "read"}'}}
    text = f"```json\n{json.dumps([LIST, api])}\n```\nthen\n```\n{json.dumps({'name': 'read', 'parameters': {'path': 'a'}})}\n```"
    rest, calls = parse_text_tool_calls(text, 0)
    assert [c.name for c in calls] == ["exec", "slack", "read"]
    assert calls[1].arguments == {"action": "read"} and calls[2].arguments == {"path": "a"}
    assert rest == "then"


@pytest.mark.parametrize(
    "text",
    [
        "plain answer",
        '```json\n{"summary": "not a call"}\n```',
        "```json\n{broken\n```",
        '```python\nprint("x")\n```',
        '<tool_call>{"arguments": {}}</tool_call>',
    ],
)
def test_text_that_is_not_a_call_stays_text(text: str) -> None:
    assert parse_text_tool_calls(text, 0) == (text, [])


def test_bad_arguments_in_text_are_refused_later_not_dropped() -> None:
    _, (call,) = parse_text_tool_calls(
        '<tool_call>{"name": "exec", "arguments": "{nope"}</tool_call>', 0
    )
    assert call.raw_arguments == "{nope" and call.arguments == {}


async def test_an_episode_with_a_text_calling_model() -> None:
    inst, pack = make_instance(), make_pack()
    block = f"```json\n{json.dumps(LIST)}\n```"
    for fmt, calls in (("text", 1), ("native", 0)):
        with FaultServer() as srv:
            srv.queue(Reply(completion(block, usage=USAGE)))
            model = OpenAIModel("m", base_url=srv.base_url, api_key_env=None, tool_call_format=fmt)  # type: ignore[arg-type]
            traj = await run_episode(inst, pack, model, LocalSandbox())
            await model.aclose()
        assert traj.termination is TerminationReason.FINAL_ANSWER
        assert len(traj.tool_calls) == calls and traj.spec.model.tool_call_format == fmt
        if calls:
            assert traj.tool_calls[0].tool == "exec" and not traj.tool_calls[0].refused
            assert traj.usage[0].finish_reason == "tool_calls"
            # the call goes back to the server as a native tool call with its result
            sent = srv.requests[1]["messages"]
            assert sent[-2]["tool_calls"][0]["id"] == "text_0_0" and sent[-1]["role"] == "tool"
        else:
            assert traj.final_response == block
