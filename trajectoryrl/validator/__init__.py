"""The validator: epoch loop, evaluation, first-mover decision and weights."""

from trajectoryrl.validator._collect import ChainClaims, GitVerifier, MinerQuerier
from trajectoryrl.validator._daemon import (
    EpochParams,
    Validator,
    episode_seeds,
    epoch_of,
    epoch_seed,
    epoch_start_block,
)
from trajectoryrl.validator._epochs import EpochSummary, epoch_summaries
from trajectoryrl.validator._evaluator import HarnessEvaluator, ModelFactory, cache_key
from trajectoryrl.validator._metrics import Metrics
from trajectoryrl.validator._reconcile import Difference, Reconciliation, reconcile_epoch
from trajectoryrl.validator._scripted import ScriptedModels
from trajectoryrl.validator._types import (
    EpisodeOutcome,
    Evaluator,
    PackEvaluation,
    Received,
    SubmissionSource,
    Verified,
    Verifier,
)

__all__ = [
    "ChainClaims",
    "GitVerifier",
    "MinerQuerier",
    "EpisodeOutcome",
    "Difference",
    "EpochParams",
    "EpochSummary",
    "epoch_summaries",
    "HarnessEvaluator",
    "ModelFactory",
    "ScriptedModels",
    "cache_key",
    "Evaluator",
    "Metrics",
    "PackEvaluation",
    "Received",
    "Reconciliation",
    "SubmissionSource",
    "Validator",
    "Verified",
    "Verifier",
    "epoch_of",
    "epoch_seed",
    "epoch_start_block",
    "reconcile_epoch",
    "episode_seeds",
]
