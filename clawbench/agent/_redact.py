"""Credentials out of provider text before it is stored.

Error text from a provider or proxy ends up in trajectories, scores.json and report.html; a
gateway that echoes the request (its Authorization header, a key in a query string) would
write the key there. ``redact`` removes the known key verbatim and anything shaped like a
credential, and bounds the length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

_PATTERNS = [
    # Authorization: Bearer xyz / Basic xyz / any "authorization" value
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+|basic\s+)?[^\s\"',}]+"),
    re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"),
    # api_key=..., "x-api-key": "...", apikey: ..., token=..., secret=...
    re.compile(
        r"(?i)((?:x-)?api[_-]?key|access[_-]?token|token|secret|password)"
        r"([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
    ),
    # well-known key shapes
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\b(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{10,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
]
MAX_CHARS = 600
MARK = "[REDACTED]"


def redact(text: str, secrets: Iterable[str] = (), *, max_chars: int = MAX_CHARS) -> str:
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, MARK)
    for pat in _PATTERNS:
        text = pat.sub(_sub, text)
    if len(text) > max_chars:
        text = text[:max_chars] + "…"
    return text


def _sub(m: re.Match[str]) -> str:
    groups = [g for g in m.groups() if g is not None]
    if not groups:
        return MARK
    return "".join(groups) + MARK


def public_endpoint(url: str | None) -> str | None:
    """The endpoint as run.json records it: scheme, host, port and path only (no user:password,
    no query string or fragment, where keys sometimes travel)."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
