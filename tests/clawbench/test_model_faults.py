"""Fault injection: every response shape a real provider or proxy can send, through the real
openai client, against a local server (fault_server.py). Each shape is either read (a known
variant) or ends the episode with a typed model error; the run always goes on."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from fault_server import USAGE, FaultServer, Reply, completion, final
from rich.console import Console
from test_agent_support import make_instance, make_pack

from clawbench.agent import CallBudget, OpenAIModel, retry_after_s, run_episode
from clawbench.cli import EXIT_EVALUATOR, main
from clawbench.errors import (
    ModelContextLengthError,
    ModelConversationRejectedError,
    ModelDeadlineError,
    ModelError,
    ModelResponseError,
)
from clawbench.sandbox import LocalSandbox
from clawbench.trajectory import ChatMessage, TerminationReason, load_trajectory

R = TerminationReason
HELLO = [ChatMessage(role="system", content="s"), ChatMessage(role="user", content="hello")]
KEY = "sk-live-0123456789abcdefSECRET"


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def model(srv: FaultServer, **kw: Any) -> OpenAIModel:
    kw.setdefault("sleep", FakeSleep())
    return OpenAIModel("m", base_url=srv.base_url, api_key_env="K", environ={"K": KEY}, **kw)


def tc(call_id: Any, name: Any = "exec", arguments: Any = '{"command": "ls"}') -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


# --- shapes that are read ---------------------------------------------------------------
async def test_arguments_as_a_json_object_are_read() -> None:
    with FaultServer() as srv:
        srv.queue(Reply(completion(None, tool_calls=[tc("a", arguments={"command": "ls"})])))
        turn = await model(srv).complete(HELLO, [], seed=1)
    (call,) = turn.message.tool_calls
    assert call.arguments == {"command": "ls"} and call.raw_arguments == ""


async def test_non_object_arguments_are_kept_raw_for_refusal() -> None:
    with FaultServer() as srv:
        srv.queue(Reply(completion(None, tool_calls=[tc("a", arguments=[1, 2])])))
        turn = await model(srv).complete(HELLO, [], seed=1)
    assert turn.message.tool_calls[0].raw_arguments == "[1,2]"


async def test_null_empty_and_duplicate_call_ids_get_unique_ids() -> None:
    calls = [tc(None), tc(""), tc("dup"), tc("dup")]
    with FaultServer() as srv:
        srv.queue(Reply(completion(None, tool_calls=calls, finish_reason="tool_calls")))
        turn = await model(srv).complete(HELLO, [], seed=1)
    ids = [c.id for c in turn.message.tool_calls]
    assert ids == ["cb_0_0", "cb_0_1", "dup", "cb_0_3"] and len(set(ids)) == 4


async def test_content_parts_and_legacy_function_call_are_read() -> None:
    parts = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    legacy = {
        "role": "assistant",
        "content": None,
        "function_call": {"name": "exec", "arguments": "{}"},
    }
    with FaultServer() as srv:
        srv.queue(Reply(completion(parts)), Reply(completion(message=legacy)))
        m = model(srv)
        first = await m.complete(HELLO, [], seed=1)
        second = await m.complete(HELLO, [], seed=1)
    assert first.message.content == "ab"
    assert [c.name for c in second.message.tool_calls] == ["exec"]


async def test_missing_usage_is_estimated_and_flagged() -> None:
    with FaultServer() as srv:
        srv.queue(Reply(completion("four words of text")), Reply(completion("x", usage=USAGE)))
        m = model(srv)
        est = await m.complete(HELLO, [], seed=1)
        real = await m.complete(HELLO, [], seed=1)
    assert est.usage.tokens_estimated and est.usage.completion_tokens > 0
    assert est.usage.total_tokens == est.usage.prompt_tokens + est.usage.completion_tokens
    assert not real.usage.tokens_estimated and real.usage.total_tokens == 15


async def test_an_empty_tool_name_is_the_models_call_refused_not_a_bad_response() -> None:
    """Attack: a pack steering the model to write a tool call with an empty name made the
    episode model_bad_response (our failure: retried, then carried over). The model wrote it:
    the call is refused unknown_tool and the episode goes on."""
    inst, pack = make_instance(), make_pack()
    with FaultServer() as srv:
        srv.queue(Reply(completion(None, tool_calls=[tc("a", name="")], usage=USAGE)))
        traj = await run_episode(inst, pack, model(srv), LocalSandbox())
    assert traj.termination is R.FINAL_ANSWER and not traj.termination.evaluator_failed
    assert [c.refused for c in traj.tool_calls] == ["unknown_tool"]


# --- shapes that end the episode with a typed error ---------------------------------------
@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        (Reply(completion(message=None)), "message is null"),
        (Reply({"id": "x", "object": "chat.completion", "choices": []}), "without choices"),
        (Reply({"object": "chat.completion"}), "without choices"),
        (Reply({"error": {"message": "upstream overloaded"}}), "upstream overloaded"),
        (Reply(completion(None, tool_calls=[{"id": "a", "type": "function"}])), "no function"),
        (Reply(completion(None, tool_calls=[tc("a", name=None)])), "no function"),
        (Reply(completion(None, tool_calls={"id": "a"})), "not a list"),
        (Reply(completion(message={"role": "assistant", "content": 5})), "content"),
        (Reply("<html>502 Bad Gateway</html>", content_type="text/html"), ""),
        (Reply("[1, 2]"), ""),
        (Reply('{"choices": [{"message": {"content": "cut off'), ""),  # invalid JSON
        (Reply("data: {}\n\ndata: [DONE]\n\n", content_type="text/event-stream"), ""),
    ],
)
async def test_malformed_responses_are_typed_model_errors(reply: Reply, needle: str) -> None:
    with FaultServer() as srv:
        srv.queue(reply)
        with pytest.raises(ModelError) as info:
            await model(srv).complete(HELLO, [], seed=1)
    assert isinstance(info.value, ModelResponseError), info.value
    assert info.value.code == "model_bad_response" and needle in str(info.value)


async def test_a_malformed_response_ends_only_its_episode() -> None:
    inst, pack = make_instance(), make_pack()
    with FaultServer() as srv:
        srv.queue(Reply(completion(message=None)))
        m = model(srv)
        bad = await run_episode(inst, pack, m, LocalSandbox())
        good = await run_episode(inst, pack, m, LocalSandbox())
    assert bad.termination is R.MODEL_ERROR and bad.errors[0].startswith("model_bad_response")
    assert good.termination is R.FINAL_ANSWER and good.final_response == "done"


def test_the_run_goes_on_and_exits_3_with_every_trajectory(tmp_path: Path) -> None:
    suite = Path(__file__).parent / "data" / "public_suite"
    pack = tmp_path / "pack"
    console = Console(file=io.StringIO(), width=200)
    assert main(["pack", "init", str(pack)], console=console) == 0
    out = tmp_path / "run"
    with FaultServer() as srv:
        srv.queue(Reply(completion(None, tool_calls=[tc(None, arguments={"x": 1})])))
        srv.queue(Reply(completion(message=None)))  # episode 2 of 3: unreadable
        code = main(
            [
                "run",
                str(pack),
                "--suite",
                str(suite),
                "--model",
                "openai:m",
                "--base-url",
                srv.base_url,
                "--api-key-env",
                "none",
                "--seeds",
                "0..2",
                "--concurrency",
                "1",
                "--out",
                str(out),
                "--no-preflight",  # the queued replies are for the episodes, not the preflight
            ],
            console=console,
        )
    assert code == EXIT_EVALUATOR, console.file.getvalue()  # type: ignore[attr-defined]
    trajs = sorted((out / "trajectories").glob("*.json"))
    assert len(trajs) == 3 and (out / "scores.json").is_file()
    terms = [load_trajectory(p).termination for p in trajs]
    assert terms.count(R.MODEL_ERROR) == 1 and terms.count(R.FINAL_ANSWER) == 2
    # the report shows each call's finish reason and flags estimated token counts
    assert main(["report", str(out), "--open-browser", "no"], console=console) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Finish reason" in html and "<td>stop</td>" in html and "(estimated)" in html


# --- finish reasons -----------------------------------------------------------------------
async def test_length_stop_ends_the_episode_as_max_tokens_and_is_recorded() -> None:
    inst, pack = make_instance(), make_pack()
    with FaultServer() as srv:
        srv.queue(Reply(completion("a cut ans", finish_reason="length", usage=USAGE)))
        traj = await run_episode(inst, pack, model(srv), LocalSandbox())
    assert traj.termination is R.MAX_TOKENS and traj.final_response == "a cut ans"
    assert [u.finish_reason for u in traj.usage] == ["length"]


async def test_length_stop_with_tool_calls_goes_on() -> None:
    inst, pack = make_instance(), make_pack()
    cut = tc("a", arguments='{"command": "himalaya env')
    with FaultServer() as srv:
        srv.queue(Reply(completion(None, tool_calls=[cut], finish_reason="length", usage=USAGE)))
        traj = await run_episode(inst, pack, model(srv), LocalSandbox())
    assert traj.termination is R.FINAL_ANSWER
    assert traj.tool_calls[0].refused == "bad_arguments"
    assert [u.finish_reason for u in traj.usage] == ["length", "stop"]


async def test_content_filter_ends_the_episode_and_refuses_its_calls() -> None:
    inst, pack = make_instance(), make_pack()
    with FaultServer() as srv:
        srv.queue(Reply(completion("", tool_calls=[tc("a")], finish_reason="content_filter")))
        traj = await run_episode(inst, pack, model(srv), LocalSandbox())
    assert traj.termination is R.CONTENT_FILTER and traj.termination.hit_limit
    assert not traj.termination.evaluator_failed  # never a way to make an episode vanish
    assert [r.refused for r in traj.tool_calls] == ["limit"]
    assert traj.usage[0].finish_reason == "content_filter"


# --- errors, retries, caps ----------------------------------------------------------------
@pytest.mark.parametrize(
    "error",
    [
        {"error": {"message": "This model's maximum context length is 8192 tokens", "code": None}},
        {"error": {"message": "too long", "code": "context_length_exceeded"}},
        {"error": {"message": "the request exceeds the available context size"}},
    ],
)
async def test_context_length_400_is_its_own_typed_error(error: dict[str, Any]) -> None:
    with FaultServer() as srv:
        srv.queue(Reply(error, status=400))
        with pytest.raises(ModelContextLengthError) as info:
            await model(srv).complete(HELLO, [], seed=1)
    assert info.value.code == "model_context_length" and len(srv.requests) == 1


async def test_a_400_the_endpoint_gives_every_request_stays_ours() -> None:
    """A setting of ours the endpoint refuses (the neutral probe is refused too): the
    validator's failure, never the pack's."""
    with FaultServer(Reply({"error": {"message": "bad temperature"}}, status=400)) as srv:
        with pytest.raises(ModelError) as info:
            await model(srv).complete(HELLO, [], seed=1)
    assert info.value.code == "model_rejected" and len(srv.requests) == 2


def _refuses_poison(body: dict[str, Any]) -> Reply:
    if "POISON" in json.dumps(body["messages"]):
        return Reply({"error": {"message": "invalid prompt", "code": "invalid_prompt"}}, status=400)
    return final()


async def test_a_conversation_the_endpoint_refuses_is_the_packs() -> None:
    """Attack: a pack whose text (or whose agent's messages) makes the endpoint refuse the
    request turns its bad episodes into our failure (an incumbent would keep its score). The
    same settings with a neutral conversation are accepted, so the refusal is the pack's."""
    tools = [{"type": "function", "function": {"name": "exec", "parameters": {"type": "object"}}}]
    convo = [ChatMessage(role="system", content="POISON"), ChatMessage(role="user", content="hi")]
    with FaultServer(_refuses_poison) as srv:
        with pytest.raises(ModelConversationRejectedError) as info:
            await model(srv).complete(convo, tools, seed=1)
    assert info.value.code == "model_conversation_rejected"
    probe = srv.requests[1]
    assert "POISON" not in json.dumps(probe) and probe["tools"] == tools
    assert probe["model"] == "m" and probe["temperature"] == 0.0


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_key_model_and_endpoint_refusals_are_ours_without_a_probe(status: int) -> None:
    with FaultServer(_refuses_poison) as srv:
        srv.queue(Reply({"error": {"message": "no"}}, status=status))
        with pytest.raises(ModelError) as info:
            await model(srv).complete(HELLO, [], seed=1)
    assert info.value.code == "model_rejected" and len(srv.requests) == 1


async def test_a_refused_conversation_ends_the_episode_as_the_packs_outcome() -> None:
    inst, pack = make_instance(), make_pack(files={"AGENTS.md": "POISON", "SOUL.md": "x"})
    with FaultServer(_refuses_poison) as srv:
        traj = await run_episode(inst, pack, model(srv), LocalSandbox())
    assert traj.termination is R.CONVERSATION_REJECTED
    assert not traj.termination.evaluator_failed and traj.termination.hit_limit
    assert traj.errors[0].startswith("conversation_rejected:")


async def test_retry_after_is_honoured_within_the_budget() -> None:
    sleep = FakeSleep()
    with FaultServer() as srv:
        srv.queue(
            Reply({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "5"}),
            Reply({"error": {"message": "x"}}, status=429, headers={"retry-after-ms": "2500"}),
            Reply({"error": {"message": "x"}}, status=503),
        )
        turn = await model(srv, sleep=sleep, backoff_s=1.0).complete(HELLO, [], seed=1)
    assert turn.message.content == "done"
    assert sleep.delays == [5.0, 2.5, 4.0]  # max(backoff, Retry-After): 1->5, 2->2.5, 4


async def test_retry_after_past_the_budget_fails_fast() -> None:
    sleep = FakeSleep()
    with FaultServer() as srv:
        srv.queue(Reply({"error": {"message": "x"}}, status=429, headers={"Retry-After": "3600"}))
        with pytest.raises(ModelError) as info:
            await model(srv, sleep=sleep, retry_wait_max_s=30).complete(HELLO, [], seed=1)
    assert info.value.code == "model_unavailable" and "retry budget" in str(info.value)
    assert sleep.delays == [] and len(srv.requests) == 1


def test_retry_after_http_date() -> None:
    from datetime import UTC, datetime

    class E:
        class response:
            headers = {"retry-after": "Wed, 21 Oct 2026 07:28:10 GMT"}

    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_s(E(), now=lambda: now) == 10.0


async def test_max_tokens_is_the_tighter_of_the_flag_and_the_episode_budget() -> None:
    with FaultServer() as srv:
        m = model(srv, max_tokens=500)
        await m.complete(HELLO, [], seed=1)
        await m.complete(HELLO, [], seed=1, budget=CallBudget(max_tokens=120))
        await model(srv).complete(HELLO, [], seed=1, budget=CallBudget(max_tokens=9000))
        await model(srv).complete(HELLO, [], seed=1)
    assert [r.get("max_tokens") for r in srv.requests] == [500, 120, 9000, None]


async def test_a_call_never_outlives_the_episode_deadline() -> None:
    with FaultServer(Reply(completion("late"), delay_s=5.0)) as srv:
        t0 = time.monotonic()
        with pytest.raises(ModelDeadlineError):
            await model(srv).complete(HELLO, [], seed=1, budget=CallBudget(timeout_s=0.3))
        assert time.monotonic() - t0 < 4.0  # not the 5 s answer, not the 120 s client timeout


async def test_episode_wall_time_applies_during_a_call() -> None:
    inst, pack = make_instance(limits={"wall_time_s": 0.5}), make_pack()
    with FaultServer(Reply(completion("late"), delay_s=5.0)) as srv:
        traj = await run_episode(inst, pack, model(srv), LocalSandbox())
    assert traj.termination is R.WALL_TIME and traj.usage == []


async def test_provider_error_text_is_redacted() -> None:
    echo = {
        "error": {"message": f"bad request; headers: Authorization: Bearer {KEY}, x-api-key={KEY}"}
    }
    with FaultServer() as srv:
        # the 400, its neutral probe (refused too: ours), then two 500s
        srv.queue(*(Reply(echo, status=s) for s in (400, 400, 500, 500)))
        with pytest.raises(ModelError) as rejected:
            await model(srv).complete(HELLO, [], seed=1)
        with pytest.raises(ModelError) as unavailable:
            await model(srv, retries=1).complete(HELLO, [], seed=1)
    for err in (rejected.value, unavailable.value):
        assert KEY not in str(err) and "0123456789abcdef" not in str(err)
        assert "[REDACTED]" in str(err)


async def test_redaction_in_a_stored_trajectory(tmp_path: Path) -> None:
    inst, pack = make_instance(), make_pack()
    with FaultServer() as srv:
        srv.queue(Reply({"error": {"message": f"echo: api_key={KEY}"}}, status=401))
        traj = await run_episode(inst, pack, model(srv), LocalSandbox())
    assert traj.termination is R.MODEL_ERROR and KEY not in json.dumps(traj.model_dump())


# --- clawbench run's client flags ---------------------------------------------------------
def _run_cli(tmp_path: Path, srv: FaultServer, *extra: str) -> tuple[int, Path, str]:
    suite = Path(__file__).parent / "data" / "public_suite"
    pack = tmp_path / "pack"
    console = Console(file=io.StringIO(), width=200)
    if not pack.exists():
        assert main(["pack", "init", str(pack)], console=console) == 0
    out = tmp_path / "run"
    code = main(
        [
            "run",
            str(pack),
            "--suite",
            str(suite),
            "--model",
            "openai:m",
            "--base-url",
            srv.base_url,
            "--api-key-env",
            "none",
            "--out",
            str(out),
            *extra,
        ],
        console=console,
    )
    return code, out, console.file.getvalue()  # type: ignore[attr-defined]


def test_run_flags_reach_the_client_and_run_json(tmp_path: Path) -> None:
    with FaultServer() as srv:
        code, out, said = _run_cli(
            tmp_path,
            srv,
            "--max-tokens",
            "50",
            "--timeout",
            "7",
            "--max-retries",
            "0",
            "--tool-call-format",
            "text",
        )
    assert code == 0, said
    assert [r["max_tokens"] for r in srv.requests] == [50]
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["endpoint"] == srv.base_url and manifest["tool_call_format"] == "text"
    assert (manifest["max_tokens"], manifest["timeout_s"], manifest["max_retries"]) == (50, 7, 0)
    traj = load_trajectory(next((out / "trajectories").glob("*.json")))
    assert traj.spec.model.tool_call_format == "text"
    # a resumed run keeps its format and token cap: results are never mixed
    for flags in (["--tool-call-format", "native"], ["--max-tokens", "60"]):
        console = Console(file=io.StringIO(), width=200)
        assert main(["run", "--resume", str(out), *flags], console=console) == 2


def test_max_retries_flag_bounds_the_attempts(tmp_path: Path) -> None:
    down = Reply({"error": {"message": "down"}}, status=503)
    with FaultServer(down) as srv:
        code, out, said = _run_cli(tmp_path, srv, "--max-retries", "1", "--no-preflight")
    assert code == EXIT_EVALUATOR and len(srv.requests) == 2, said


@pytest.mark.parametrize(
    "flag", [["--timeout", "0"], ["--max-retries", "-1"], ["--max-tokens", "0"]]
)
def test_bad_client_flags_are_usage_errors(
    tmp_path: Path, flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with FaultServer() as srv:
        code, _, _ = _run_cli(tmp_path, srv, *flag)
    assert code == 2 and "must" in capsys.readouterr().err and not srv.requests


def test_public_endpoint_drops_credentials() -> None:
    from clawbench.agent import public_endpoint

    url = "https://user:pa55@gw.example:8443/v1?api-key=zzz#frag"
    assert public_endpoint(url) == "https://gw.example:8443/v1"
    assert public_endpoint(None) is None


def test_token_estimates_real_tokenizer_and_conservative_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from clawbench.agent import _tokens, count_tokens, tokenizer_name

    text = "hello world, the quick brown fox"
    if tokenizer_name() == "cl100k_base":  # the dev install ships it
        assert count_tokens("hello world") == 2 and count_tokens(text) == 7
    monkeypatch.setattr(_tokens, "_encoding", lambda: None)
    assert tokenizer_name() == "bytes/3"
    assert count_tokens(text) == 11  # ceil(32 / 3): more than the real 7, never fewer
    assert count_tokens("é" * 3) == 2  # bytes, not characters
