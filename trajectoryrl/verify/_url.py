"""Repository URL policy: what a validator will hand to git.

Production accepts only ``https://github.com/<owner>/<repo>`` (optionally ``.git``), with
GitHub's owner and repository character sets. Local-network mode (localnets, tests) also
accepts ``file:///abs/path``, an absolute local path, and ``http://127.0.0.1[:port]/path``.
Anything git could read as an option or a transport is refused in every mode.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from trajectoryrl.verify._reasons import Reason, VerifyError

MAX_URL_LENGTH = 300
# GitHub: owner is alphanumerics and single hyphens (no leading/trailing hyphen, <= 39);
# a repository name is letters, digits, '.', '-', '_' (<= 100), not '.' or '..'.
_OWNER = r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})"
_REPO = r"(?P<repo>[A-Za-z0-9._-]{1,100})"
_GITHUB = re.compile(rf"^https://github\.com/{_OWNER}/{_REPO}$")
_TRANSPORTS = frozenset({"ssh", "git", "git+ssh", "ssh+git", "ftp", "ftps", "rsync", "ext"})
_LOCAL_PATH = re.compile(r"^/[A-Za-z0-9._/-]{1,250}$")
_LOCAL_HTTP = re.compile(
    r"^http://127\.0\.0\.1(?::(?P<port>[0-9]{1,5}))?/(?P<path>[A-Za-z0-9._/-]{1,200})$"
)


class RepoRef(BaseModel):
    """A policy-approved repository: ``fetch_url`` goes to git, ``key`` identifies the
    repository (case-folded for GitHub), ``cache_name`` is its collision-free cache dir."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["github", "file", "http_local"]
    fetch_url: str
    key: str
    owner: str = ""
    name: str = ""

    @property
    def cache_name(self) -> str:
        digest = hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:32]
        label = f"{self.owner}-{self.name}".lower()[:60] if self.kind == "github" else self.kind
        return f"{label}-{digest}.git"


def _reject(reason: Reason, detail: str) -> VerifyError:
    return VerifyError(reason, detail)


def check_repo_url(url: object, *, local_network: bool = False) -> RepoRef:
    """Approve ``url`` or raise ``VerifyError`` with the reason code of the first rule broken."""
    if not isinstance(url, str) or not url:
        raise _reject(Reason.URL_MALFORMED, "the repository URL is empty or not a string")
    if len(url) > MAX_URL_LENGTH:
        raise _reject(Reason.URL_MALFORMED, f"longer than {MAX_URL_LENGTH} characters")
    if not url.isascii():
        raise _reject(Reason.URL_NOT_ASCII, "non-ASCII characters (look-alikes are refused)")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise _reject(Reason.URL_WHITESPACE, "whitespace or control characters")
    if url.startswith("-"):
        raise _reject(Reason.URL_OPTION_INJECTION, "starts with '-' (git would read an option)")
    if "::" in url:
        raise _reject(Reason.URL_TRANSPORT_FORBIDDEN, "'<transport>::' remote helpers are refused")
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower() if sep else ""
    if scheme in _TRANSPORTS:
        raise _reject(Reason.URL_TRANSPORT_FORBIDDEN, f"{scheme}:// is not an allowed transport")
    if sep and "@" in rest.split("/", 1)[0]:
        raise _reject(Reason.URL_CREDENTIALS, "credentials in the URL")
    if not sep and ":" in url.split("/", 1)[0]:
        raise _reject(Reason.URL_TRANSPORT_FORBIDDEN, "scp-style ssh address (host:path)")
    if not sep and "@" in url.split("/", 1)[0]:
        raise _reject(Reason.URL_CREDENTIALS, "user@host address")
    if ".." in url:
        raise _reject(Reason.URL_TRAVERSAL, "'..' in the URL")
    if any(c in url for c in "%?#\\"):
        raise _reject(Reason.URL_MALFORMED, "escapes, query, fragment or backslash")
    m = _GITHUB.match(url)
    if m:
        owner, name = m["owner"], m["repo"].removesuffix(".git")
        if name in ("", ".", "..") or name.endswith(".git"):
            raise _reject(Reason.URL_MALFORMED, "not a repository name")
        key = f"github.com/{owner.lower()}/{name.lower()}"
        return RepoRef(
            kind="github",
            fetch_url=f"https://github.com/{owner}/{name}.git",
            key=key,
            owner=owner,
            name=name,
        )
    if scheme == "https":
        host = rest.split("/", 1)[0].lower()
        if host == "github.com":
            raise _reject(Reason.URL_MALFORMED, "not https://github.com/<owner>/<repo>")
        raise _reject(Reason.URL_HOST_FORBIDDEN, "only github.com repositories are accepted")
    if not local_network:
        if scheme in ("file", "http") or not sep:
            raise _reject(
                Reason.URL_TRANSPORT_FORBIDDEN,
                "file://, http:// and local paths need local-network mode",
            )
        raise _reject(Reason.URL_TRANSPORT_FORBIDDEN, f"{scheme}:// is not an allowed transport")
    if scheme == "file" or not sep:
        path = rest if scheme == "file" else url
        if not _LOCAL_PATH.match(path) or "//" in path:
            raise _reject(Reason.URL_MALFORMED, "not an absolute local path of plain names")
        path = path.rstrip("/") or "/"
        return RepoRef(kind="file", fetch_url=path, key=f"file:{path}")
    if scheme == "http":
        lm = _LOCAL_HTTP.match(url)
        if lm is None:
            host = rest.split("/", 1)[0]
            if host.split(":")[0] != "127.0.0.1":
                raise _reject(Reason.URL_HOST_FORBIDDEN, "plain http only to 127.0.0.1")
            raise _reject(Reason.URL_MALFORMED, "not http://127.0.0.1[:port]/<path>")
        return RepoRef(kind="http_local", fetch_url=url, key=url)
    raise _reject(Reason.URL_TRANSPORT_FORBIDDEN, f"{scheme}:// is not an allowed transport")
