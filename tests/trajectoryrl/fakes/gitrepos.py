"""Building real (and hostile) git repositories in temp dirs with the git CLI."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from clawbench.pack import pack_hash

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}


def git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, input: bytes | None = None
) -> str:
    full = {**os.environ, **GIT_ENV, **(env or {})}
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=full, input=input, check=True, capture_output=True
    )
    return out.stdout.decode().strip()


def pack_data(name: str = "p", agents: str = "Be careful.") -> dict[str, Any]:
    return {
        "files": {"AGENTS.md": agents},
        "metadata": {"pack_name": name, "pack_version": "1.0.0"},
    }


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def work_repo(path: Path, remote: Path | None = None) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "--initial-branch=main")
    if remote is not None:
        git(path, "remote", "add", "origin", str(remote))
    return path


def commit_files(
    repo: Path, files: dict[str, str | bytes], message: str = "c", env: dict[str, str] | None = None
) -> str:
    for name, content in files.items():
        target = repo / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        git(repo, "add", "--", name)
    git(repo, "commit", "-q", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD")


def commit_pack(repo: Path, data: Any, **kw: Any) -> tuple[str, str]:
    """Commit ``data`` as pack.json; returns (commit, pack_hash of the published object)."""
    text = dumps(data)
    commit = commit_files(repo, {"pack.json": text}, **kw)
    return commit, pack_hash(data) if isinstance(data, dict) else "0" * 64


def push(repo: Path, *extra: str) -> None:
    git(repo, "push", "-q", *extra, "origin", "HEAD:refs/heads/main")
