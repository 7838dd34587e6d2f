"""The one record of an episode: what run produced, what scoring and reports read.

``Trajectory`` is versioned (``schema_version``) and round-trips losslessly through JSON.
"""

from clawbench.trajectory._model import (
    TRAJECTORY_SCHEMA_VERSION,
    ChatMessage,
    EpisodeSpec,
    HiddenCheckRun,
    ModelInfo,
    TerminationReason,
    ToolCallRecord,
    ToolCallRequest,
    Trajectory,
    Usage,
    dump_trajectory,
    load_trajectory,
)

__all__ = [
    "TRAJECTORY_SCHEMA_VERSION",
    "ChatMessage",
    "EpisodeSpec",
    "HiddenCheckRun",
    "ModelInfo",
    "TerminationReason",
    "ToolCallRecord",
    "ToolCallRequest",
    "Trajectory",
    "Usage",
    "dump_trajectory",
    "load_trajectory",
]
