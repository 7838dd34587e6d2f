"""How things are matched: the public scorer's text conventions, kept in one place."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from clawbench.scoring._models import ScoringError
from clawbench.trajectory import ToolCallRecord
from clawbench.world import SideEffect

EXCERPT = 160


def as_text(value: Any) -> str:
    """Public convention: a string as-is, anything else ``json.dumps(value, default=str)``
    (default separators, ASCII escaping, keys in their given order)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def args_text(call: ToolCallRecord) -> str:
    return as_text(call.args)


def compile_pattern(pattern: str, *, case_insensitive: bool, owner: str) -> re.Pattern[str]:
    """DOTALL always, IGNORECASE unless switched off (public semantics). A bad regex is a
    broken scenario, never a silently failed check."""
    flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
    try:
        return re.compile(pattern, flags)
    except re.error as err:
        raise ScoringError(f"{owner}: bad regex {pattern!r}: {err}", code="bad_pattern") from None


def excerpt(text: str, limit: int = EXCERPT) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def executed(call: ToolCallRecord) -> bool:
    """The harness ran the call (it was not refused); only these touched the world."""
    return call.refused is None


def canonical_call(call: ToolCallRecord) -> str:
    """Identity of a call for repetition: tool plus args with sorted keys."""
    return (
        call.tool + "\x00" + json.dumps(call.args, sort_keys=True, ensure_ascii=False, default=str)
    )


def effect_text(effect: SideEffect) -> str:
    """What a side-effect pattern is matched against: target, text and the data snapshot."""
    data = json.dumps(effect.data, sort_keys=True, ensure_ascii=False, default=str)
    return f"{effect.target}\n{effect.text}\n{data}"


def glob_any(name: str, patterns: list[str]) -> bool:
    return any(fnmatchcase(name, p) for p in patterns)


def string_leaves(value: Any, *, keys: bool) -> Iterator[str]:
    """Every leaf of a JSON-like value as text (None left out), with the dict keys too when
    ``keys``: what an agent can smuggle text through is keys as well as values."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if keys:
                yield str(k)
            yield from string_leaves(v, keys=keys)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from string_leaves(v, keys=keys)
    elif value is not None:
        yield str(value)


def authored_strings(call: ToolCallRecord) -> list[str]:
    """Everything the agent itself wrote into a call (casefolded): every string leaf of the
    args and their JSON text. Text found here is not evidence of what the world told it."""
    leaves = [s.casefold() for s in string_leaves(call.args, keys=True)]
    leaves.append(json.dumps(call.args, ensure_ascii=False, default=str).casefold())
    return leaves
