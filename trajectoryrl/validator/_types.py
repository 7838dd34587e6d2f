"""The validator's collaborator contracts: each is passed in by ``neurons/validator.py``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from trajectoryrl.chain import Metagraph


class Received(BaseModel):
    """A miner's claim as committed on chain (unverified): the commitment's block and the
    chain's timestamp of that block are the submission time, the same for every validator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hotkey: str
    uid: int
    repo_url: str
    git_commit_hash: str
    pack_hash: str
    commit_block: int
    committed_at: float  # unix seconds, the chain's timestamp of commit_block


class Verified(BaseModel):
    """The outcome of verifying one submission. ``reason`` is a stable code ("ok" when ok)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    reason: str
    detail: str = ""
    pack_json: str | None = None  # canonical pack JSON when ok
    push_time: float | None = None  # server-side push time (unix seconds) when known
    warnings: list[str] = Field(default_factory=list)
    validator_side: bool = False  # the failure was ours (forge down, ...): never the miner's zero


class EpisodeOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    seed: int
    score: dict[str, Any]  # EpisodeScore as JSON data
    cached: bool = False
    cache_key: str = ""  # where the trajectory is stored (reconcile re-scores it)


class PackEvaluation(BaseModel):
    """All episodes of one pack in one epoch and the aggregate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pack_hash: str
    final: float
    qualified: bool
    evaluator_failed: bool
    budget_exhausted: bool = False
    failure: str = ""  # when evaluator_failed: the first cause ("<code>: <message>")
    parts: dict[str, Any] = Field(default_factory=dict)  # PackScore as JSON data
    episodes: list[EpisodeOutcome] = Field(default_factory=list)
    # set when the pack was stopped early (trajectoryrl.elimination.Elimination as JSON data):
    # ``final``/``parts`` then cover only the episodes run (final <= the bar, or unqualified)
    elimination: dict[str, Any] | None = None


class EvaluationPlan(BaseModel):
    """How the daemon asks for one pack: episodes in the fixed order derived from
    ``epoch_seed``; with ``eliminate``, stopped as soon as the pack can neither qualify nor
    exceed ``bar`` (an exact rational, None: nothing to beat). ``priority``: lower gets
    concurrency slots first."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    epoch_seed: int
    eliminate: bool = True
    bar: Fraction | None = None
    priority: int = 0


class SubmissionSource(Protocol):
    """The claims on chain now (``ChainClaims``: commitments, checked against SubmitPack)."""

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]: ...


class Verifier(Protocol):
    async def verify(self, sub: Received, submitted_at: float) -> Verified: ...


class Evaluator(Protocol):
    async def evaluate(
        self,
        *,
        pack_json: str,
        pack_hash: str,
        hotkey: str,
        epoch: int,
        seeds: list[int],
        plan: EvaluationPlan | None = None,
    ) -> PackEvaluation: ...
