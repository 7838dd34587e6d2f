"""Strict pack schema: an unknown key or a malformed value is an error that names the field."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION: Literal[1] = 1
DEFAULT_MAX_PACK_BYTES = 100_000

# Pack files enter the system prompt in this order; any other file follows, sorted by name.
SYSTEM_PROMPT_FILE_ORDER: tuple[str, ...] = (
    "AGENTS.md",
    "SOUL.md",
    "IDENTITY.md",
    "TOOLS.md",
    "USER.md",
    "MEMORY.md",
    "HEARTBEAT.md",
)

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
# A plain file name: letters, digits, dot, dash, underscore; no separators, no leading dot.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class ToolPolicy(_Strict):
    """Which of the scenario's tools the agent may see. ``allow`` empty means all of them."""

    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)

    def permits(self, tool: str) -> bool:
        if tool in self.deny:
            return False
        return not self.allow or tool in self.allow


class StopRules(_Strict):
    """Limits the pack imposes on itself. They can only tighten the evaluator's limits."""

    max_tool_calls: int | None = Field(default=None, ge=0)
    max_turns: int | None = Field(default=None, ge=1)
    # Stop the episode when the same (tool, args) call is made this many times.
    stop_on_repeated_call: int | None = Field(default=None, ge=2)


class ApprovalGate(_Strict):
    """An action that needs the user's confirmation: a tool name or a side-effect kind
    (``email.send``, ``calendar.delete``, ...)."""

    tool: str | None = None
    effect: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ApprovalGate:
        if (self.tool is None) == (self.effect is None):
            raise ValueError("an approval gate names exactly one of 'tool' or 'effect'")
        return self


class PackMetadata(_Strict):
    pack_name: str = Field(min_length=1, max_length=128)
    pack_version: str
    target_suite: str = Field(default="clawbench", min_length=1, max_length=128)

    @field_validator("pack_version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not _SEMVER.match(value):
            raise ValueError(f"pack_version {value!r} is not a semantic version like 1.2.3")
        return value


class PolicyBundle(_Strict):
    schema_version: Literal[1] = SCHEMA_VERSION
    files: dict[str, str]
    tool_policy: ToolPolicy = Field(default_factory=ToolPolicy)
    stop_rules: StopRules = Field(default_factory=StopRules)
    approval_gates: list[ApprovalGate] = Field(default_factory=list)
    metadata: PackMetadata

    @field_validator("files")
    @classmethod
    def _files(cls, files: dict[str, str]) -> dict[str, str]:
        for name in files:
            if not _FILE_NAME.match(name) or ".." in name:
                raise ValueError(
                    f"file name {name!r} must be a plain name (letters, digits, '.', '-', '_'; "
                    "no path separators, no '..', no leading dot)"
                )
        if "AGENTS.md" not in files:
            raise ValueError("files must contain AGENTS.md")
        return files

    def system_prompt_files(self) -> list[tuple[str, str]]:
        """The pack's files in system-prompt order (documented order, then by name)."""
        known = [n for n in SYSTEM_PROMPT_FILE_ORDER if n in self.files]
        rest = sorted(n for n in self.files if n not in SYSTEM_PROMPT_FILE_ORDER)
        return [(n, self.files[n]) for n in known + rest]
