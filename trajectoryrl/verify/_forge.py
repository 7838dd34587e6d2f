"""Server-side push times: facts a miner cannot forge (committer dates are forgeable).

``GitHubForge`` reads the repository's public events through PyGithub (blocking, so it runs in
a thread): the earliest ``PushEvent`` whose head is the commit or whose commits list holds it.
GitHub's events API covers only the last 90 days and at most 300 events, and has rate limits:
when it cannot answer, the result is ``PushTimeUnknown`` with a reason, never a guess.

``LocalForge`` is for local networks: bare repositories whose post-receive hook appends one
record per pushed commit (server clock at receive, ref, old, new, commit) to a log file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import stat
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from trajectoryrl.verify._reasons import VerifyError
from trajectoryrl.verify._url import check_repo_url

PUSH_LOG = "trl-push-log.tsv"


class PushTime(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    when: float  # unix seconds, from the server's clock
    source: str  # "github_events" | "local_hook"
    detail: str = ""


class PushTimeUnknown(BaseModel):
    """The forge could not say. ``reason``: rate_limited, forge_unavailable, repo_not_found,
    push_not_found (e.g. outside GitHub's 90-day / 300-event window), no_push_log,
    unsupported_url, forge_error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str
    detail: str = ""


class Forge(Protocol):
    async def push_time(self, repo_url: str, commit: str) -> PushTime | PushTimeUnknown: ...


# -- GitHub ---------------------------------------------------------------------------------
class _RateLimited(Exception):
    def __init__(self, reset_at: float | None) -> None:
        super().__init__("rate limited")
        self.reset_at = reset_at


def _push_of(event: Any, commit: str) -> float | None:
    """The push time of ``commit`` in one event, or None. Events are untrusted data: a field
    of the wrong shape makes the event not a push of the commit, never an exception."""
    from github import BadAttributeException

    try:
        if event.type != "PushEvent":
            return None
        payload = event.payload
    except (BadAttributeException, AttributeError, ValueError, TypeError):
        return None  # PyGithub refuses a field of the wrong type when it is read
    if not isinstance(payload, dict):
        return None
    commits = payload.get("commits")
    shas = {
        str(c.get("sha", ""))
        for c in (commits if isinstance(commits, list) else [])
        if isinstance(c, dict)
    }
    if payload.get("head") != commit and commit not in shas:
        return None
    try:
        return _ts(event.created_at)
    except (BadAttributeException, ValueError, TypeError, AttributeError, OverflowError):
        return None


def _ts(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


class GitHubForge:
    """Push times from GitHub's REST events API (or a GitHub-compatible ``base_url``).

    A 403/429 rate limit whose reset is at most ``max_rate_wait_s`` away is waited out and
    retried once; otherwise the answer is ``rate_limited``. 5xx and connection failures are
    ``forge_unavailable``. ``token`` is optional (unauthenticated: 60 requests/hour)."""

    def __init__(
        self,
        *,
        base_url: str = "https://api.github.com",
        token: str | None = None,
        timeout_s: int = 15,
        max_pages: int = 3,
        per_page: int = 100,
        max_rate_wait_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_workers: int = 4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Forge lookups are slow blocking HTTP: their own small pool, so they never starve
        # the default executor that git helpers, the store and the sandbox share.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="forge"
        )
        self._token = token
        self.timeout_s = timeout_s
        self.max_pages = max_pages
        self.per_page = per_page
        self.max_rate_wait_s = max_rate_wait_s
        self._clock = clock
        self._sleep = sleep
        self.requests = 0

    def __repr__(self) -> str:  # never show the token
        return f"GitHubForge(base_url={self.base_url!r}, token={'set' if self._token else None})"

    def _lookup(self, full_name: str, commit: str) -> float | None:
        import github
        from github import Auth, Github, GithubException

        gh = Github(
            auth=Auth.Token(self._token) if self._token else None,
            base_url=self.base_url,
            timeout=self.timeout_s,
            retry=None,
            per_page=self.per_page,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        earliest: float | None = None
        try:
            events = gh.get_repo(full_name, lazy=True).get_events()
            # islice stops after the last allowed event without asking for the next page
            # (GitHub answers a page past its 300-event window with 422).
            for event in itertools.islice(events, self.max_pages * self.per_page):
                when = _push_of(event, commit)
                if when is not None:
                    earliest = when if earliest is None else min(earliest, when)
            return earliest
        except GithubException as err:
            if earliest is not None:
                return earliest  # a later page failing never discards a push time found

            headers = {k.lower(): v for k, v in (err.headers or {}).items()}
            if err.status in (403, 429) and (
                headers.get("x-ratelimit-remaining") == "0"
                or "retry-after" in headers
                or isinstance(err, github.RateLimitExceededException)
            ):
                reset: float | None = None
                if "retry-after" in headers and str(headers["retry-after"]).isdigit():
                    reset = self._clock() + int(headers["retry-after"])
                elif str(headers.get("x-ratelimit-reset", "")).isdigit():
                    reset = float(headers["x-ratelimit-reset"])
                raise _RateLimited(reset) from None
            raise
        finally:
            gh.close()

    async def push_time(self, repo_url: str, commit: str) -> PushTime | PushTimeUnknown:
        from github import GithubException
        from requests import RequestException

        try:
            ref = check_repo_url(repo_url)
        except VerifyError as err:
            return PushTimeUnknown(reason="unsupported_url", detail=str(err.reason))
        full = f"{ref.owner}/{ref.name}"
        for attempt in (1, 2):
            try:
                self.requests += 1
                loop = asyncio.get_running_loop()
                when = await loop.run_in_executor(self._executor, self._lookup, full, commit)
            except _RateLimited as rl:
                wait = None if rl.reset_at is None else max(0.0, rl.reset_at - self._clock())
                if attempt == 1 and wait is not None and wait <= self.max_rate_wait_s:
                    await self._sleep(wait + 0.5)
                    continue
                detail = "" if wait is None else f"resets in {wait:.0f}s"
                return PushTimeUnknown(reason="rate_limited", detail=detail)
            except GithubException as err:
                if err.status == 404:
                    return PushTimeUnknown(reason="repo_not_found")
                if err.status >= 500:
                    return PushTimeUnknown(reason="forge_unavailable", detail=f"HTTP {err.status}")
                return PushTimeUnknown(reason="forge_error", detail=f"HTTP {err.status}")
            except (RequestException, OSError) as err:
                return PushTimeUnknown(reason="forge_unavailable", detail=type(err).__name__)
            except (ValueError, TypeError, KeyError, AttributeError) as err:
                # A malformed answer is the forge's error, never our internal_error.
                return PushTimeUnknown(reason="forge_error", detail=type(err).__name__)
            if when is None:
                return PushTimeUnknown(
                    reason="push_not_found", detail="no push event holds the commit (90-day window)"
                )
            return PushTime(when=when, source="github_events")
        return PushTimeUnknown(reason="rate_limited")


# -- local forge ----------------------------------------------------------------------------
_HOOK = """#!/bin/sh
# trajectoryrl local forge: record server-side push times (server clock at receive).
log="$(git rev-parse --absolute-git-dir)/@LOG@"
now=$(date +%s)
zero=0000000000000000000000000000000000000000
while read old new ref; do
  [ "$new" = "$zero" ] && continue
  if [ "$old" = "$zero" ]; then range="$new"; else range="$old..$new"; fi
  git rev-list --max-count=10000 $range | while read c; do
    printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$now" "$ref" "$old" "$new" "$c" >> "$log"
  done
done
""".replace("@LOG@", PUSH_LOG)


def create_local_forge_repo(path: str | Path, *, initial_branch: str = "main") -> Path:
    """Create a bare repository that records push times (for localnets and tests)."""
    repo = Path(path)
    subprocess.run(
        ["git", "init", "--bare", "--quiet", f"--initial-branch={initial_branch}", "--", str(repo)],
        check=True,
        capture_output=True,
    )
    hook = repo / "hooks" / "post-receive"
    hook.write_text(_HOOK, encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return repo


def _read_log(path: Path, commit: str) -> float | None | str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "no_push_log"
    earliest: float | None = None
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 5 and parts[4] == commit and parts[0].isdigit():
            t = float(parts[0])
            earliest = t if earliest is None else min(earliest, t)
    return earliest


class LocalForge:
    """Push times from local bare repositories made by ``create_local_forge_repo``."""

    async def push_time(self, repo_url: str, commit: str) -> PushTime | PushTimeUnknown:
        try:
            ref = check_repo_url(repo_url, local_network=True)
        except VerifyError as err:
            return PushTimeUnknown(reason="unsupported_url", detail=str(err.reason))
        if ref.kind != "file":
            return PushTimeUnknown(reason="unsupported_url", detail="not a local repository")
        result = await asyncio.to_thread(_read_log, Path(ref.fetch_url) / PUSH_LOG, commit)
        if isinstance(result, str):
            return PushTimeUnknown(reason=result)
        if result is None:
            return PushTimeUnknown(reason="push_not_found")
        return PushTime(when=result, source="local_hook")


# -- persisted push times -------------------------------------------------------------------
class PushTimeStore(Protocol):
    """Where push times are kept (the validator's ``Store``)."""

    def push_time(self, repo_url: str, commit_hash: str) -> tuple[float, str] | None: ...

    def record_push_time(
        self, repo_url: str, commit_hash: str, when: float, source: str
    ) -> tuple[float, str]: ...


class PersistedForge:
    """A forge whose answers are recorded once per (repository, commit) and reused: a push time
    learnt while GitHub's events window still held it survives restarts and the window."""

    def __init__(self, forge: Forge, store: PushTimeStore) -> None:
        self.forge = forge
        self.store = store

    async def push_time(self, repo_url: str, commit: str) -> PushTime | PushTimeUnknown:
        try:
            key = check_repo_url(repo_url, local_network=True).key
        except VerifyError as err:
            return PushTimeUnknown(reason="unsupported_url", detail=str(err.reason))
        known = self.store.push_time(key, commit)
        if known is not None:
            return PushTime(when=known[0], source=known[1], detail="recorded")
        found = await self.forge.push_time(repo_url, commit)
        if isinstance(found, PushTime):
            when, source = self.store.record_push_time(key, commit, found.when, found.source)
            return PushTime(when=when, source=source, detail=found.detail)
        return found
