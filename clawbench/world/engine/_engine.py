"""WorldEngine: one episode's world, answering tool calls and recording what they changed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import _curl, _email, _files, _gcal, _github, _slack
from ._cli import split_command
from ._core import IRREVERSIBLE, Op, Res, Usage, err
from ._state import State

_PROGRAMS: dict[str, Callable[[State, list[str]], Res | Op]] = {
    "himalaya": _email.handle,
    "curl": _curl.handle,
    "gcalcli": _gcal.gcalcli,
    "gcal": _gcal.gcal,
    "gh": _github.handle,
}
_TOOLS: dict[str, Callable[[State, dict[str, Any]], Res | Op]] = {
    "slack": _slack.handle,
    "read": _files.read,
    "memory_search": _files.memory_search,
    "memory_get": _files.memory_get,
    "web_search": _files.web_search,
    "web_fetch": _files.web_fetch,
}


class WorldEngine:
    """The in-memory world built from ``world_input`` (see ScenarioInstance.world_input()).

    ``plan`` says what a call would change without changing anything; ``call`` answers it.
    Both go through the same validation, so a call's side effects are exactly its plan.
    Raises ``FixtureError`` (with ``.code``) when the input or a fixture file is malformed.
    """

    def __init__(self, world_input: dict[str, Any]) -> None:
        self._state = State(world_input)
        self.tools: list[str] = [str(t) for t in world_input.get("tools", [])]

    @property
    def state(self) -> State:
        return self._state

    def _resolve(self, tool: str, args: Any) -> tuple[Res | Op, bool]:
        """The call's answer or pending write; the flag says whether it is an ``exec``."""
        if not isinstance(args, dict):
            return err(f"{tool}: arguments must be a JSON object"), tool == "exec"
        if tool == "exec":
            command = args.get("command")
            if not isinstance(command, str):
                return err("exec: 'command' must be a string", 2), True
            try:
                tokens = split_command(command)
                prog = tokens[0].rsplit("/", 1)[-1]
                handler = _PROGRAMS.get(prog)
                if handler is None:
                    return err(f"{prog}: command not found", 127), True
                return handler(self._state, tokens[1:]), True
            except Usage as exc:
                return err(str(exc), exc.exit_code), True
        handler2 = _TOOLS.get(tool)
        if handler2 is None:
            return err(f"unknown tool: {tool!r}"), False
        return handler2(self._state, args), False

    def plan(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            answer, _ = self._resolve(tool, args)
        except Exception:  # an engine bug must not take the episode down: call() reports it
            return {"effects": [], "irreversible": False}
        kinds = answer.kinds if isinstance(answer, Op) else []
        return {"effects": list(kinds), "irreversible": any(IRREVERSIBLE[k] for k in kinds)}

    def preview(self, tool: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The side effects a call *would* cause, in full (targets, text, data), computed on a
        throw-away copy of the state: the scorer judges a refused or wrapped attempt as the
        effect it tried to cause. This engine's state is unchanged."""
        shadow = WorldEngine.__new__(WorldEngine)
        shadow._state = copy.deepcopy(self._state)
        shadow.tools = list(self.tools)
        try:
            answer, _ = shadow._resolve(tool, args)
            return list(answer.run().effects) if isinstance(answer, Op) else []
        except Exception:  # bad arguments or an engine bug: it would have caused nothing
            return []

    def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        is_exec = tool == "exec"
        try:
            answer, is_exec = self._resolve(tool, args)
            res = answer.run() if isinstance(answer, Op) else answer
        except Exception as exc:  # never crash the episode on an engine bug; say what broke
            res = err(f"{tool}: internal error in the world engine ({type(exc).__name__})", 70)
        return {
            "content": res.content,
            "is_error": bool(res.is_error or (is_exec and res.exit_code != 0)),
            "exit_code": res.exit_code if is_exec else None,
            "side_effects": res.effects,
        }
