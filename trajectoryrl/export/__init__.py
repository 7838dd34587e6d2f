"""Reward labels and SFT / preference exports of evaluated trajectories."""

from trajectoryrl.export._export import (
    Episode,
    RewardRecord,
    export_all,
    label_episode,
    load_episodes,
    preference_rows,
    sft_rows,
)

__all__ = [
    "Episode",
    "RewardRecord",
    "export_all",
    "label_episode",
    "load_episodes",
    "preference_rows",
    "sft_rows",
]
