"""Winner selection: ownership of claims, the first-mover rule with an exact delta threshold,
then winner-take-all weights. ``must_exceed`` is the score a new claim must beat (micro-units)."""

from trajectoryrl.winner._rules import (
    MICRO,
    Candidate,
    Claim,
    Decision,
    Step,
    WinnerParams,
    beats,
    copied_from,
    decide,
    must_exceed,
    owners,
    to_micro,
)

__all__ = [
    "MICRO",
    "Candidate",
    "Claim",
    "Decision",
    "Step",
    "WinnerParams",
    "beats",
    "copied_from",
    "decide",
    "must_exceed",
    "owners",
    "to_micro",
]
