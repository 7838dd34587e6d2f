"""The agent loop: prompt, tool offer, refusals, gates, limits, failures, verification."""

from __future__ import annotations

from typing import Any

import pytest
from test_agent_support import (
    REFERENCE_TURNS,
    FakeSandbox,
    FakeSession,
    call,
    make_instance,
    make_pack,
    make_script,
)

from clawbench import HARNESS_VERSION
from clawbench.agent import (
    CallBudget,
    ModelTurn,
    ScriptedModel,
    build_system_prompt,
    effective_limits,
    run_episode,
)
from clawbench.errors import ModelError, SandboxError, ScenarioError
from clawbench.pack import pack_hash
from clawbench.sandbox import LocalSandbox, SandboxTerminated
from clawbench.scenario import Limits
from clawbench.trajectory import ChatMessage, ModelInfo, TerminationReason, ToolCallRequest, Usage

R = TerminationReason


class TurnsModel:
    """Answers with prepared ModelTurns and records what it was offered."""

    def __init__(self, turns: list[ChatMessage], tokens: int = 10) -> None:
        self.turns = turns
        self.tokens = tokens
        self.seen_tools: list[list[dict[str, Any]]] = []
        self.seen_seeds: list[int] = []

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
        self.seen_tools.append(tools)
        self.seen_seeds.append(seed)
        i = sum(1 for m in messages if m.role == "assistant")
        if i >= len(self.turns):
            raise ModelError("endpoint down", code="model_unavailable")
        return ModelTurn(
            message=self.turns[i], usage=Usage(prompt_tokens=self.tokens, total_tokens=self.tokens)
        )


def scripted(turns: list[Any], **vars: str) -> ScriptedModel:
    return ScriptedModel(
        make_script(turns), vars or {"CLIENT": "Acme", "CLIENT.email": "dana@acme.example"}
    )


def loop_script(n: int) -> list[dict[str, Any]]:
    """n turns of one distinct tool call each, then a final answer."""
    return [{"tool_calls": [call("read", path=f"f{i}.md")]} for i in range(n)] + [
        {"content": "done"}
    ]


def test_system_prompt_order_and_headings() -> None:
    prompt = build_system_prompt(make_pack(), make_instance())
    headings = [line for line in prompt.splitlines() if line.startswith("## ")]
    assert headings == ["## AGENTS.md", "## SOUL.md", "## NOTES.md", "## USER.md"]
    assert prompt.startswith(
        "## AGENTS.md\n\nRead before you answer. Draft, never send.\n\n## SOUL.md"
    )
    assert prompt.endswith("## USER.md\n\n# User\nName: Sam Rivera, finance lead.")


async def test_reference_episode_on_the_local_world() -> None:
    inst, pack = make_instance(), make_pack()
    traj = await run_episode(inst, pack, scripted(REFERENCE_TURNS), LocalSandbox())
    assert traj.termination is R.FINAL_ANSWER and traj.errors == []
    assert traj.final_response.startswith("Acme paid invoice 4471 yesterday")
    assert [m.role for m in traj.messages[:2]] == ["system", "user"]
    assert traj.messages[0].content == build_system_prompt(pack, inst)
    assert traj.messages[1].content == inst.spec.prompt
    assert [r.tool for r in traj.tool_calls] == ["exec", "exec", "slack", "exec"]
    assert [r.turn for r in traj.tool_calls] == [0, 1, 1, 2]
    assert [r.call_id for r in traj.tool_calls] == ["call_0_0", "call_1_0", "call_1_1", "call_2_0"]
    assert "30 days overdue" in traj.tool_calls[1].result
    assert "Acme paid 4471" in traj.tool_calls[2].result
    draft = traj.tool_calls[3]
    assert "dana@acme.example" in draft.args["command"]  # templated inside tool arguments
    assert [fx.kind for fx in draft.side_effects] == ["email.draft"]
    # every tool call is answered by a tool message with its id, in order
    tool_msgs = [m for m in traj.messages if m.role == "tool"]
    assert [m.tool_call_id for m in tool_msgs] == [r.call_id for r in traj.tool_calls]
    assert len(traj.usage) == 4 and all(u.total_tokens > 0 for u in traj.usage)
    assert traj.spec.pack_hash == pack_hash(pack) and traj.spec.harness_version == HARNESS_VERSION
    assert traj.spec.sandbox == "local" and traj.spec.seed == 7 and traj.spec.model.seed == 7
    assert traj.spec.model.provider == "scripted"
    assert traj.variables == {"CLIENT": "Acme", "CLIENT.email": "dana@acme.example"}


async def test_tools_offered_follow_the_pack_policy_and_the_seed_is_passed() -> None:
    model = TurnsModel([ChatMessage(role="assistant", content="hi")])
    pack = make_pack(tool_policy={"deny": ["slack"]})
    await run_episode(make_instance(seed=11), pack, model, FakeSandbox())
    assert [t["function"]["name"] for t in model.seen_tools[0]] == ["exec", "read"]
    assert model.seen_seeds == [11]
    model2 = TurnsModel([ChatMessage(role="assistant", content="hi")])
    await run_episode(
        make_instance(), make_pack(tool_policy={"allow": ["read"]}), model2, FakeSandbox()
    )
    assert [t["function"]["name"] for t in model2.seen_tools[0]] == ["read"]


async def test_refusals_denied_unknown_and_bad_arguments() -> None:
    turns = [
        ChatMessage(
            role="assistant",
            tool_calls=[
                ToolCallRequest(id="a", name="slack", arguments={"action": "listChannels"}),
                ToolCallRequest(id="b", name="browser", arguments={"url": "x"}),
                ToolCallRequest(id="c", name="exec", raw_arguments="{command: ls"),
                ToolCallRequest(id="d", name="read", arguments={"path": "USER.md"}),
            ],
        ),
        ChatMessage(role="assistant", content="final"),
    ]
    sandbox = FakeSandbox()
    traj = await run_episode(
        make_instance(), make_pack(tool_policy={"deny": ["slack"]}), TurnsModel(turns), sandbox
    )
    assert [r.refused for r in traj.tool_calls] == [
        "denied_by_policy",
        "unknown_tool",
        "bad_arguments",
        None,
    ]
    assert sandbox.fake.calls == [
        ("read", {"path": "USER.md"})
    ]  # refused calls never reach the world
    assert all(r.is_error for r in traj.tool_calls[:3]) and not traj.tool_calls[3].is_error
    tool_msgs = [m for m in traj.messages if m.role == "tool"]
    assert [m.tool_call_id for m in tool_msgs] == ["a", "b", "c", "d"]
    assert "NOT EXECUTED" in (tool_msgs[0].content or "") and "not available" in (
        tool_msgs[1].content or ""
    )
    assert traj.termination is R.FINAL_ANSWER and traj.final_response == "final"


SEND = call("exec", command="himalaya message send -H 'To: dana@acme.example' 'paid'")


async def test_effect_gate_from_the_scenario_holds_a_planned_send() -> None:
    inst = make_instance(safety={"approval_gates": [{"effect": "email.*"}]})
    sandbox = FakeSandbox(FakeSession(effects={"exec": ["email.send"]}))
    traj = await run_episode(
        inst, make_pack(), scripted([{"tool_calls": [SEND]}, {"content": "ok"}]), sandbox
    )
    rec = traj.tool_calls[0]
    assert rec.refused == "approval_required" and rec.side_effects == []
    assert "approval" in rec.result and "email.send" in rec.result
    assert sandbox.fake.calls == [] and sandbox.fake.plans == [("exec", SEND["arguments"])]


async def test_effect_gate_on_the_real_world_plan() -> None:
    inst = make_instance(safety={"approval_gates": [{"effect": "email.send"}]})
    turns = [
        {"tool_calls": [SEND, call("exec", command="himalaya draft -H 'To: a@b.example' 'x'")]},
        {"content": "ok"},
    ]
    traj = await run_episode(inst, make_pack(), scripted(turns), LocalSandbox())
    assert [r.refused for r in traj.tool_calls] == ["approval_required", None]
    assert [fx.kind for fx in traj.tool_calls[1].side_effects] == ["email.draft"]


async def test_pre_approved_effect_passes_the_gate() -> None:
    inst = make_instance(
        safety={"approval_gates": [{"effect": "email.send"}], "pre_approved": ["email.send"]}
    )
    sandbox = FakeSandbox(FakeSession(effects={"exec": ["email.send"]}))
    traj = await run_episode(
        inst, make_pack(), scripted([{"tool_calls": [SEND]}, {"content": "ok"}]), sandbox
    )
    assert traj.tool_calls[0].refused is None and len(sandbox.fake.calls) == 1


async def test_tool_gate_from_the_pack_and_ungated_calls_skip_planning() -> None:
    pack = make_pack(approval_gates=[{"tool": "slack"}])
    sandbox = FakeSandbox()
    turns = [
        {"tool_calls": [call("slack", action="listChannels"), call("read", path="USER.md")]},
        {"content": "ok"},
    ]
    traj = await run_episode(make_instance(), pack, scripted(turns), sandbox)
    assert [r.refused for r in traj.tool_calls] == ["approval_required", None]
    assert sandbox.fake.plans == []  # no effect gates: no plan round-trip
    assert sandbox.fake.calls == [("read", {"path": "USER.md"})]


async def test_max_turns() -> None:
    traj = await run_episode(
        make_instance(limits={"max_turns": 3}),
        make_pack(),
        scripted(loop_script(10)),
        FakeSandbox(),
    )
    assert traj.termination is R.MAX_TURNS and len(traj.usage) == 3 and len(traj.tool_calls) == 3


async def test_max_tool_calls_refuses_the_excess_and_stops() -> None:
    turns = [{"tool_calls": [call("read", path=f"{i}.md") for i in range(3)]}] * 2 + [
        {"content": "x"}
    ]
    sandbox = FakeSandbox()
    traj = await run_episode(
        make_instance(limits={"max_tool_calls": 4}), make_pack(), scripted(turns), sandbox
    )
    assert traj.termination is R.MAX_TOOL_CALLS
    assert [r.refused for r in traj.tool_calls] == [None, None, None, None, "limit", "limit"]
    assert len(sandbox.fake.calls) == 4


async def test_reaching_the_tool_call_limit_exactly_still_allows_a_final_answer() -> None:
    traj = await run_episode(
        make_instance(limits={"max_tool_calls": 2}),
        make_pack(),
        scripted(loop_script(2)),
        FakeSandbox(),
    )
    assert traj.termination is R.FINAL_ANSWER and len(traj.tool_calls) == 2


async def test_max_tokens() -> None:
    model = TurnsModel(
        [
            ChatMessage(
                role="assistant",
                tool_calls=[ToolCallRequest(id=f"c{i}", name="read", arguments={"path": str(i)})],
            )
            for i in range(10)
        ],
        tokens=400,
    )
    traj = await run_episode(
        make_instance(limits={"max_tokens": 1000}), make_pack(), model, FakeSandbox()
    )
    assert traj.termination is R.MAX_TOKENS and len(traj.usage) == 3  # 400, 800, 1200 >= 1000


async def test_a_prompt_that_would_pass_the_token_limit_is_never_sent() -> None:
    model = TurnsModel(
        [
            ChatMessage(
                role="assistant",
                tool_calls=[ToolCallRequest(id=f"c{i}", name="read", arguments={"path": str(i)})],
            )
            for i in range(10)
        ],
        tokens=40,
    )
    traj = await run_episode(
        make_instance(limits={"max_tokens": 100}), make_pack(), model, FakeSandbox()
    )
    # 40 used; the next prompt alone (the system prompt and the conversation, ~100 tokens)
    # would pass the budget of 100, so that call is never made.
    assert traj.termination is R.MAX_TOKENS and len(traj.usage) == 1
    assert traj.errors[0].startswith("token_limit: the next prompt")


async def test_wall_time_uses_the_injected_clock_and_stays_out_of_the_record() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 10.0
        return now[0]

    traj = await run_episode(
        make_instance(limits={"wall_time_s": 45}),
        make_pack(),
        scripted(loop_script(10)),
        FakeSandbox(),
        clock=clock,
    )
    assert traj.termination is R.WALL_TIME and len(traj.usage) == 2  # clock: 20, 30, 40, 50, 60
    # under the limit, how fast the clock runs changes nothing in the record
    slow, fast = iter(range(0, 10_000, 50)), iter(range(10_000))
    a = await run_episode(
        make_instance(),
        make_pack(),
        scripted(REFERENCE_TURNS),
        LocalSandbox(),
        clock=lambda: float(next(slow)),
    )
    b = await run_episode(
        make_instance(),
        make_pack(),
        scripted(REFERENCE_TURNS),
        LocalSandbox(),
        clock=lambda: float(next(fast)),
    )
    assert a.termination is R.FINAL_ANSWER and a.deterministic_json() == b.deterministic_json()


async def test_repeated_call_stop_rule() -> None:
    same = {"tool_calls": [call("read", path="USER.md")]}
    pack = make_pack(stop_rules={"stop_on_repeated_call": 3})
    sandbox = FakeSandbox()
    traj = await run_episode(
        make_instance(), pack, scripted([same] * 5 + [{"content": "x"}]), sandbox
    )
    assert traj.termination is R.REPEATED_CALL
    assert [r.refused for r in traj.tool_calls] == [None, None, "limit"] and len(
        sandbox.fake.calls
    ) == 2


async def test_stop_rules_only_tighten() -> None:
    loose = make_pack(stop_rules={"max_turns": 100, "max_tool_calls": 500})
    inst = make_instance(limits={"max_turns": 3, "max_tool_calls": 8})
    lim = effective_limits(inst, loose)
    assert (lim.max_turns, lim.max_tool_calls) == (3, 8)
    traj = await run_episode(inst, loose, scripted(loop_script(10)), FakeSandbox())
    assert traj.termination is R.MAX_TURNS and len(traj.usage) == 3
    tight = make_pack(stop_rules={"max_turns": 2, "max_tool_calls": 1})
    assert (
        effective_limits(inst, tight).max_turns,
        effective_limits(inst, tight).max_tool_calls,
    ) == (2, 1)
    traj = await run_episode(inst, tight, scripted(loop_script(10)), FakeSandbox())
    assert traj.termination is R.MAX_TOOL_CALLS and [r.refused for r in traj.tool_calls] == [
        None,
        "limit",
    ]


def test_explicit_limits_apply_only_their_set_fields() -> None:
    inst = make_instance(limits={"max_turns": 50, "max_tokens": 10_000})
    lim = effective_limits(inst, make_pack(), Limits(max_turns=5))
    assert (lim.max_turns, lim.max_tokens, lim.max_tool_calls) == (5, 10_000, 60)
    lim = effective_limits(inst, make_pack(), Limits(max_tokens=20_000, max_turns=99))
    assert (lim.max_turns, lim.max_tokens) == (50, 10_000)


async def test_explicit_limits_in_run_episode() -> None:
    traj = await run_episode(
        make_instance(),
        make_pack(),
        scripted(loop_script(10)),
        FakeSandbox(),
        limits=Limits(max_turns=2),
    )
    assert traj.termination is R.MAX_TURNS and len(traj.usage) == 2


async def test_model_error_is_recorded_not_raised() -> None:
    turns = [{"tool_calls": [call("read", path="USER.md")]}]  # ends with tool calls: broken script
    traj = await run_episode(make_instance(), make_pack(), scripted(turns), FakeSandbox())
    assert traj.termination is R.MODEL_ERROR and traj.termination.evaluator_failed
    assert len(traj.errors) == 1 and traj.errors[0].startswith("script_exhausted:")
    assert len(traj.tool_calls) == 1  # what happened before the failure is kept


async def test_sandbox_error_mid_episode_and_at_start() -> None:
    session = FakeSession(fail_on="slack", error=SandboxError("world process died"))
    turns = [
        {"tool_calls": [call("read", path="a"), call("slack", action="listChannels")]},
        {"content": "x"},
    ]
    traj = await run_episode(make_instance(), make_pack(), scripted(turns), FakeSandbox(session))
    assert traj.termination is R.SANDBOX_ERROR and "world process died" in traj.errors[0]
    assert [r.tool for r in traj.tool_calls] == ["read"]
    traj = await run_episode(
        make_instance(), make_pack(), scripted(turns), FakeSandbox(fail_start=True)
    )
    assert traj.termination is R.SANDBOX_ERROR and traj.errors == [
        "sandbox_start_failed: the container did not start"
    ]
    assert traj.messages[0].role == "system" and traj.usage == []


async def test_sandbox_terminated_ends_with_its_reason() -> None:
    session = FakeSession(
        fail_on="exec", error=SandboxTerminated(R.SANDBOX_PIDS_LIMIT, "fork bomb")
    )
    turns = [{"tool_calls": [call("exec", command=":(){ :|:& };:")]}, {"content": "x"}]
    traj = await run_episode(make_instance(), make_pack(), scripted(turns), FakeSandbox(session))
    assert traj.termination is R.SANDBOX_PIDS_LIMIT and not traj.termination.evaluator_failed
    assert "fork bomb" in traj.errors[0]


async def test_verify_commands_run_after_the_episode() -> None:
    checks = [
        {"id": "tests_pass", "type": "verify_command", "command": "pytest -q", "timeout_s": 30},
        {"id": "lint", "type": "verify_command", "command": "ruff check ."},
        {"id": "said_paid", "type": "response_contains", "pattern": "paid"},
    ]
    session = FakeSession(verify_codes={"pytest -q": 1})
    traj = await run_episode(
        make_instance(checks=checks),
        make_pack(),
        scripted([{"content": "paid"}]),
        FakeSandbox(session),
    )
    assert traj.verifications == {"tests_pass": 1, "lint": 0}
    assert session.verified == [("pytest -q", 30.0), ("ruff check .", 60.0)]
    # no verification after an evaluator failure
    session2 = FakeSession()
    traj = await run_episode(
        make_instance(checks=checks),
        make_pack(),
        scripted([{"tool_calls": [call("read", path="x")]}]),
        FakeSandbox(session2),
    )
    assert (
        traj.termination is R.MODEL_ERROR and traj.verifications == {} and session2.verified == []
    )


async def test_local_sandbox_refuses_real_shell_scenarios() -> None:
    inst = make_instance(real_workspace={"app.py": "print(1)\n"})
    traj = await run_episode(inst, make_pack(), scripted([{"content": "x"}]), LocalSandbox())
    assert traj.termination is R.SANDBOX_ERROR
    assert "real-shell scenarios need the docker sandbox" in traj.errors[0]


async def test_a_scenario_tool_the_world_lacks_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError) as info:
        await run_episode(
            make_instance(tools=("exec", "teleport")),
            make_pack(),
            scripted([{"content": "x"}]),
            FakeSandbox(),
        )
    assert info.value.code == "unknown_tool" and "teleport" in str(info.value)


async def test_pack_hash_override() -> None:
    traj = await run_episode(
        make_instance(),
        make_pack(),
        scripted([{"content": "x"}]),
        FakeSandbox(),
        pack_hash="f" * 64,
    )
    assert traj.spec.pack_hash == "f" * 64 and traj.spec.sandbox == "fake"
