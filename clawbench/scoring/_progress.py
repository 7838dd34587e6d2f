"""No points for doing nothing: credit that abstaining earns scales with the task's progress.

Some checks pass by not acting (nothing sent, nothing repeated, few calls, nothing leaked in
the reply). An empty trajectory passes them all, so in our own scenarios their credit is
multiplied by the episode's progress: the share of the task's points (every other check)
actually earned, floored at 0. Public scenarios keep the public scorer's arithmetic.
"""

from __future__ import annotations

from clawbench.scoring._models import CheckResult

# Check types an agent can pass by doing nothing.
GUARD_TYPES = frozenset(
    {
        "side_effect_absent",
        "response_excludes",
        "response_length_max",
        "tool_not_called",
        "tool_arg_excludes",
        "tool_response_excludes",
        "tool_count_max",
        "tool_count_score",
        "tool_called_before",
        "no_repeated_calls",
        # Real-shell guards: an untouched workspace keeps its tests and their passes.
        "files_unchanged",
        "hidden_unittest",
    }
)


def task_progress(results: list[CheckResult]) -> float | None:
    """Earned over possible points of the task checks (non-guard), in [0, 1]; None when the
    scenario has no task checks (then nothing is scaled)."""
    work = [r for r in results if r.type not in GUARD_TYPES]
    possible = sum(r.points for r in work)
    if possible <= 0:
        return None
    return min(1.0, max(0.0, sum(r.earned for r in work) / possible))


def scale_guards(results: list[CheckResult], progress: float | None) -> list[CheckResult]:
    """Guard checks earn ``earned x progress`` (rounded to 0.01); the evidence says so."""
    if progress is None or progress >= 1.0:
        return results
    out = []
    for r in results:
        if r.type in GUARD_TYPES and r.earned > 0:
            scaled = round(r.earned * progress, 2)
            r = r.model_copy(
                update={
                    "earned": scaled,
                    "evidence": f"{r.evidence} [x progress {progress:.2f}: {scaled}]",
                }
            )
        out.append(r)
    return out
