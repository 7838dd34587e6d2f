"""Flat, display-ready views of a run, shared by the terminal tables and the HTML page.

Scores arrive as JSON dumps of clawbench.scoring's ``EpisodeScore`` (with its ``CheckResult``
and ``Violation`` items) and ``PackScore``; this is the one place that reads their fields, by
their real names. A missing field shows as "–", never as a guessed value.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from typing import Any

from clawbench.report._run import EpisodeResult, RunData

RESULT_EXCERPT_CHARS = 600
FOLD_CHARS = 400  # longer messages (the pack as system prompt, JSON tool results) fold


@dataclass(frozen=True)
class MessageView:
    """One message of the conversation: system (the pack), user (the task), assistant (its
    text and the tool calls it asked for, inline), tool (a result, folded when long)."""

    role: str
    content: str
    calls: list[str]  # "tool(args)" per requested call
    folded: bool
    preview: str


def _messages(t: Any) -> list[MessageView]:
    out = []
    for m in t.messages:
        content = m.content or ""
        calls = [
            f"{c.name}({json.dumps(c.arguments, sort_keys=True, ensure_ascii=False)})"
            for c in m.tool_calls
        ]
        folded = m.role in ("system", "tool") and len(content) > FOLD_CHARS
        preview = " ".join(content[:160].split()) + (" …" if folded else "")
        out.append(
            MessageView(role=m.role, content=content, calls=calls, folded=folded, preview=preview)
        )
    return out


def _readable(text: str) -> str:
    """Evidence quoting JSON carries escaped line breaks; show them as line breaks."""
    return text.replace("\\n", "\n").replace("\\t", "    ")


def _num(d: dict[str, Any], key: str) -> float | None:
    v = d.get(key)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    return None


def _bool(d: dict[str, Any], key: str) -> bool | None:
    v = d.get(key)
    return v if isinstance(v, bool) else None


@dataclass(frozen=True)
class CheckView:
    id: str
    category: str
    passed: bool
    earned: float
    points: float
    evidence: str
    description: str


@dataclass(frozen=True)
class ViolationView:
    code: str
    severity: str
    detail: str
    tool_call_index: int | None = None


@dataclass(frozen=True)
class ToolCallView:
    index: int
    turn: int
    tool: str
    args: str
    result: str
    truncated: bool
    is_error: bool
    refused: str
    effects: list[str]


@dataclass
class EpisodeView:
    scenario: str
    seed: int
    termination: str
    evaluator_failed: bool
    scored: bool
    success: float | None = None
    cost: float | None = None
    safety: float | None = None
    final: float | None = None
    qualified: bool | None = None
    checks: list[CheckView] = field(default_factory=list)
    violations: list[ViolationView] = field(default_factory=list)
    tool_calls: list[ToolCallView] = field(default_factory=list)
    # per model call: prompt, completion, total, finish reason ("?" unknown), estimated tokens
    usage: list[tuple[int, int, int, str, bool]] = field(default_factory=list)
    total_tokens: int = 0
    final_response: str = ""
    errors: list[str] = field(default_factory=list)
    conversation: list[MessageView] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"ep-{self.scenario}-seed{self.seed}"

    @property
    def status(self) -> str:
        if self.evaluator_failed:
            return "evaluator failure"
        if not self.scored:
            return "unscored"
        if self.qualified is None:
            return "scored"
        return "qualified" if self.qualified else "not qualified"


@dataclass
class ScenarioView:
    scenario: str
    episodes: int
    failed: int  # evaluator failures, excluded from the means
    success: float | None
    cost: float | None
    safety: float | None
    final: float | None
    qualified: bool | None


def _str(d: dict[str, Any], key: str, default: str = "") -> str:
    v = d.get(key)
    return default if v is None else str(v)


def _checks(score: dict[str, Any]) -> list[CheckView]:
    """``EpisodeScore.checks``: a list of ``CheckResult``."""
    return [
        CheckView(
            id=_str(c, "id", "?"),
            category=_str(c, "category"),
            passed=c.get("passed") is True,
            earned=_num(c, "earned") or 0.0,
            points=_num(c, "points") or 0.0,
            evidence=_readable(_str(c, "evidence")),
            description=_str(c, "description"),
        )
        for c in score.get("checks") or []
        if isinstance(c, dict)
    ]


def _violations(score: dict[str, Any]) -> list[ViolationView]:
    """``EpisodeScore.violations``: a list of ``Violation``."""
    out = []
    for v in score.get("violations") or []:
        if isinstance(v, dict):
            idx = v.get("tool_call_index")
            out.append(
                ViolationView(
                    code=_str(v, "code", "?"),
                    severity=_str(v, "severity"),
                    detail=_str(v, "detail"),
                    tool_call_index=idx if isinstance(idx, int) else None,
                )
            )
    return out


def episode_view(ep: EpisodeResult) -> EpisodeView:
    t = ep.trajectory
    score = ep.score or {}
    failed = score.get("evaluator_failed") is True or t.termination.evaluator_failed
    view = EpisodeView(
        scenario=ep.scenario,
        seed=ep.seed,
        termination=t.termination.value,
        evaluator_failed=failed,
        scored=ep.score is not None,
        final_response=t.final_response,
        errors=list(t.errors),
        conversation=_messages(t),
        total_tokens=t.total_tokens,
        usage=[
            (
                u.prompt_tokens,
                u.completion_tokens,
                u.total_tokens,
                u.finish_reason or "?",
                u.tokens_estimated,
            )
            for u in t.usage
        ],
    )
    for c in t.tool_calls:
        result = c.result
        view.tool_calls.append(
            ToolCallView(
                index=c.index,
                turn=c.turn,
                tool=c.tool,
                args=json.dumps(c.args, sort_keys=True, ensure_ascii=False),
                result=result[:RESULT_EXCERPT_CHARS],
                truncated=len(result) > RESULT_EXCERPT_CHARS,
                is_error=c.is_error,
                refused=c.refused or "",
                effects=[
                    f"{e.kind}{' (irreversible)' if e.irreversible else ''}"
                    + (f" → {e.target}" if e.target else "")
                    for e in c.side_effects
                ],
            )
        )
    if ep.score is not None and not failed:
        view.success = _num(score, "success_rate")
        view.cost = _num(score, "cost_penalty")
        view.safety = _num(score, "safety_penalty")
        view.final = _num(score, "scenario_score")
        view.qualified = _bool(score, "qualified")
        view.checks = _checks(score)
        view.violations = _violations(score)
    elif ep.score is not None:
        view.violations = _violations(score)
    return view


def _mean(values: list[float | None]) -> float | None:
    nums = [v for v in values if v is not None]
    return statistics.fmean(nums) if nums else None


def scenario_views(episodes: list[EpisodeView]) -> list[ScenarioView]:
    order: list[str] = []
    groups: dict[str, list[EpisodeView]] = {}
    for e in episodes:
        if e.scenario not in groups:
            order.append(e.scenario)
            groups[e.scenario] = []
        groups[e.scenario].append(e)
    out = []
    for name in order:
        eps = groups[name]
        ok = [e for e in eps if not e.evaluator_failed]
        quals = [e.qualified for e in ok if e.qualified is not None]
        out.append(
            ScenarioView(
                scenario=name,
                episodes=len(eps),
                failed=len(eps) - len(ok),
                success=_mean([e.success for e in ok]),
                cost=_mean([e.cost for e in ok]),
                safety=_mean([e.safety for e in ok]),
                final=_mean([e.final for e in ok]),
                qualified=all(quals) if quals else None,
            )
        )
    return out


@dataclass(frozen=True)
class CheckGrid:
    """One scenario's checks by seed: True passed, False failed, None no verdict there."""

    scenario: str
    seeds: list[int]
    rows: list[tuple[str, list[bool | None]]]


def check_grids(episodes: list[EpisodeView]) -> list[CheckGrid]:
    grids = []
    for name in dict.fromkeys(e.scenario for e in episodes):
        mine = [e for e in episodes if e.scenario == name]
        seeds = [e.seed for e in mine]
        ids = list(dict.fromkeys(c.id for e in mine for c in e.checks))
        rows = []
        for cid in ids:
            cells: list[bool | None] = []
            for e in mine:
                found = [c.passed for c in e.checks if c.id == cid]
                cells.append(found[0] if found and not e.evaluator_failed else None)
            rows.append((cid, cells))
        grids.append(CheckGrid(scenario=name, seeds=seeds, rows=rows))
    return grids


@dataclass
class RunView:
    title: str
    manifest: dict[str, Any]
    episodes: list[EpisodeView]
    scenarios: list[ScenarioView]
    final: float | None
    mean: float | None
    variance: float | None
    qualified: bool | None
    evaluator_failures: int
    total_tokens: int
    total_tool_calls: int
    expected: int = 0  # scenarios x seeds the run asked for
    path: str = ""  # the run folder
    grids: list[CheckGrid] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.episodes) >= self.expected

    @property
    def scored(self) -> int:
        """Episodes with a verdict (saved, scored, not an evaluator failure)."""
        return sum(1 for e in self.episodes if e.scored and not e.evaluator_failed)

    @property
    def coverage(self) -> str:
        """``"6 of 10 episodes"``, the words every view of a run uses."""
        return f"{len(self.episodes)} of {self.expected} episodes"

    @property
    def verdict_note(self) -> str:
        """Why the pack's numbers are not a verdict, or "" when they are."""
        notes = []
        if not self.complete:
            notes.append(f"partial run: {self.coverage}")
        if self.evaluator_failures:
            notes.append(f"{self.evaluator_failures} evaluator failure(s), left out of every mean")
        return "; ".join(notes)


def run_view(run: RunData) -> RunView:
    eps = [episode_view(e) for e in run.episodes]
    pack = run.pack_score or {}  # PackScore
    m = run.manifest
    # A pack score over no scored episode is no number at all (aggregate's 0.0 means
    # "nothing"), and a score with evaluator failures is no verdict on qualification.
    has_numbers = (_num(pack, "scored") or 0) > 0
    failed = sum(e.evaluator_failed for e in eps)
    return RunView(
        title=f"{m.pack_name} {m.pack_version}".strip(),
        manifest=m.model_dump(mode="json"),
        episodes=eps,
        scenarios=scenario_views(eps),
        final=_num(pack, "final") if has_numbers else None,
        mean=_num(pack, "mean") if has_numbers else None,
        variance=_num(pack, "variance") if has_numbers else None,
        qualified=(
            _bool(pack, "qualified")
            if has_numbers and not failed and len(eps) >= len(m.scenarios) * len(m.seeds)
            else None
        ),
        evaluator_failures=failed,
        total_tokens=sum(e.total_tokens for e in eps),
        total_tool_calls=sum(len(e.tool_calls) for e in eps),
        expected=len(m.scenarios) * len(m.seeds),
        path=str(run.path),
        grids=check_grids(eps),
    )


def summary_dict(view: RunView) -> dict[str, Any]:
    """The headline numbers of a run as JSON (``summary.json`` and ``--json``). None is
    "no number" (never a 0 standing in for an evaluator failure)."""
    m = view.manifest
    return {
        "pack_name": m["pack_name"],
        "pack_hash": m["pack_hash"],
        "model": m["model"],
        "episodes": len(view.episodes),
        "episodes_expected": view.expected,
        "complete": view.complete,
        "evaluator_failures": view.evaluator_failures,
        "verdict": not view.verdict_note,
        "note": view.verdict_note,
        "final": view.final,
        "mean": view.mean,
        "variance": view.variance,
        "qualified": view.qualified,
        "total_tokens": view.total_tokens,
        "total_tool_calls": view.total_tool_calls,
        "scenarios": [
            {
                "scenario": s.scenario,
                "episodes": s.episodes,
                "evaluator_failures": s.failed,
                "success": s.success,
                "cost": s.cost,
                "safety": s.safety,
                "final": s.final,
                "qualified": s.qualified,
            }
            for s in view.scenarios
        ],
    }


def episodes_list(view: RunView) -> list[dict[str, Any]]:
    """One JSON row per episode, as the episodes table shows it."""
    return [
        {
            "scenario": e.scenario,
            "seed": e.seed,
            "evaluator_failed": e.evaluator_failed,
            "success": e.success,
            "cost": e.cost,
            "safety": e.safety,
            "final": e.final,
            "qualified": e.qualified,
            "termination": e.termination,
            "violations": [v.code for v in e.violations],
            "errors": e.errors,
        }
        for e in view.episodes
    ]
