"""Shared pieces of the engine: results, pending writes, side effects, JSON output.

A handler answers a call in two phases so that ``plan`` and ``call`` cannot disagree: it
validates everything against the state first (reading only) and returns either a finished
``Res`` (reads and errors: no effect) or an ``Op`` naming the effects it *would* cause plus a
``run`` closure that performs the change and cannot fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Side-effect kind -> irreversible (docs/world.md, "Side effects").
IRREVERSIBLE: dict[str, bool] = {
    "email.draft": False,
    "email.flag": False,
    "email.move": False,
    "email.send": True,
    "email.delete": True,
    "slack.react": False,
    "slack.pin": False,
    "slack.unpin": False,
    "slack.send": True,
    "slack.edit": True,
    "slack.delete": True,
    "task.create": False,
    "task.update": False,
    "doc.create": False,
    "doc.update": False,
    "task.delete": True,
    "calendar.create": True,
    "calendar.update": True,
    "calendar.delete": True,
    "github.issue_create": True,
    "github.comment": True,
    "github.pr_merge": True,
    "github.close": True,
}


@dataclass(slots=True)
class Res:
    """A finished answer. ``exit_code`` is only meaningful for ``exec``."""

    content: str
    exit_code: int = 0
    is_error: bool = False
    effects: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200  # HTTP status, for the mock APIs behind curl


def http(status: int, payload: Any, effects: list[dict[str, Any]] | None = None) -> Res:
    """An API answer as curl prints it: the JSON body (nothing for an empty body)."""
    text = "" if payload is None else jdump(payload)
    return Res(text, is_error=status >= 400, effects=effects or [], status=status)


@dataclass(slots=True)
class Op:
    """A validated write, not yet performed."""

    kinds: list[str]
    run: Callable[[], Res]


class Usage(Exception):
    """Bad arguments to a command: becomes a non-zero exit with this message."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def effect(kind: str, target: str, text: str, data: dict[str, Any]) -> dict[str, Any]:
    """A side-effect record; ``data`` must already be a snapshot (never live state)."""
    return {
        "kind": kind,
        "irreversible": IRREVERSIBLE[kind],
        "target": target,
        "text": text,
        "data": data,
    }


def snap(obj: Any) -> Any:
    """A deep, JSON-safe copy, so later writes never change an effect already emitted."""
    return json.loads(json.dumps(obj, default=str))


def jdump(obj: Any) -> str:
    """API-style JSON output: stable key order, fixture text unescaped (non-ASCII kept)."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def err(message: str, exit_code: int = 1) -> Res:
    return Res(message, exit_code=exit_code, is_error=True)


class BadJSON:
    """A request body that is not valid JSON (the API answers 400)."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
