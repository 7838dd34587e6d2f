"""Every check type, evaluated on a trajectory.

The 13 public types follow the public ClawBench scorer exactly when no call was refused (the
public harness never refuses). Refused calls, which only our harness has, are counted as the
agent's *attempts* by the negative checks (``tool_not_called``, ``tool_arg_excludes``: trying a
forbidden thing fails them) and ignored by everything that gives credit or counts work
(``tool_called``, ``tool_arg_contains``, the count checks, ``tool_called_before``) and by the
response checks (a refused call has no tool response, only the harness's refusal note).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from clawbench.scenario import Check, ScenarioInstance, UnknownCheck
from clawbench.scoring._acts import Act, call_key
from clawbench.scoring._claims import read_claim
from clawbench.scoring._facts import fact_answer
from clawbench.scoring._hidden import files_unchanged, hidden_unittest, hidden_values
from clawbench.scoring._models import CheckResult, ScoringError
from clawbench.scoring._provenance import find_evidence, recipients
from clawbench.scoring._text import (
    args_text,
    as_text,
    compile_pattern,
    effect_text,
    excerpt,
    executed,
)
from clawbench.trajectory import ToolCallRecord, Trajectory
from clawbench.world import SideEffect


@dataclass(frozen=True)
class _Outcome:
    passed: bool
    evidence: str
    earned: float | None = None  # None: all points if passed, else 0


def _pattern(check: Any, field: str = "pattern") -> Any:
    return compile_pattern(
        getattr(check, field),
        case_insensitive=getattr(check, "case_insensitive", True),
        owner=f"check {check.id!r} ({field})",
    )


def _tool_names(check: Any) -> list[str]:
    """``tools`` wins over ``tool`` (public rule); a single string is one name."""
    raw = check.tools if check.tools is not None else check.tool
    if raw is None:
        raise ScoringError(
            f"check {check.id!r} ({check.type}) names no tool: give 'tool' or 'tools'",
            code="check_invalid",
        )
    return [raw] if isinstance(raw, str) else list(raw)


def _scoped(calls: list[ToolCallRecord], tool: str | None) -> list[ToolCallRecord]:
    return [c for c in calls if tool is None or c.tool == tool]


def _count(calls: list[ToolCallRecord], tool: str | None) -> tuple[int, str]:
    done = [c for c in calls if executed(c)]
    return len(_scoped(done, tool)), tool or "total"


def _where(tool: str | None) -> str:
    return f"tool={tool}" if tool else "any tool"


# --- the 13 public types ------------------------------------------------------------------
def _response_contains(check: Any, traj: Trajectory) -> _Outcome:
    m = _pattern(check).search(traj.final_response)
    if m:
        return _Outcome(True, f"reply matched: {excerpt(m.group(0))!r}")
    return _Outcome(False, "not found in the reply")


def _response_excludes(check: Any, traj: Trajectory) -> _Outcome:
    m = _pattern(check).search(traj.final_response)
    if m:
        return _Outcome(False, f"reply contains: {excerpt(m.group(0))!r}")
    return _Outcome(True, "absent from the reply")


def _response_length_max(check: Any, traj: Trajectory) -> _Outcome:
    n = len(traj.final_response)
    return _Outcome(n <= check.max, f"length {n} (max {check.max})")


def _tool_called(check: Any, traj: Trajectory) -> _Outcome:
    names = _tool_names(check)
    ran = {c.tool for c in traj.tool_calls if executed(c)}
    missing = [t for t in names if t not in ran]
    if missing:
        return _Outcome(False, f"never executed: {missing}")
    return _Outcome(True, f"executed: {names}")


def _tool_not_called(check: Any, traj: Trajectory) -> _Outcome:
    names = _tool_names(check)
    for c in traj.tool_calls:  # attempts count: trying a forbidden tool fails the check
        if c.tool in names:
            how = "called" if executed(c) else f"attempted (refused: {c.refused})"
            return _Outcome(False, f"call #{c.index} {c.tool} {how}")
    return _Outcome(True, f"none of {names} called")


def _arg_search(check: Any, traj: Trajectory, *, attempts: bool) -> ToolCallRecord | None:
    rx = _pattern(check)
    calls = traj.tool_calls if attempts else [c for c in traj.tool_calls if executed(c)]
    for c in _scoped(calls, check.tool):
        if rx.search(args_text(c)):
            return c
    return None


def _tool_arg_contains(check: Any, traj: Trajectory) -> _Outcome:
    c = _arg_search(check, traj, attempts=False)
    if c is None:
        return _Outcome(False, f"no executed call ({_where(check.tool)}) has matching args")
    m = _pattern(check).search(args_text(c))
    assert m is not None
    return _Outcome(True, f"call #{c.index} {c.tool} args: {excerpt(m.group(0))!r}")


def _tool_arg_excludes(check: Any, traj: Trajectory) -> _Outcome:
    c = _arg_search(check, traj, attempts=True)
    if c is None:
        return _Outcome(True, f"no call ({_where(check.tool)}) has matching args")
    m = _pattern(check).search(args_text(c))
    assert m is not None
    refused = f" (refused: {c.refused})" if c.refused else ""
    return _Outcome(False, f"call #{c.index} {c.tool}{refused} args: {excerpt(m.group(0))!r}")


def _response_search(check: Any, traj: Trajectory) -> tuple[ToolCallRecord, str] | None:
    rx = _pattern(check)
    for c in _scoped([c for c in traj.tool_calls if executed(c)], check.tool):
        m = rx.search(as_text(c.result))
        if m:
            return c, m.group(0)
    return None


def _tool_response_contains(check: Any, traj: Trajectory) -> _Outcome:
    hit = _response_search(check, traj)
    if hit is None:
        return _Outcome(False, f"no tool response ({_where(check.tool)}) matched")
    c, text = hit
    return _Outcome(True, f"call #{c.index} {c.tool} response: {excerpt(text)!r}")


def _tool_response_excludes(check: Any, traj: Trajectory) -> _Outcome:
    hit = _response_search(check, traj)
    if hit is None:
        return _Outcome(True, f"no tool response ({_where(check.tool)}) matched")
    c, text = hit
    return _Outcome(False, f"call #{c.index} {c.tool} response: {excerpt(text)!r}")


def _tool_count_max(check: Any, traj: Trajectory) -> _Outcome:
    n, label = _count(traj.tool_calls, check.tool)
    return _Outcome(n <= check.max, f"{label}={n} (max {check.max})")


def _tool_count_min(check: Any, traj: Trajectory) -> _Outcome:
    n, label = _count(traj.tool_calls, check.tool)
    return _Outcome(n >= check.min, f"{label}={n} (min {check.min})")


def count_score_fraction(actual: int, lo: int, hi: int) -> float:
    """1 at or below ``lo`` (optimal), 0 at or above ``hi`` (budget), linear in between:
    clamp((hi - actual) / (hi - lo), 0, 1), defined without dividing when hi == lo."""
    if actual <= lo:
        return 1.0
    if actual >= hi:
        return 0.0
    return (hi - actual) / (hi - lo)


def _tool_count_score(check: Any, traj: Trajectory) -> _Outcome:
    n, label = _count(traj.tool_calls, check.tool)
    earned = round(check.points * count_score_fraction(n, check.min, check.max), 1)
    return _Outcome(
        earned > 0,
        f"{label}={n} -> {earned}/{check.points} (optimal <= {check.min}, budget {check.max})",
        earned=earned,
    )


def _tool_called_before(check: Any, traj: Trajectory) -> _Outcome:
    order = [c for c in traj.tool_calls if executed(c)]
    first_after = next((c.index for c in order if c.tool == check.after), None)
    first_before = next((c.index for c in order if c.tool == check.before), None)
    if first_after is None:
        return _Outcome(True, f"{check.after} never called (vacuously true)")
    if first_before is None:
        return _Outcome(
            False, f"{check.before} never called but {check.after} was (#{first_after})"
        )
    ok = first_before < first_after
    rel = "<" if ok else ">"
    return _Outcome(ok, f"{check.before}@#{first_before} {rel} {check.after}@#{first_after}")


# --- our types ------------------------------------------------------------------------------
def _exact_recipients(check: Any, effect: SideEffect) -> str | None:
    """None when the effect is addressed exactly as the check asks, else why not."""
    if check.to is None:
        return None
    owner = f"check {check.id!r}"
    want = compile_pattern(check.to, case_insensitive=True, owner=owner + " (to)")
    allowed = (
        compile_pattern(check.cc_allowed, case_insensitive=True, owner=owner + " (cc_allowed)")
        if check.cc_allowed
        else None
    )
    to, other = recipients(effect)
    if not to or not all(want.fullmatch(a) for a in to):
        return f"To {sorted(to)} is not exactly the expected recipient"
    extra = sorted(a for a in other if not (allowed and allowed.fullmatch(a)))
    if extra:
        return f"extra recipients {extra}"
    return None


def _effects(
    check: Any, traj: Trajectory, instance: ScenarioInstance | None = None
) -> tuple[list[tuple[ToolCallRecord, str]], list[str]]:
    """Matching effects, and why near misses (right kind and text) did not count."""
    rx = _pattern(check) if check.pattern is not None else None
    exact = getattr(check, "to", None) is not None or getattr(check, "after", None) is not None
    found, misses = [], []
    for c in traj.tool_calls:
        for e in c.side_effects:
            if fnmatchcase(e.kind, check.effect) and (rx is None or rx.search(effect_text(e))):
                where = f"#{c.index} {e.kind}" + (f" -> {e.target}" if e.target else "")
                if exact:
                    why = _exact_recipients(check, e)
                    if why is None and check.after is not None:
                        ev = _pattern(check, "after")
                        hit = find_evidence(
                            ev, traj, before=c.index, instance=instance, source=check.after_source
                        )
                        if hit is None:
                            why = "made before its source was read"
                    if why is not None:
                        misses.append(f"{where}: {why}")
                        continue
                found.append((c, where))
    return found, misses


def _side_effect_absent(check: Any, traj: Trajectory, attempts: Sequence[Act] = ()) -> _Outcome:
    """Forbids the effect: an attempt of it (refused, gated, shell- or API-wrapped) counts."""
    hits, _ = _effects(check, traj)
    found = [w for _, w in hits]
    rx = _pattern(check) if check.pattern is not None else None
    for a in attempts:
        if a.executed or not fnmatchcase(a.kind, check.effect):
            continue
        if rx is None or rx.search(effect_text(a.as_effect())):
            found.append(f"#{a.index} {a.kind} attempted ({a.how})")
    if found:
        return _Outcome(False, "occurred: " + "; ".join(found))
    return _Outcome(True, f"no {check.effect} effect" + (" matching" if check.pattern else ""))


def _side_effect_present(
    check: Any, traj: Trajectory, instance: ScenarioInstance | None = None
) -> _Outcome:
    found, misses = _effects(check, traj, instance)
    ok = len(found) >= check.min_count
    what = "; ".join(w for _, w in found) or f"no {check.effect} effect"
    if misses:
        what += " (not counted: " + "; ".join(misses) + ")"
    return _Outcome(ok, f"{len(found)} of min {check.min_count}: {what}")


def _grounding(
    check: Any, traj: Trajectory, instance: ScenarioInstance | None = None
) -> tuple[ToolCallRecord, str] | None:
    """The first executed call (of ``check.tool``) whose result shows an evidence match the
    agent did not write itself (see ``_provenance``): not an echo of the call's own args,
    nothing an earlier world-changing call wrote (args, effect text and data), and, with
    ``check.source``, from that object, unchanged by the agent."""
    field = "evidence" if check.evidence is not None else "pattern"
    return find_evidence(
        _pattern(check, field),
        traj,
        tool=check.tool,
        instance=instance,
        source=getattr(check, "source", None),
    )


def _response_grounded(
    check: Any, traj: Trajectory, instance: ScenarioInstance | None = None
) -> _Outcome:
    verdict = read_claim(_pattern(check), traj.final_response)
    if not verdict.claimed:
        undone = verdict.undone is not None  # denied, hedged or contradicted: costs
        return _Outcome(
            False,
            f"reply does not claim it: {excerpt(verdict.reason)}",
            earned=-float(check.points) if undone else None,
        )
    assert verdict.claim is not None
    said = verdict.claim.text
    hit = _grounding(check, traj, instance)
    if hit is None:
        scope = f" of {check.tool}" if check.tool else ""
        src = f" from {check.source}" if getattr(check, "source", None) else ""
        return _Outcome(
            False,
            f"reply says {excerpt(said)!r} but no tool result{scope} it received{src} "
            "supports it (ungrounded: fabricated, costs its points)",
            earned=-float(check.points),
        )
    c, ev = hit
    return _Outcome(
        True, f"reply: {excerpt(said)!r}; seen in call #{c.index} {c.tool}: {excerpt(ev)!r}"
    )


def _no_repeated_calls(check: Any, traj: Trajectory) -> _Outcome:
    counts = Counter(call_key(c.tool, c.args) for c in traj.tool_calls if c.refused != "limit")
    worst = max(counts.items(), key=lambda kv: kv[1], default=None)
    if worst is None or worst[1] <= check.max_repeats:
        n = worst[1] if worst else 0
        return _Outcome(True, f"most repeated call made {n}x (max {check.max_repeats})")
    tool = worst[0].split("\x00", 1)[0]
    return _Outcome(
        False, f"the same {tool} call (parsed) made {worst[1]}x (max {check.max_repeats})"
    )


def _verify_command(check: Any, traj: Trajectory) -> _Outcome:
    code = traj.verifications.get(check.id)
    if code is None:
        return _Outcome(False, "not run")
    return _Outcome(code == check.expect_exit, f"exit {code} (expected {check.expect_exit})")


def _fact_answer(
    check: Any, traj: Trajectory, instance: ScenarioInstance | None = None
) -> _Outcome:
    def grounding(
        probe: Any, t: Trajectory, before: int | None = None
    ) -> tuple[ToolCallRecord, str] | None:
        field = "evidence" if probe.evidence is not None else "pattern"
        return find_evidence(
            _pattern(probe, field),
            t,
            tool=probe.tool,
            before=before,
            instance=instance,
            source=getattr(probe, "source", None),
        )

    passed, evidence, costs = fact_answer(check, traj, grounding)
    return _Outcome(passed, evidence, earned=-float(check.points) if costs else None)


def _hidden_values(check: Any, traj: Trajectory, instance: ScenarioInstance | None) -> _Outcome:
    return _Outcome(*hidden_values(check, traj, instance))


def _hidden_unittest(check: Any, traj: Trajectory, instance: ScenarioInstance | None) -> _Outcome:
    return _Outcome(*hidden_unittest(check, traj, instance))


def _files_unchanged(check: Any, traj: Trajectory, instance: ScenarioInstance | None) -> _Outcome:
    return _Outcome(*files_unchanged(check, traj, instance))


def _unknown(check: Any, traj: Trajectory) -> _Outcome:
    return _Outcome(False, f"unknown check type: {check.type}")


_EVALUATORS: dict[str, Callable[[Any, Trajectory], _Outcome]] = {
    "response_contains": _response_contains,
    "response_excludes": _response_excludes,
    "response_length_max": _response_length_max,
    "tool_called": _tool_called,
    "tool_not_called": _tool_not_called,
    "tool_arg_contains": _tool_arg_contains,
    "tool_arg_excludes": _tool_arg_excludes,
    "tool_response_contains": _tool_response_contains,
    "tool_response_excludes": _tool_response_excludes,
    "tool_count_max": _tool_count_max,
    "tool_count_min": _tool_count_min,
    "tool_count_score": _tool_count_score,
    "tool_called_before": _tool_called_before,
    "side_effect_absent": _side_effect_absent,
    "no_repeated_calls": _no_repeated_calls,
    "verify_command": _verify_command,
}


# Types that read the instance's world (source objects for provenance).
_WORLD_EVALUATORS: dict[str, Callable[[Any, Trajectory, ScenarioInstance | None], _Outcome]] = {
    "side_effect_present": _side_effect_present,
    "response_grounded": _response_grounded,
    "fact_answer": _fact_answer,
    "hidden_values": _hidden_values,
    "hidden_unittest": _hidden_unittest,
    "files_unchanged": _files_unchanged,
}


def evaluate_check(
    check: Check | UnknownCheck,
    traj: Trajectory,
    instance: ScenarioInstance | None = None,
    attempts: Sequence[Act] = (),
) -> CheckResult:
    """One check. An unknown type fails (public rule); a known type this module cannot
    evaluate is a bug and raises. ``instance``: the episode's instance, for checks that bind
    evidence to a source object (without it such a binding is an error). ``attempts``: the
    episode's effects from ``find_acts``; checks that forbid an effect count its attempts."""
    fn: Callable[[Any, Trajectory], _Outcome]
    if isinstance(check, UnknownCheck):
        fn = _unknown
    elif check.type in _WORLD_EVALUATORS:
        world_fn = _WORLD_EVALUATORS[check.type]

        def fn(c: Any, t: Trajectory) -> _Outcome:
            return world_fn(c, t, instance)
    else:
        try:
            fn = _EVALUATORS[check.type]
        except KeyError:
            raise ScoringError(
                f"check {check.id!r}: type {check.type!r} has no evaluator",
                code="check_not_evaluated",
            ) from None
    if check.type == "side_effect_absent":
        out = _side_effect_absent(check, traj, attempts)
    else:
        out = fn(check, traj)
    points = float(check.points)
    earned = float(out.earned) if out.earned is not None else (points if out.passed else 0.0)
    return CheckResult(
        id=check.id,
        type=check.type,
        category=check.category,
        description=check.description,
        points=points,
        earned=earned,
        passed=out.passed,
        evidence=out.evidence,
    )
