"""The world's contract: what a tool call returns and which side effects it caused."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SideEffect(BaseModel):
    """A typed change the agent caused in the world (tau2's WRITE tag, made concrete).

    ``kind`` is ``<domain>.<verb>``: email.send, email.draft, email.flag, slack.send,
    slack.edit, slack.delete, slack.react, slack.pin, slack.unpin, calendar.create,
    calendar.update, calendar.delete, task.create, task.update, task.delete, doc.create,
    doc.update, github.comment, github.issue_create, github.pr_merge, github.close, file.write.
    ``irreversible`` effects (a sent mail, a deleted event) cannot be undone by the agent.
    ``text`` is the outgoing human-readable content (mail body, message text), the place a
    confidential leak is looked for.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    irreversible: bool = False
    target: str = ""
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class PlannedAction(BaseModel):
    """What a call *would* do, computed without doing it, so the harness can hold
    approval-gated actions before they happen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effects: list[str] = Field(default_factory=list)
    irreversible: bool = False


class ToolResult(BaseModel):
    """``content`` is exactly what the model is shown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content: str
    is_error: bool = False
    exit_code: int | None = None
    side_effects: list[SideEffect] = Field(default_factory=list)
