"""Winner selection: first-mover rule with a delta threshold, then winner-take-all weights."""

from trajectoryrl.winner._rules import Candidate, Decision, Step, WinnerParams, decide

__all__ = ["Candidate", "Decision", "Step", "WinnerParams", "decide"]
