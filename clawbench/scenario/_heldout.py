"""Held-out cases for hidden value checks: inputs drawn per seed, expected values computed
here on the host (a reference implementation), so neither is in the scenario file or ever in
the sandbox before the check runs. Knowing this code does not help an agent: to pass it must
return the right answer for inputs it first sees while the check runs, which is the fix."""

from __future__ import annotations

import inspect
import statistics
from collections.abc import Callable

from clawbench.scenario._draw import Draw
from clawbench.scenario._model import (
    FilesUnchanged,
    HiddenUnittest,
    HiddenValues,
    ScenarioSpec,
    ValueCase,
)

Loc = tuple[str | int, ...]


def median_lists(draw: Draw, n: int) -> list[ValueCase]:
    """Lists of 1-12 numbers (even counts two times in three; integers or tenths, negatives
    and duplicates included), shuffled; expected: ``statistics.median``."""
    cases: list[ValueCase] = []
    for i in range(n):
        size = 2 * draw.between(1, 6) if i % 3 else 2 * draw.between(0, 5) + 1
        tenths = draw.below(2) == 1
        values: list[int | float] = []
        for _ in range(size):
            v = draw.between(-5000, 5000)
            values.append(v / 10 if tenths else v)
        if size > 2 and draw.below(3) == 0:
            values[1] = values[0]  # a duplicate
        values = draw.shuffled(values)
        cases.append(ValueCase(args=[values], expect=statistics.median(values)))
    return cases


HELD_OUT: dict[str, Callable[[Draw, int], list[ValueCase]]] = {"median_lists": median_lists}


def held_out_generators(spec: ScenarioSpec) -> list[str]:
    names = {
        c.held_out.generator
        for c in spec.scoring.checks
        if isinstance(c, HiddenValues) and c.held_out is not None
    }
    return sorted(names)


def held_out_source(name: str) -> bytes:
    """The generator's code, hashed into the scenario's content hash."""
    return inspect.getsource(HELD_OUT[name]).encode()


def hidden_problems(spec: ScenarioSpec) -> list[tuple[Loc, str]]:
    """Hidden checks need a real workspace, and a held-out generator must exist."""
    problems: list[tuple[Loc, str]] = []
    for i, c in enumerate(spec.scoring.checks):
        if not isinstance(c, HiddenValues | HiddenUnittest | FilesUnchanged):
            continue
        loc: Loc = ("scoring", "checks", i)
        if spec.real_workspace is None:
            problems.append(((*loc, "type"), f"{c.type} needs a 'real_workspace' scenario"))
        if isinstance(c, HiddenValues) and c.held_out is not None:
            if c.held_out.generator not in HELD_OUT:
                known = ", ".join(sorted(HELD_OUT))
                problems.append(
                    (
                        (*loc, "held_out", "generator"),
                        f"unknown held-out generator {c.held_out.generator!r} (known: {known})",
                    )
                )
    return problems
