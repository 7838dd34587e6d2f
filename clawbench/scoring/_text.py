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


def compile_pattern(pattern: str, *, case_insensitive: bool, owner: str) -> TextPattern:
    """DOTALL always, IGNORECASE unless switched off (public semantics). A bad regex is a
    broken scenario, never a silently failed check. A conjunction as ``all_of`` writes it
    gets a linear-time matcher (``Conjunction``) with the same matches."""
    flags = re.DOTALL | (re.IGNORECASE if case_insensitive else 0)
    try:
        terms = conjunction_terms(pattern)
        if terms is not None:
            return Conjunction(pattern, [re.compile(t, flags) for t in terms])
        return re.compile(pattern, flags)
    except re.error as err:
        raise ScoringError(f"{owner}: bad regex {pattern!r}: {err}", code="bad_pattern") from None


_LOOK = "(?=.*?(?:"


def conjunction_terms(pattern: str) -> list[str] | None:
    """``(?=.*?(?:A))(?=.*?(?:B))...`` -> [A, B, ...]; None for any other pattern. Groups
    are split by a scan that honours escapes and character classes."""
    terms: list[str] = []
    i = 0
    while i < len(pattern):
        if not pattern.startswith(_LOOK, i):
            return None
        j = first_close = i + len(_LOOK)
        depth = 2
        while j < len(pattern) and depth:
            ch = pattern[j]
            if ch == "\\":
                j += 2
                continue
            if ch == "[":  # a class: "]" right after "[" or "[^" is a literal
                j += 1
                if j < len(pattern) and pattern[j] == "^":
                    j += 1
                if j < len(pattern) and pattern[j] == "]":
                    j += 1
                while j < len(pattern) and pattern[j] != "]":
                    j += 2 if pattern[j] == "\\" else 1
                j += 1
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 1:
                    first_close = j
                    if pattern[j + 1 : j + 2] != ")":
                        return None  # something follows the term inside the lookahead
            j += 1
        if depth:
            return None
        terms.append(pattern[i + len(_LOOK) : first_close])
        i = j
    return terms or None


class EmptyMatch:
    """The zero-width match of a ``Conjunction`` at ``pos`` (the part of ``re.Match`` the
    scorer reads)."""

    def __init__(self, pos: int) -> None:
        self.pos = pos

    def start(self) -> int:
        return self.pos

    def end(self) -> int:
        return self.pos

    def span(self) -> tuple[int, int]:
        return self.pos, self.pos

    def group(self, index: int = 0) -> str:
        if index != 0:
            raise IndexError("no such group")
        return ""


class Conjunction:
    """Every term somewhere at or after the position (DOTALL lookaheads). ``re`` tries each
    start and rescans to the end from each, so a long text without one term costs
    quadratic time: a 256,000-character reply took 450 s to score. The condition is
    monotone (it holds at p, so at every earlier position), which makes ``search`` the
    check at ``pos`` alone, each term's leftmost match found once."""

    def __init__(self, pattern: str, terms: list[re.Pattern[str]]) -> None:
        self.pattern = pattern
        self.terms = terms

    def _holds(self, text: str, pos: int, endpos: int | None) -> bool:
        end = len(text) if endpos is None else min(endpos, len(text))
        return pos <= end and all(t.search(text, pos, end) for t in self.terms)

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> EmptyMatch | None:
        return EmptyMatch(pos) if self._holds(text, pos, endpos) else None

    search = match  # monotone: if no term set fits after pos, none fits after any later p

    def fullmatch(self, text: str, pos: int = 0, endpos: int | None = None) -> EmptyMatch | None:
        end = len(text) if endpos is None else min(endpos, len(text))
        return self.match(text, pos, endpos) if pos == end else None

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[EmptyMatch]:
        """A zero-width match at every position where it holds, as ``re`` yields them: the
        positions pos..last, last found by bisection (monotone)."""
        end = len(text) if endpos is None else min(endpos, len(text))
        if not self._holds(text, pos, end):
            return
        lo, hi = pos, end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._holds(text, mid, end):
                lo = mid
            else:
                hi = mid - 1
        for p in range(pos, lo + 1):
            yield EmptyMatch(p)


TextPattern = re.Pattern[str] | Conjunction


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
