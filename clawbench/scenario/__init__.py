"""Scenarios: the public ClawBench YAML format (read unmodified) and our strict superset,
including generated scenarios whose seed picks the story's facts (``GroundTruth``)."""

from clawbench.scenario._draw import Draw
from clawbench.scenario._instance import Scenario, ScenarioInstance
from clawbench.scenario._loader import find_scenario, load_scenario, load_suite
from clawbench.scenario._model import (
    PUBLIC_CHECK_TYPES,
    Baseline,
    BoundFact,
    Check,
    ConfidentialItem,
    FactAnswer,
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
from clawbench.scenario._story import Story, StoryData, StoryGenerator
from clawbench.scenario._truth import Fact, GroundTruth, Proof, Rival
from clawbench.scenario._variant import variant_pack
from clawbench.scenario._variation import instantiate

__all__ = [
    "PUBLIC_CHECK_TYPES",
    "Baseline",
    "BoundFact",
    "Check",
    "ConfidentialItem",
    "Draw",
    "Fact",
    "FactAnswer",
    "ForbiddenSource",
    "Gate",
    "GroundTruth",
    "Limits",
    "Outward",
    "Proof",
    "ProtectedObject",
    "Rival",
    "Safety",
    "Scenario",
    "ScenarioInstance",
    "ScenarioSpec",
    "Scoring",
    "Story",
    "StoryData",
    "StoryGenerator",
    "UnknownCheck",
    "Variation",
    "find_scenario",
    "instantiate",
    "load_scenario",
    "load_suite",
    "variant_pack",
]
