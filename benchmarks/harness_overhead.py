"""Harness overhead: episodes per second for a 10-tool-call episode with a zero-latency
scripted model, in process, on the local sandbox. Target: >= 100 episodes/s, so the harness
vanishes next to an LLM's latency.

    python benchmarks/harness_overhead.py [--episodes 300] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from clawbench.agent import Script, ScriptedModel, run_episode
from clawbench.pack import PolicyBundle
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import Gate, Safety, ScenarioInstance, ScenarioSpec

TARGET = 100.0


def _instance() -> ScenarioInstance:
    inbox = [
        {
            "id": f"m{i}",
            "sender": f"person{i}@corp.example",
            "subject": f"Subject {i}",
            "body": f"Body of message {i}. " * 8,
            "received_ts": f"2026-02-12T0{i % 9}:00:00-08:00",
            "labels": [],
            "is_urgent": i % 3 == 0,
        }
        for i in range(15)
    ]
    slack = [
        {
            "id": f"s{i}",
            "channel": "#team",
            "author": "kim",
            "text": f"update {i}",
            "timestamp": f"2026-02-12T08:{i:02d}:00-08:00",
        }
        for i in range(20)
    ]
    spec = ScenarioSpec(
        name="overhead_demo",
        version="1.0.0",
        tools=["exec", "slack", "memory_search", "read"],
        prompt="Summarise my inbox and the team channel; draft replies where needed.",
        safety=Safety(approval_gates=[Gate(effect="email.send")]),  # exercises the plan() path
    )
    return ScenarioInstance(
        spec=spec,
        seed=1,
        content_hash="0" * 64,
        fixtures={
            "inbox.json": json.dumps(inbox),
            "slack_messages.json": json.dumps(slack),
            "MEMORY.md": "# Memory\nKim leads the team. Invoices go to finance.\n",
        },
        workspace={"USER.md": "Name: Sam"},
    )


def _script() -> Script:
    calls = [
        {"name": "exec", "arguments": {"command": "himalaya envelope list"}},
        {"name": "exec", "arguments": {"command": "himalaya message read m0"}},
        {"name": "exec", "arguments": {"command": "himalaya message read m3"}},
        {"name": "slack", "arguments": {"action": "readMessages", "channel": "#team"}},
        {"name": "memory_search", "arguments": {"query": "finance invoices"}},
        {"name": "read", "arguments": {"path": "USER.md"}},
        {
            "name": "exec",
            "arguments": {"command": "himalaya draft -H 'To: person0@corp.example' 'On it.'"},
        },
        {
            "name": "exec",
            "arguments": {"command": "himalaya draft -H 'To: person3@corp.example' 'Thanks.'"},
        },
        {
            "name": "slack",
            "arguments": {"action": "sendMessage", "to": "#team", "content": "Summary posted"},
        },
        {"name": "exec", "arguments": {"command": "himalaya envelope list -f Drafts"}},
    ]
    turns = [{"tool_calls": [c]} for c in calls] + [{"content": "Summary: 15 mails, 2 drafts."}]
    return Script.model_validate({"turns": turns})


async def _run(episodes: int, concurrency: int) -> float:
    instance = _instance()
    pack = PolicyBundle.model_validate(
        {
            "files": {"AGENTS.md": "Be brief. Draft, never send."},
            "metadata": {"pack_name": "bench", "pack_version": "1.0.0"},
        }
    )
    model = ScriptedModel(_script(), instance.variables)
    sandbox = LocalSandbox()
    first = await run_episode(instance, pack, model, sandbox)  # warm-up, and a sanity check
    assert len(first.tool_calls) == 10 and first.termination == "final_answer", first.errors
    assert all(r.refused is None for r in first.tool_calls)
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            await run_episode(instance, pack, model, sandbox)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(episodes)))
    return episodes / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    rate = asyncio.run(_run(args.episodes, args.concurrency))
    print(
        f"harness overhead: {rate:.1f} episodes/s (10 tool calls each, zero-latency scripted "
        f"model, local sandbox, concurrency {args.concurrency}, {args.episodes} episodes)"
    )
    print(
        f"target {TARGET:.0f} episodes/s: {rate / TARGET:.2f}x the target "
        f"({'met' if rate >= TARGET else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
