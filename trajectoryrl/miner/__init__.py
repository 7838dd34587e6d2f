"""The miner: publish a pack to git, serve SubmitPack for it.

``pushed_claim`` + ``commit_claim`` put the claim on chain (the submission; push first);
``publish_pack`` writes the canonical pack.json and the pack's files into a git repository,
commits and pushes; ``published_claim`` reads back (commit, pack_hash) of what is published;
``MinerServer`` answers registered validators with a permit (and enough stake), rate-limited
per caller, signing each answer.
"""

from trajectoryrl.miner._access import CachedMetagraph, MetagraphProvider, TokenBucket
from trajectoryrl.miner._commit import CommitResult, commit_claim, pushed_claim
from trajectoryrl.miner._guard import ConnectionLimits, raise_fd_limit
from trajectoryrl.miner._publish import (
    HOTKEY_FILE,
    PACK_JSON,
    PublishError,
    PublishResult,
    publish_pack,
    published_claim,
)
from trajectoryrl.miner._server import AccessPolicy, CurrentPack, MinerServer

__all__ = [
    "ConnectionLimits",
    "raise_fd_limit",
    "HOTKEY_FILE",
    "CommitResult",
    "commit_claim",
    "pushed_claim",
    "PACK_JSON",
    "AccessPolicy",
    "CachedMetagraph",
    "CurrentPack",
    "MetagraphProvider",
    "MinerServer",
    "PublishError",
    "PublishResult",
    "TokenBucket",
    "publish_pack",
    "published_claim",
]
