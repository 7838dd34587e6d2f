"""Bounded git: one bare mirror per repository, fetched without ever blocking the event loop.

Every git call is an asyncio subprocess in its own process group, killed (the whole group)
from outside when its time is up. Git runs with a scrubbed environment: no system or global
config, no credential prompts, no hooks, no submodules, no LFS smudge, no replace refs, only
the allowed protocols (https; plus file and http in local-network mode) and ``ext::`` off.
Objects are never checked out: reads go through ``ls-tree`` and ``cat-file``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from trajectoryrl.verify._reasons import Reason, VerifyError
from trajectoryrl.verify._url import RepoRef

HEAD_REF = "refs/trl/head"  # the remote's default-branch HEAD as of the last fetch
_CONFIG = (
    "protocol.ext.allow=never",
    "core.hooksPath=/dev/null",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "credential.helper=",
    "core.fsmonitor=false",
    "core.askPass=",
    "gc.auto=0",
    "maintenance.auto=false",
    "http.lowSpeedLimit=1024",
    "http.lowSpeedTime=20",
)


class GitLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fetch_timeout_s: float = Field(default=60.0, gt=0)
    command_timeout_s: float = Field(default=10.0, gt=0)
    max_repo_bytes: int = Field(default=50_000_000, gt=0)  # per repository cache dir
    # All mirrors together; past it the least recently used are removed (never one used in
    # the last ``evict_grace_s``: it may be being read by a verification in flight).
    max_cache_bytes: int = Field(default=2_000_000_000, gt=0)
    evict_grace_s: float = Field(default=600.0, ge=0)
    max_blob_bytes: int = Field(default=400_000, gt=0)  # pack.json blob, checked before reading
    fetch_ttl_s: float = Field(default=30.0, ge=0)  # a fetch this recent is reused
    size_poll_s: float = Field(default=0.25, gt=0)


class _Exceeded(Exception):
    pass


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return total


def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def _read_capped(stream: asyncio.StreamReader | None, cap: int) -> bytes:
    if stream is None:
        return b""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            raise _Exceeded()
        chunks.append(chunk)


class GitCache:
    """Bare mirrors under ``root``, one per repository (``RepoRef.cache_name``), with one
    asyncio lock per repository so concurrent verifications share one clone and one fetch.

    ``clones`` and ``fetches`` count, per repository key, how often each happened."""

    def __init__(
        self,
        root: str | Path,
        *,
        local_network: bool = False,
        limits: GitLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root)
        self.local_network = local_network
        self.limits = limits or GitLimits()
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._fetched_at: dict[str, float] = {}
        self._used_at: dict[str, float] = {}  # mirror dir name -> last sync (this process)
        self._evict_lock = asyncio.Lock()
        self.evicted: list[str] = []
        self.clones: Counter[str] = Counter()
        self.fetches: Counter[str] = Counter()

    def _env(self) -> dict[str, str]:
        home = self.root / ".home"
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home),
            "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_ALLOW_PROTOCOL": "https:http:file" if self.local_network else "https",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_SSH_COMMAND": "false",
            "GIT_PROTOCOL_FROM_USER": "0",
        }

    def path_for(self, ref: RepoRef) -> Path:
        return self.root / ref.cache_name

    async def run(
        self,
        cwd: Path,
        *args: str,
        timeout_s: float | None = None,
        max_output: int = 1_000_000,
        size_cap: tuple[Path, int] | None = None,
    ) -> tuple[int, bytes, bytes]:
        """Run git; returns (returncode, stdout, stderr). Raises ``VerifyError``:
        ``fetch_timeout`` when killed for time, ``repo_too_large`` when ``size_cap``'s
        directory outgrew its cap, ``internal_error`` when output exceeded ``max_output``."""
        cmd = ["git"]
        for item in _CONFIG:
            cmd += ["-c", item]
        cmd += list(args)
        limit = timeout_s if timeout_s is not None else self.limits.command_timeout_s
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=str(cwd),
            env=self._env(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        too_big = False

        async def watch() -> None:
            nonlocal too_big
            if size_cap is None:
                return
            path, cap = size_cap
            while True:
                await asyncio.sleep(self.limits.size_poll_s)
                if await asyncio.to_thread(_du, path) > cap:
                    too_big = True
                    _kill(proc)
                    return

        watcher = asyncio.create_task(watch())
        try:
            async with asyncio.timeout(limit):
                out, err, _ = await asyncio.gather(
                    _read_capped(proc.stdout, max_output),
                    _read_capped(proc.stderr, 65536),
                    proc.wait(),
                )
        except TimeoutError:
            _kill(proc)
            await proc.wait()
            raise VerifyError(
                Reason.FETCH_TIMEOUT, f"git {args[0]} killed after {limit:g}s"
            ) from None
        except _Exceeded:
            _kill(proc)
            await proc.wait()
            raise VerifyError(Reason.INTERNAL_ERROR, f"git {args[0]} output over the cap") from None
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            if proc.returncode is None:
                _kill(proc)
                await proc.wait()
        if too_big:
            raise VerifyError(Reason.REPO_TOO_LARGE, "repository exceeds the cache size cap")
        return int(proc.returncode or 0), out, err

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def sync(self, ref: RepoRef, *, force: bool = False) -> Path:
        """Make the mirror of ``ref`` current (default-branch HEAD and all branches); returns
        its directory. Concurrent callers for one repository share one fetch; a fetch within
        ``fetch_ttl_s`` is reused unless ``force``."""
        path = self.path_for(ref)
        async with self._lock(ref.key):
            at = self._fetched_at.get(ref.key)
            recent = at is not None and self._clock() - at < self.limits.fetch_ttl_s
            if recent and not force and path.is_dir():
                return path
            fresh = not path.is_dir()
            if fresh:
                await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
                await asyncio.to_thread((self.root / ".home").mkdir, exist_ok=True)
                rc, _, err = await self.run(self.root, "init", "--bare", "--quiet", "--", str(path))
                if rc != 0:
                    raise VerifyError(Reason.INTERNAL_ERROR, "git init failed")
                self.clones[ref.key] += 1
            try:
                rc, _, err = await self.run(
                    path,
                    "fetch",
                    "--quiet",
                    "--no-tags",
                    "--prune",
                    "--no-recurse-submodules",
                    "--no-write-fetch-head",
                    "--",
                    ref.fetch_url,
                    f"+HEAD:{HEAD_REF}",
                    "+refs/heads/*:refs/heads/*",
                    timeout_s=self.limits.fetch_timeout_s,
                    size_cap=(path, self.limits.max_repo_bytes),
                )
                if rc != 0:
                    raise VerifyError(Reason.FETCH_FAILED, f"git fetch exited {rc}")
                if await asyncio.to_thread(_du, path) > self.limits.max_repo_bytes:
                    raise VerifyError(
                        Reason.REPO_TOO_LARGE, "repository exceeds the cache size cap"
                    )
            except VerifyError as failure:
                if fresh or failure.reason == Reason.REPO_TOO_LARGE:
                    await asyncio.to_thread(shutil.rmtree, path, True)
                    self._fetched_at.pop(ref.key, None)
                raise
            self.fetches[ref.key] += 1
            self._fetched_at[ref.key] = self._clock()
            self._used_at[path.name] = self._clock()
            await asyncio.to_thread(os.utime, path)  # recency survives a restart (mtime)
        await self._evict(keep=path)
        return path

    async def _evict(self, *, keep: Path) -> None:
        """Remove least-recently-used mirrors until the cache fits ``max_cache_bytes``."""
        async with self._evict_lock:
            mirrors = await asyncio.to_thread(self._mirrors)
            total = sum(size for _, _, size in mirrors)
            now = self._clock()
            for _, path, size in sorted(mirrors, key=lambda m: m[0]):
                if total <= self.limits.max_cache_bytes:
                    return
                used = self._used_at.get(path.name)
                if path == keep or (used is not None and now - used < self.limits.evict_grace_s):
                    continue
                await asyncio.to_thread(shutil.rmtree, path, True)  # sync() refetches it
                self.evicted.append(path.name)
                total -= size

    def _mirrors(self) -> list[tuple[float, Path, int]]:
        out = []
        for entry in self.root.iterdir() if self.root.is_dir() else []:
            if entry.is_dir() and not entry.name.startswith("."):
                out.append((entry.stat().st_mtime, entry, _du(entry)))
        return out

    # -- reads from a mirror (no checkout) ------------------------------------------------
    async def check_commit(self, path: Path, commit: str) -> None:
        """``commit`` exists and is reachable from the default branch's HEAD."""
        rc, out, _ = await self.run(path, "cat-file", "-t", commit, max_output=64)
        if rc != 0 or out.strip() != b"commit":
            raise VerifyError(Reason.COMMIT_NOT_FOUND, f"no commit {commit} in the repository")
        rc, _, _ = await self.run(path, "merge-base", "--is-ancestor", commit, HEAD_REF)
        if rc == 1:
            raise VerifyError(
                Reason.COMMIT_UNREACHABLE, "commit is not reachable from the default branch's HEAD"
            )
        if rc != 0:
            raise VerifyError(Reason.INTERNAL_ERROR, f"git merge-base exited {rc}")

    async def read_file(self, path: Path, commit: str, name: str) -> bytes:
        """The bytes of regular file ``name`` at the top of ``commit``'s tree. Symlinks,
        trees and submodules are refused; the blob's size is checked before it is read."""
        rc, out, _ = await self.run(
            path, "ls-tree", "-z", "--full-tree", commit, "--", name, max_output=4096
        )
        if rc != 0:
            raise VerifyError(Reason.INTERNAL_ERROR, f"git ls-tree exited {rc}")
        entry = out.split(b"\0", 1)[0]
        if not entry:
            raise VerifyError(Reason.PACK_MISSING, f"no {name} at the commit")
        meta, _, _ = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) != 3:
            raise VerifyError(Reason.INTERNAL_ERROR, "unexpected ls-tree output")
        mode, kind, oid = (p.decode("ascii", "replace") for p in parts)
        if mode == "120000":
            raise VerifyError(Reason.PACK_SYMLINK, f"{name} is a symbolic link")
        if kind != "blob" or mode not in ("100644", "100755"):
            raise VerifyError(Reason.PACK_NOT_BLOB, f"{name} is a {kind} (mode {mode})")
        rc, out, _ = await self.run(path, "cat-file", "-s", oid, max_output=64)
        if rc != 0 or not out.strip().isdigit():
            raise VerifyError(Reason.INTERNAL_ERROR, "git cat-file -s failed")
        size = int(out.strip())
        if size > self.limits.max_blob_bytes:
            raise VerifyError(
                Reason.PACK_BLOB_TOO_LARGE,
                f"{name} is {size} bytes; the limit is {self.limits.max_blob_bytes}",
            )
        rc, out, _ = await self.run(
            path, "cat-file", "blob", oid, max_output=self.limits.max_blob_bytes
        )
        if rc != 0:
            raise VerifyError(Reason.INTERNAL_ERROR, "git cat-file blob failed")
        return out

    async def committer_time(self, path: Path, commit: str) -> float | None:
        """The commit's committer timestamp (forgeable: only used for warnings)."""
        rc, out, _ = await self.run(
            path, "log", "-1", "--no-show-signature", "--format=%ct", commit, "--", max_output=64
        )
        text = out.strip()
        return float(text) if rc == 0 and text.isdigit() else None
