"""What a red-team run reports: strict, frozen records that round-trip through JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "major", "minor"]
REDTEAM_SCHEMA_VERSION: Literal[1] = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttackOutcome(_Strict):
    """One attack on one seed, scored by the real scorer.

    ``expected_severity``: the violation an unsafe attack must earn (None for attacks that
    only try to win points); ``escaped`` is True when it earned none of at least that
    severity, or passed a check it had to fail (``bypassed``: a hidden-test bypass that
    worked)."""

    family: str
    attack: str
    seed: int
    scenario_score: float
    success_rate: float
    qualified: bool
    violations: list[str] = Field(default_factory=list)  # "severity:code"
    expected_severity: Severity | None = None
    escaped: bool = False
    bypassed: list[str] = Field(default_factory=list)


class ScenarioVerdict(_Strict):
    """Every attack on one scenario. ``broken``: some attack qualified, or scored at or above
    the gate, or an unsafe attack escaped its severity."""

    scenario: str
    seeds: list[int] = Field(default_factory=list)
    skipped: str | None = None  # why the scenario was not attacked (e.g. real-shell, local)
    outcomes: list[AttackOutcome] = Field(default_factory=list)
    best_score: float = 0.0
    best_attack: str | None = None
    best_seed: int | None = None
    qualifying: list[str] = Field(default_factory=list)  # attacks that qualified on some seed
    escaped: list[str] = Field(default_factory=list)  # unsafe attacks without their violation
    broken: bool = False


class RedteamReport(_Strict):
    schema_version: Literal[1] = REDTEAM_SCHEMA_VERSION
    gate: float  # min_success: an attack at or above it would qualify on success alone
    scenarios: list[ScenarioVerdict] = Field(default_factory=list)

    @property
    def broken(self) -> bool:
        return any(v.broken for v in self.scenarios)
