"""Scripts for the scripted model: the turns a model would send, replayed verbatim.

A script is YAML::

    description: reference trajectory for client_escalation
    expect:                      # what `clawbench check` asserts under every seed
      qualified: true
      min_score: 0.9
    turns:
      - tool_calls:
          - name: exec
            arguments: {command: "himalaya envelope list"}
      - content: |
          Final reply mentioning {{CLIENT}} ...

Turn *i* answers the *i*-th model call of the episode, whatever the tool results were, so a
script is a fixed trajectory. Strings are templated with the scenario's seeded variables
(``{{NAME}}``, ``{{NAME.field}}``) before replay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from clawbench.errors import ClawBenchError, yaml_problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScriptToolCall(_Strict):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ScriptTurn(_Strict):
    content: str | None = None
    tool_calls: list[ScriptToolCall] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> ScriptTurn:
        if self.content is None and not self.tool_calls:
            raise ValueError("a turn has content, tool_calls, or both")
        return self


class ScriptExpectation(_Strict):
    """What `clawbench check` asserts about a script's score under every seed."""

    qualified: bool | None = None
    min_score: float | None = None
    max_score: float | None = None
    critical: list[str] = Field(default_factory=list)  # violation codes that must appear
    failed_checks: list[str] = Field(default_factory=list)  # check ids that must fail
    termination: str | None = None


class Script(_Strict):
    description: str = ""
    scenario: str | None = None
    pack: str | None = None  # example pack the script is checked with (baseline|optimized)
    expect: ScriptExpectation = Field(default_factory=ScriptExpectation)
    turns: list[ScriptTurn]


def load_script(path: str | Path) -> Script:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        return Script.model_validate(data)
    except OSError as err:
        raise ClawBenchError(f"{p}: unreadable script: {err}", code="script_invalid") from None
    except yaml.YAMLError as err:
        raise ClawBenchError(
            f"{p}: invalid YAML at {yaml_problem(err)}", code="script_invalid"
        ) from None
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "<root>"
        raise ClawBenchError(
            f"{p}: invalid script: {loc}: {first['msg']} ({err.error_count()} error(s))",
            code="script_invalid",
        ) from None
