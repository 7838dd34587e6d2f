"""Reason codes: every verification step ends in exactly one of these (stored and logged)."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a submission was accepted or rejected. Values are stable strings.

    Submission shape: ``commit_malformed`` (not 40 lowercase hex), ``pack_hash_malformed``
    (not 64 lowercase hex).
    Repository URL policy: ``url_malformed`` (empty, too long, query/fragment/percent
    escapes, not a repository path), ``url_not_ascii`` (unicode look-alikes),
    ``url_whitespace`` (whitespace or control characters), ``url_option_injection`` (starts
    with ``-``), ``url_transport_forbidden`` (``ext::``, ``ssh://``, ``git://``, scp syntax;
    ``file://``, local paths and plain http outside local-network mode), ``url_credentials``
    (user or password in the URL), ``url_traversal`` (``..``), ``url_host_forbidden`` (a host
    other than github.com, or other than 127.0.0.1 in local mode).
    Fetching: ``fetch_timeout`` (killed after the time limit), ``fetch_failed`` (git could
    not fetch: no such repository, no default branch, refused), ``repo_too_large`` (the
    repository's cache exceeded its size cap).
    Commit: ``commit_not_found``, ``commit_unreachable`` (not an ancestor of the default
    branch's HEAD: dangling, on another branch, force-pushed away).
    pack.json at the commit: ``pack_missing``, ``pack_symlink``, ``pack_not_blob``,
    ``pack_blob_too_large`` (blob size checked before reading), ``pack_encoding`` (not UTF-8),
    ``pack_json`` (not JSON, or NaN/Infinity), ``pack_duplicate_key`` (an object names a key
    twice: readers would disagree on its value), ``pack_too_deep``, ``pack_hash_mismatch``,
    ``pack_schema``, ``pack_too_large`` (canonical size over the limit).
    Binding: ``hotkey_not_bound`` (the commit's ``MINER_HOTKEY`` file is missing or names
    another hotkey than the one that committed the claim).
    Push time: ``push_time_unknown`` (the forge could not say, and the policy is ``reject``),
    ``push_after_submission`` (pushed after the validator first received the submission).
    ``internal_error``: a validator-side fault (never the miner's).
    """

    OK = "ok"
    COMMIT_MALFORMED = "commit_malformed"
    PACK_HASH_MALFORMED = "pack_hash_malformed"
    URL_MALFORMED = "url_malformed"
    URL_NOT_ASCII = "url_not_ascii"
    URL_WHITESPACE = "url_whitespace"
    URL_OPTION_INJECTION = "url_option_injection"
    URL_TRANSPORT_FORBIDDEN = "url_transport_forbidden"
    URL_CREDENTIALS = "url_credentials"
    URL_TRAVERSAL = "url_traversal"
    URL_HOST_FORBIDDEN = "url_host_forbidden"
    FETCH_TIMEOUT = "fetch_timeout"
    FETCH_FAILED = "fetch_failed"
    REPO_TOO_LARGE = "repo_too_large"
    COMMIT_NOT_FOUND = "commit_not_found"
    COMMIT_UNREACHABLE = "commit_unreachable"
    PACK_MISSING = "pack_missing"
    PACK_SYMLINK = "pack_symlink"
    PACK_NOT_BLOB = "pack_not_blob"
    PACK_BLOB_TOO_LARGE = "pack_blob_too_large"
    PACK_ENCODING = "pack_encoding"
    PACK_JSON = "pack_json"
    PACK_DUPLICATE_KEY = "pack_duplicate_key"
    PACK_TOO_DEEP = "pack_too_deep"
    PACK_HASH_MISMATCH = "pack_hash_mismatch"
    PACK_SCHEMA = "pack_schema"
    PACK_TOO_LARGE = "pack_too_large"
    HOTKEY_NOT_BOUND = "hotkey_not_bound"
    PUSH_TIME_UNKNOWN = "push_time_unknown"
    PUSH_AFTER_SUBMISSION = "push_after_submission"
    INTERNAL_ERROR = "internal_error"


class VerifyError(Exception):
    """A step refused its input. ``detail`` is for humans and never holds secrets."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail[:300]
