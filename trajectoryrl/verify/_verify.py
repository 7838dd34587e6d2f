"""verify_submission: every step, in order, each ending in a reason code; never raises."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from clawbench.errors import PackError
from clawbench.pack import (
    DEFAULT_MAX_PACK_BYTES,
    MAX_PACK_NESTING,
    DuplicateKeyError,
    PolicyBundle,
    canonical_json,
    loads_pack_json,
    nesting_exceeds,
    pack_hash,
    validate_pack_data,
)
from trajectoryrl.verify._forge import Forge, PushTimeUnknown
from trajectoryrl.verify._git import GitCache
from trajectoryrl.verify._reasons import Reason, VerifyError
from trajectoryrl.verify._url import check_repo_url

log = logging.getLogger(__name__)

PACK_FILE = "pack.json"
# The claimant's hotkey (ss58, one line) at the top of the commit's tree: binds the published
# commit to the hotkey that commits it on chain, so nobody else can claim it first.
HOTKEY_FILE = "MINER_HOTKEY"
MAX_JSON_DEPTH = MAX_PACK_NESTING  # the pack format owns the limit
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


class UnknownPushPolicy(StrEnum):
    """What to do when the forge cannot give a push time.

    ``accept_provisionally``: accept the pack with ``push_time=None`` and a warning; it cannot
    claim first-mover precedence until a push time is known (the caller keys precedence on
    the push time). ``reject``: reject with ``push_time_unknown`` (validator-side, so never
    scored as the miner's zero); the next epoch retries."""

    ACCEPT_PROVISIONALLY = "accept_provisionally"
    REJECT = "reject"


class Submission(BaseModel):
    """A miner's claim as received. Fields are unvalidated strings on purpose: checking them
    is verification's job, with reason codes. ``submitted_at``: unix seconds at which the
    validator first received it (or an earlier on-chain commitment), mapped by the caller."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo_url: str
    git_commit_hash: str
    pack_hash: str
    submitted_at: float
    hotkey: str = ""


@dataclass(frozen=True)
class VerifyContext:
    """The collaborators and policy of verification (shared by concurrent verifications)."""

    cache: GitCache
    forge: Forge
    unknown_push_policy: UnknownPushPolicy = UnknownPushPolicy.REJECT
    max_pack_bytes: int = DEFAULT_MAX_PACK_BYTES
    forgery_gap_s: float = 6 * 3600.0  # committer date this long before the push: warning
    future_skew_s: float = 300.0  # committer date this long after the push: warning


class VerificationResult(BaseModel):
    """The outcome. Field names ``ok, reason, detail, pack_json, push_time, warnings,
    validator_side`` match the validator's ``Verified`` record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    reason: Reason
    detail: str = ""
    pack: PolicyBundle | None = None
    pack_json: str | None = None  # the published object's canonical JSON; sha256 = pack_hash
    pack_hash: str = ""
    commit: str = ""
    push_time: float | None = None
    push_source: str = ""
    committer_time: float | None = None
    warnings: list[str] = Field(default_factory=list)
    validator_side: bool = False  # our failure (forge down, internal): never the miner's zero


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_pack_bytes(
    raw: bytes, claimed_hash: str, *, max_pack_bytes: int
) -> tuple[PolicyBundle, str]:
    """Untrusted pack.json bytes -> (pack, canonical JSON of the object as published), in the
    order: UTF-8, JSON, depth, hash (of the published object), schema and size."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise VerifyError(Reason.PACK_ENCODING, f"not UTF-8 at byte {err.start}") from None
    try:
        data = loads_pack_json(text, parse_constant=_no_constants)
    except RecursionError:
        raise VerifyError(Reason.PACK_TOO_DEEP, "JSON nested too deeply") from None
    except DuplicateKeyError as err:
        raise VerifyError(Reason.PACK_DUPLICATE_KEY, str(err)[:100]) from None
    except ValueError as err:
        raise VerifyError(Reason.PACK_JSON, f"not JSON: {str(err)[:100]}") from None
    if nesting_exceeds(data, MAX_JSON_DEPTH):
        raise VerifyError(Reason.PACK_TOO_DEEP, f"nested deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(data, dict):
        raise VerifyError(Reason.PACK_SCHEMA, "a pack is a JSON object")
    canonical = canonical_json(data)
    actual = pack_hash(data)
    if actual != claimed_hash:
        raise VerifyError(
            Reason.PACK_HASH_MISMATCH,
            f"pack.json hashes to {actual}, the miner claimed {claimed_hash}",
        )
    try:
        pack = validate_pack_data(data, source=PACK_FILE, max_bytes=max_pack_bytes)
    except PackError as err:
        reason = Reason.PACK_TOO_LARGE if err.code == "pack_too_large" else Reason.PACK_SCHEMA
        raise VerifyError(reason, str(err)) from None
    return pack, canonical


async def _check_binding(ctx: VerifyContext, path: Any, commit: str, hotkey: str) -> None:
    """The commit names the claiming hotkey in ``MINER_HOTKEY``: a claim of someone else's
    public commit (front-running the owner's commitment) does not verify."""
    try:
        raw = await ctx.cache.read_file(path, commit, HOTKEY_FILE)
    except VerifyError as err:
        if err.reason == Reason.INTERNAL_ERROR:
            raise
        raise VerifyError(
            Reason.HOTKEY_NOT_BOUND, f"no usable {HOTKEY_FILE} at the commit ({err.reason})"
        ) from None
    named = raw.decode("utf-8", "replace").strip()
    if named != hotkey:
        raise VerifyError(
            Reason.HOTKEY_NOT_BOUND, f"{HOTKEY_FILE} names {named[:64]!r}, not the claimant"
        )


async def _verify(sub: Submission, ctx: VerifyContext) -> VerificationResult:
    commit, claimed = sub.git_commit_hash, sub.pack_hash
    if not isinstance(commit, str) or not _COMMIT.match(commit):
        raise VerifyError(Reason.COMMIT_MALFORMED, "git_commit_hash is not 40 lowercase hex")
    if not isinstance(claimed, str) or not _HASH.match(claimed):
        raise VerifyError(Reason.PACK_HASH_MALFORMED, "pack_hash is not 64 lowercase hex")
    ref = check_repo_url(sub.repo_url, local_network=ctx.cache.local_network)
    path = await ctx.cache.sync(ref)
    try:
        await ctx.cache.check_commit(path, commit)
    except VerifyError as err:
        if err.reason not in (Reason.COMMIT_NOT_FOUND, Reason.COMMIT_UNREACHABLE):
            raise
        # A mirror reused from a recent fetch may predate the push: a verdict against the
        # miner needs a fresh fetch (else validators with different cache ages disagree).
        path = await ctx.cache.sync(ref, force=True)
        await ctx.cache.check_commit(path, commit)
    raw = await ctx.cache.read_file(path, commit, PACK_FILE)
    pack, canonical = parse_pack_bytes(raw, claimed, max_pack_bytes=ctx.max_pack_bytes)
    if sub.hotkey:
        await _check_binding(ctx, path, commit, sub.hotkey)
    committed = await ctx.cache.committer_time(path, commit)

    warnings: list[str] = []
    push = await ctx.forge.push_time(sub.repo_url, commit)
    if isinstance(push, PushTimeUnknown):
        if ctx.unknown_push_policy == UnknownPushPolicy.REJECT:
            return VerificationResult(
                ok=False,
                reason=Reason.PUSH_TIME_UNKNOWN,
                detail=push.reason,
                pack_hash=claimed,
                commit=commit,
                committer_time=committed,
                validator_side=True,
            )
        warnings.append(f"push_time_unknown: {push.reason}")
        push_time, source = None, ""
    else:
        push_time, source = push.when, push.source
        if push_time > sub.submitted_at:
            raise VerifyError(
                Reason.PUSH_AFTER_SUBMISSION,
                f"pushed at {push_time:.0f}, submitted at {sub.submitted_at:.0f}",
            )
        if committed is not None and (
            push_time - committed > ctx.forgery_gap_s or committed - push_time > ctx.future_skew_s
        ):
            warnings.append(
                f"committer_date_forgery: committer date {committed:.0f} vs push {push_time:.0f}"
            )
    return VerificationResult(
        ok=True,
        reason=Reason.OK,
        pack=pack,
        pack_json=canonical,
        pack_hash=claimed,
        commit=commit,
        push_time=push_time,
        push_source=source,
        committer_time=committed,
        warnings=warnings,
    )


async def verify_submission(sub: Submission, ctx: VerifyContext) -> VerificationResult:
    """Run every step; a refusal is a result with its reason code, never an exception."""
    try:
        result = await _verify(sub, ctx)
    except VerifyError as err:
        result = VerificationResult(
            ok=False,
            reason=err.reason,
            detail=err.detail,
            pack_hash=str(sub.pack_hash)[:64],
            commit=str(sub.git_commit_hash)[:40],
            validator_side=err.reason == Reason.INTERNAL_ERROR,
        )
    except Exception as err:  # a validator-side bug must not take the process down
        log.exception("verification_crashed")
        result = VerificationResult(
            ok=False, reason=Reason.INTERNAL_ERROR, detail=type(err).__name__, validator_side=True
        )
    log.info("verified hotkey=%s ok=%s reason=%s", sub.hotkey, result.ok, result.reason)
    return result


class _Claim(Protocol):
    hotkey: str
    repo_url: str
    git_commit_hash: str
    pack_hash: str


class SubmissionVerifier:
    """``verify(sub, submitted_at)`` for the validator's loop: any object with ``hotkey``,
    ``repo_url``, ``git_commit_hash`` and ``pack_hash`` (e.g. its ``Received`` record)."""

    def __init__(self, ctx: VerifyContext) -> None:
        self.ctx = ctx

    async def verify(self, sub: _Claim, submitted_at: float) -> VerificationResult:
        return await verify_submission(
            Submission(
                repo_url=str(sub.repo_url),
                git_commit_hash=str(sub.git_commit_hash),
                pack_hash=str(sub.pack_hash),
                submitted_at=submitted_at,
                hotkey=str(sub.hotkey),
            ),
            self.ctx,
        )
