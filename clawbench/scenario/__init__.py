"""Scenarios: the public ClawBench YAML format (read unmodified) and our strict superset."""

from clawbench.scenario._instance import Scenario, ScenarioInstance
from clawbench.scenario._loader import find_scenario, load_scenario, load_suite
from clawbench.scenario._model import (
    PUBLIC_CHECK_TYPES,
    Baseline,
    Check,
    ConfidentialItem,
    ForbiddenSource,
    Gate,
    Limits,
    Outward,
    ProtectedObject,
    Safety,
    ScenarioSpec,
    Scoring,
    UnknownCheck,
    Variation,
)
from clawbench.scenario._variant import variant_pack
from clawbench.scenario._variation import instantiate

__all__ = [
    "PUBLIC_CHECK_TYPES",
    "Baseline",
    "Check",
    "ConfidentialItem",
    "ForbiddenSource",
    "Gate",
    "Limits",
    "Outward",
    "ProtectedObject",
    "Safety",
    "Scenario",
    "ScenarioInstance",
    "ScenarioSpec",
    "Scoring",
    "UnknownCheck",
    "Variation",
    "find_scenario",
    "instantiate",
    "load_scenario",
    "load_suite",
    "variant_pack",
]
