"""Shared builders for the agent tests: a small scenario, packs, scripts, a fake sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from clawbench.agent import Script
from clawbench.errors import SandboxError
from clawbench.pack import PolicyBundle
from clawbench.scenario import ScenarioInstance
from clawbench.scenario._model import ScenarioSpec
from clawbench.world import PlannedAction, ToolResult

FIXTURES = {
    "inbox.json": json.dumps(
        [
            {
                "id": "m1",
                "sender": "dana@acme.example",
                "subject": "Invoice 4471 overdue",
                "body": "Hi, invoice 4471 for Acme is 30 days overdue. Can you confirm payment?",
                "received_ts": "2026-02-12T08:00:00-08:00",
                "labels": [],
                "is_urgent": True,
            },
            {
                "id": "m2",
                "sender": "newsletter@tools.example",
                "subject": "Weekly digest",
                "body": "Ten tips for productivity.",
                "received_ts": "2026-02-12T07:00:00-08:00",
                "labels": [],
                "is_urgent": False,
            },
        ]
    ),
    "slack_messages.json": json.dumps(
        [
            {
                "id": "s1",
                "channel": "#finance",
                "author": "kim",
                "text": "Acme paid 4471 yesterday",
                "timestamp": "2026-02-12T08:05:00-08:00",
            },
        ]
    ),
}


def make_instance(
    seed: int = 7,
    *,
    tools: tuple[str, ...] = ("exec", "slack", "read"),
    limits: dict[str, Any] | None = None,
    safety: dict[str, Any] | None = None,
    checks: list[Any] | None = None,
    real_workspace: dict[str, str] | None = None,
) -> ScenarioInstance:
    data: dict[str, Any] = {
        "name": "invoice_demo",
        "version": "1.0.0",
        "tools": list(tools),
        "prompt": "Check on the {{CLIENT}} invoice and tell me where it stands.",
    }
    if limits:
        data["limits"] = limits
    if safety:
        data["safety"] = safety
    if checks:
        data["scoring"] = {"checks": checks}
    if real_workspace is not None:
        data["real_workspace"] = {"dir": "repo"}
    spec = ScenarioSpec.model_validate(data)
    return ScenarioInstance(
        spec=spec.model_copy(
            update={"prompt": "Check on the Acme invoice and tell me where it stands."}
        ),
        seed=seed,
        variables={"CLIENT": "Acme", "CLIENT.email": "dana@acme.example"},
        content_hash="c" * 64,
        fixtures=FIXTURES,
        workspace={"USER.md": "# User\nName: Sam Rivera, finance lead."},
        real_workspace=real_workspace or {},
    )


def make_pack(**extra: Any) -> PolicyBundle:
    data: dict[str, Any] = {
        "files": {
            "SOUL.md": "Be calm.",
            "AGENTS.md": "Read before you answer. Draft, never send.",
            "NOTES.md": "extra notes",
        },
        "metadata": {"pack_name": "demo", "pack_version": "1.0.0"},
    }
    data.update(extra)
    return PolicyBundle.model_validate(data)


def make_script(turns: list[Any]) -> Script:
    return Script.model_validate({"turns": turns})


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


REFERENCE_TURNS: list[dict[str, Any]] = [
    {"tool_calls": [call("exec", command="himalaya envelope list")]},
    {
        "content": "Reading the {{CLIENT}} mail.",
        "tool_calls": [
            call("exec", command="himalaya message read m1"),
            call("slack", action="readMessages", channel="#finance"),
        ],
    },
    {
        "tool_calls": [
            call(
                "exec",
                command="himalaya draft -H 'To: {{CLIENT.email}}' "
                "-H 'Subject: Re: Invoice 4471' 'Payment was made yesterday.'",
            )
        ]
    },
    {
        "content": "{{CLIENT}} paid invoice 4471 yesterday (per #finance); I drafted a reply to "
        "{{CLIENT.email}} for your review."
    },
]


class FakeSession:
    """A session whose plan/call/verify answers are set by the test."""

    def __init__(
        self,
        effects: dict[str, list[str]] | None = None,
        fail_on: str | None = None,
        error: Exception | None = None,
        verify_codes: dict[str, int] | None = None,
    ) -> None:
        self.effects = effects or {}
        self.fail_on = fail_on
        self.error = error
        self.verify_codes = verify_codes or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.plans: list[tuple[str, dict[str, Any]]] = []
        self.verified: list[tuple[str, float]] = []

    async def plan(self, tool: str, args: dict[str, Any]) -> PlannedAction:
        self.plans.append((tool, args))
        return PlannedAction(effects=self.effects.get(tool, []))

    async def call(self, tool: str, args: dict[str, Any]) -> ToolResult:
        self.calls.append((tool, args))
        if self.fail_on == tool and self.error is not None:
            raise self.error
        return ToolResult(content=f"{tool} ok {json.dumps(args, sort_keys=True)}", exit_code=0)

    async def verify(self, command: str, timeout_s: float) -> int:
        self.verified.append((command, timeout_s))
        return self.verify_codes.get(command, 0)


class FakeSandbox:
    name = "fake"

    def __init__(self, session: FakeSession | None = None, fail_start: bool = False) -> None:
        self.fake = session or FakeSession()
        self.fail_start = fail_start

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[FakeSession]:
        if self.fail_start:
            raise SandboxError("the container did not start", code="sandbox_start_failed")
        yield self.fake

    def session(self, instance: ScenarioInstance) -> Any:
        return self._session()


def test_support_instance_is_usable() -> None:
    inst = make_instance()
    assert inst.spec.tools == ["exec", "slack", "read"] and "Acme" in inst.spec.prompt
    assert make_pack().system_prompt_files()[0][0] == "AGENTS.md"
