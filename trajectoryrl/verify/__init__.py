"""Verifying a miner's submission from facts the miner cannot forge.

Steps, each ending in a ``Reason`` code: claim shape; repository URL policy
(``check_repo_url``); bounded fetch into a per-repository bare mirror (``GitCache``); the
commit exists and is reachable from the default branch's HEAD; pack.json read from the
commit's tree without checkout (no symlinks, blob size checked first, UTF-8, bounded depth),
its canonical hash equal to the claimed pack_hash, schema and size valid; the server-side push
time from a ``Forge`` (``GitHubForge`` via PyGithub, ``LocalForge`` for local networks) before
the submission time, with an ``UnknownPushPolicy`` for when the forge cannot say.
``verify_submission`` runs them all and never raises.
"""

from trajectoryrl.verify._forge import (
    PUSH_LOG,
    Forge,
    GitHubForge,
    LocalForge,
    PersistedForge,
    PushTime,
    PushTimeStore,
    PushTimeUnknown,
    create_local_forge_repo,
)
from trajectoryrl.verify._git import HEAD_REF, GitCache, GitLimits
from trajectoryrl.verify._reasons import Reason, VerifyError
from trajectoryrl.verify._url import RepoRef, check_repo_url
from trajectoryrl.verify._verify import (
    HOTKEY_FILE,
    MAX_JSON_DEPTH,
    PACK_FILE,
    Submission,
    SubmissionVerifier,
    UnknownPushPolicy,
    VerificationResult,
    VerifyContext,
    parse_pack_bytes,
    verify_submission,
)

__all__ = [
    "HEAD_REF",
    "HOTKEY_FILE",
    "MAX_JSON_DEPTH",
    "PACK_FILE",
    "PUSH_LOG",
    "Forge",
    "GitCache",
    "GitHubForge",
    "GitLimits",
    "LocalForge",
    "PersistedForge",
    "PushTime",
    "PushTimeStore",
    "PushTimeUnknown",
    "Reason",
    "RepoRef",
    "Submission",
    "SubmissionVerifier",
    "UnknownPushPolicy",
    "VerificationResult",
    "VerifyContext",
    "VerifyError",
    "check_repo_url",
    "create_local_forge_repo",
    "parse_pack_bytes",
    "verify_submission",
]
