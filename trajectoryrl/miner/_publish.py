"""Publishing a pack: canonical pack.json plus the pack's files, committed and pushed.

Synchronous (GitPython runs git subprocesses); async callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import git
from pydantic import BaseModel, ConfigDict

from clawbench.pack import PolicyBundle, pack_hash, write_pack_json

PACK_JSON = "pack.json"
HOTKEY_FILE = "MINER_HOTKEY"  # binds the commit to the hotkey that claims it (validators check)
_CREDENTIALS = re.compile(r"(\w+://)[^/@\s]+@")


class PublishError(Exception):
    """Publishing failed; ``code`` is one of not_a_repo, no_remote, commit_failed,
    push_failed, not_published."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PublishResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    commit: str
    pack_hash: str
    branch: str
    pushed: bool


def _redact(text: str) -> str:
    return _CREDENTIALS.sub(r"\1***@", text)


def _previous_files(root: Path) -> set[str]:
    try:
        data = json.loads((root / PACK_JSON).read_text(encoding="utf-8"))
        files = data.get("files", {}) if isinstance(data, dict) else {}
        return {n for n in files if isinstance(n, str)} if isinstance(files, dict) else set()
    except (OSError, ValueError):
        return set()


def publish_pack(
    pack: PolicyBundle,
    repo_dir: str | Path,
    *,
    remote: str = "origin",
    branch: str = "main",
    remote_url: str | None = None,
    push: bool = True,
    message: str | None = None,
    author: tuple[str, str] = ("trajectoryrl miner", "miner@trajectoryrl.invalid"),
    hotkey: str | None = None,
) -> PublishResult:
    """Write ``pack`` into ``repo_dir`` (created as a git repository if needed), commit, and
    push HEAD to ``remote``'s ``branch``. ``remote_url`` adds or updates the remote.

    Files of the previously published pack that the new pack no longer has are removed, so
    the repository always mirrors exactly one pack. ``hotkey`` (the miner's ss58 address)
    is written to ``MINER_HOTKEY``: validators accept a claim only from the hotkey it names.
    Returns the commit and the pack hash
    (the hash of the canonical pack.json as written, which is what validators compute)."""
    root = Path(repo_dir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        repo = git.Repo(root)
    except git.InvalidGitRepositoryError:
        repo = git.Repo.init(root, initial_branch=branch)
    if repo.bare:
        raise PublishError("not_a_repo", "publishing needs a repository with a working tree")
    stale = _previous_files(root) - set(pack.files)
    for name, text in pack.files.items():
        (root / name).write_text(text, encoding="utf-8")
    digest = write_pack_json(pack, root / PACK_JSON)
    tracked = [PACK_JSON, *sorted(pack.files)]
    if hotkey is not None:
        (root / HOTKEY_FILE).write_text(hotkey + "\n", encoding="utf-8")
        tracked.append(HOTKEY_FILE)
    try:
        repo.index.add(tracked)
        gone = [n for n in sorted(stale) if (root / n).exists()]
        if gone:
            repo.index.remove(gone, working_tree=True)
        has_head = repo.head.is_valid()
        if not has_head or repo.index.diff("HEAD"):
            actor = git.Actor(*author)
            name = pack.metadata.pack_name
            repo.index.commit(
                message or f"pack {name} {pack.metadata.pack_version}",
                author=actor,
                committer=actor,
            )
    except git.GitCommandError as err:
        raise PublishError("commit_failed", _redact(str(err))) from None
    commit = repo.head.commit.hexsha
    if push:
        names = [r.name for r in repo.remotes]
        if remote_url is not None:
            if remote in names:
                repo.remote(remote).set_url(remote_url)
            else:
                repo.create_remote(remote, remote_url)
        elif remote not in names:
            raise PublishError("no_remote", f"no git remote named {remote!r}; pass remote_url")
        try:
            repo.git.push(remote, f"HEAD:refs/heads/{branch}")
        except git.GitCommandError as err:
            tail = _redact(
                str(err.stderr or "").strip().splitlines()[-1:][0]
                if str(err.stderr or "").strip()
                else ""
            )
            raise PublishError("push_failed", f"git push to {remote!r} failed: {tail}") from None
    return PublishResult(commit=commit, pack_hash=digest, branch=branch, pushed=push)


def published_claim(repo_dir: str | Path) -> tuple[str, str]:
    """(commit, pack_hash) of HEAD's pack.json in ``repo_dir``: what a miner serves.

    The hash is of the pack.json object as committed, which is what validators compute."""
    try:
        repo = git.Repo(repo_dir)
        commit = repo.head.commit
        blob = commit.tree / PACK_JSON
        data = json.loads(blob.data_stream.read().decode("utf-8"))
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError, KeyError) as err:
        raise PublishError(
            "not_published", f"no published pack.json: {type(err).__name__}"
        ) from None
    return commit.hexsha, pack_hash(data)
