"""One command runs a whole subnet on one machine (``trajectoryrl localnet``)."""

from trajectoryrl.localnet._run import (
    DEFAULT_MINERS,
    HOSTILE_MINERS,
    THREE_EPOCH_MINERS,
    EpochReport,
    EpochRow,
    LocalnetResult,
    MinerPlan,
    next_dir,
    print_epoch,
    run_localnet,
)

__all__ = [
    "DEFAULT_MINERS",
    "HOSTILE_MINERS",
    "THREE_EPOCH_MINERS",
    "EpochReport",
    "EpochRow",
    "LocalnetResult",
    "MinerPlan",
    "next_dir",
    "print_epoch",
    "run_localnet",
]
