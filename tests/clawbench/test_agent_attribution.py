"""Attacks on failure attribution inside one episode: what the pack's agent does (arguments a
command cannot take, tool output it asks for that fills the context) must end as the pack's
outcome (a refused call, a limit hit), never as the evaluator failing."""

from __future__ import annotations

import json
from typing import Any

from test_agent_support import FakeSandbox, FakeSession, make_instance, make_pack

from clawbench.agent import CallBudget, ModelTurn, run_episode
from clawbench.agent._loop import MAX_TOOL_OUTPUT_CHARS, cap_output
from clawbench.errors import ModelContextLengthError
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import instantiate, load_scenario
from clawbench.trajectory import (
    ChatMessage,
    ModelInfo,
    TerminationReason,
    ToolCallRequest,
    Trajectory,
    Usage,
)
from clawbench.world import ToolResult

R = TerminationReason
LONE = "\ud800"


class Turns:
    """Answers with prepared messages, then a final answer; records every request."""

    def __init__(self, turns: list[ChatMessage], overflow_after: int | None = None) -> None:
        self.turns = turns
        self.overflow_after = overflow_after
        self.requests: list[list[ChatMessage]] = []

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(provider="test", name="turns")

    async def complete(
        self,
        messages: list[ChatMessage],
        tools: list[dict[str, Any]],
        *,
        seed: int,
        budget: CallBudget | None = None,
    ) -> ModelTurn:
        # What a real client does first: encode the request. A lone surrogate fails here.
        json.dumps([m.model_dump() for m in messages], ensure_ascii=False).encode("utf-8")
        self.requests.append(list(messages))
        i = len(self.requests) - 1
        if self.overflow_after is not None and i >= self.overflow_after:
            raise ModelContextLengthError("HTTP 400: maximum context length is 8192 tokens")
        msg = self.turns[i] if i < len(self.turns) else ChatMessage(role="assistant", content="ok")
        return ModelTurn(message=msg, usage=Usage(prompt_tokens=10, total_tokens=10))


def _exec(command: str, call_id: str = "c0") -> ChatMessage:
    return ChatMessage(
        role="assistant",
        tool_calls=[ToolCallRequest(id=call_id, name="exec", arguments={"command": command})],
    )


class FloodSession(FakeSession):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    async def call(self, tool: str, args: dict[str, Any]) -> ToolResult:
        await super().call(tool, args)
        return ToolResult(content="x" * self.size)


async def test_lone_surrogate_arguments_are_a_refused_call_not_a_sandbox_error() -> None:
    session = FakeSession()
    traj = await run_episode(
        make_instance(), make_pack(), Turns([_exec(f"echo {LONE}")]), FakeSandbox(session)
    )
    assert traj.termination is R.FINAL_ANSWER and traj.errors == []
    rec = traj.tool_calls[0]
    assert rec.refused == "bad_arguments" and "lone surrogate" in rec.result
    assert session.calls == []  # never sent to the world
    # The record and the conversation encode: the trajectory round-trips.
    again = Trajectory.model_validate_json(traj.model_dump_json().encode("utf-8"))
    assert again.tool_calls[0].refused == "bad_arguments"


async def test_lone_surrogates_in_the_mock_world_and_in_content_never_break_the_record() -> None:
    scenario = load_scenario("scenarios/client_escalation.yaml")
    instance = instantiate(scenario, 1)
    turns = [
        ChatMessage(
            role="assistant",
            content=f"thinking {LONE}",
            tool_calls=[
                ToolCallRequest(
                    id="c0",
                    name="slack",
                    arguments={"action": "sendMessage", "channel": "C1", "text": LONE},
                ),
                ToolCallRequest(id=f"c1{LONE}", name="exec", arguments={"command": "ls"}),
            ],
        )
    ]
    traj = await run_episode(instance, make_pack(), Turns(turns), LocalSandbox())
    assert not traj.termination.evaluator_failed
    assert [r.refused for r in traj.tool_calls][0] == "bad_arguments"
    traj.model_dump_json().encode("utf-8")  # serialises


async def test_tool_output_is_capped_per_call_with_a_visible_marker() -> None:
    size = 2_400_000  # what `himalaya message read 1 1 1 ...` (3000 ids) returned
    model = Turns([_exec("himalaya message read 1 1 1")])
    traj = await run_episode(make_instance(), make_pack(), model, FakeSandbox(FloodSession(size)))
    result = traj.tool_calls[0].result
    assert len(result) < MAX_TOOL_OUTPUT_CHARS + 200
    assert result.endswith(
        f"[output truncated by the harness: {MAX_TOOL_OUTPUT_CHARS} of {size} characters shown]"
    )
    tool_msg = [m for m in model.requests[1] if m.role == "tool"][0]
    assert tool_msg.content == result  # the model saw the capped text
    assert cap_output("short") == "short"


async def test_context_growth_the_pack_asked_for_is_a_limit_hit() -> None:
    # The prompt check: a window smaller than the growing conversation ends the episode
    # before the request that would overflow is sent.
    model = Turns([_exec(f"cat big{i}", f"c{i}") for i in range(20)])
    traj = await run_episode(
        make_instance(),
        make_pack(),
        model,
        FakeSandbox(FloodSession(30_000)),
        context_tokens=50_000,
    )
    assert traj.termination is R.MAX_TOKENS and not traj.termination.evaluator_failed
    assert traj.errors[-1].startswith("context_overflow:")
    assert 2 <= len(model.requests) < 20


async def test_an_endpoint_refusing_the_context_length_is_a_limit_hit() -> None:
    model = Turns([_exec("cat big")], overflow_after=1)
    traj = await run_episode(make_instance(), make_pack(), model, FakeSandbox(FloodSession(10)))
    assert traj.termination is R.MAX_TOKENS
    assert traj.errors[-1].startswith("context_overflow:")
