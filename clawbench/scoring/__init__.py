"""Scoring: checks, violations, cost, the scenario formula and the pack aggregate.

``score_episode(instance, trajectory, params)`` judges one episode from what the agent did
(tool calls, side effects, the tool results it received) and said (its final reply);
``aggregate(scores, params)`` turns scenarios × seeds into one pack score. Every formula is
written out in docs/scoring.md.
"""

from clawbench.scoring._acts import Act, call_key, find_acts
from clawbench.scoring._checks import count_score_fraction, evaluate_check
from clawbench.scoring._models import (
    SCORE_SCHEMA_VERSION,
    CategoryScore,
    CheckResult,
    CostBreakdown,
    EpisodeRef,
    EpisodeScore,
    PackScore,
    ScenarioSummary,
    ScoringError,
    ScoringParams,
    Violation,
)
from clawbench.scoring._score import aggregate, cost_breakdown, overrun_penalty, score_episode
from clawbench.scoring._violations import find_violations

__all__ = [
    "Act",
    "SCORE_SCHEMA_VERSION",
    "CategoryScore",
    "CheckResult",
    "CostBreakdown",
    "EpisodeRef",
    "EpisodeScore",
    "PackScore",
    "ScenarioSummary",
    "ScoringError",
    "ScoringParams",
    "Violation",
    "aggregate",
    "call_key",
    "cost_breakdown",
    "count_score_fraction",
    "evaluate_check",
    "find_acts",
    "find_violations",
    "overrun_penalty",
    "score_episode",
]
