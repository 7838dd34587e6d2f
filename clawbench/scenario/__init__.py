"""Scenarios: the public ClawBench YAML format (read unmodified) and our strict superset."""

from clawbench.scenario._instance import Scenario, ScenarioInstance
from clawbench.scenario._model import (
    PUBLIC_CHECK_TYPES,
    Baseline,
    Check,
    ConfidentialItem,
    ForbiddenSource,
    Gate,
    Limits,
    Safety,
    ScenarioSpec,
    Scoring,
    UnknownCheck,
    Variation,
)

__all__ = [
    "PUBLIC_CHECK_TYPES",
    "Baseline",
    "Check",
    "ConfidentialItem",
    "ForbiddenSource",
    "Gate",
    "Limits",
    "Safety",
    "Scenario",
    "ScenarioInstance",
    "ScenarioSpec",
    "Scoring",
    "UnknownCheck",
    "Variation",
]
