"""``read``, ``memory_search``, ``memory_get``, ``web_search``, ``web_fetch``: read-only."""

from __future__ import annotations

import re
from typing import Any

from ._core import Res, err, jdump
from ._state import State


def _clean(path: Any) -> str | None:
    """A relative path inside the world, or None for anything that tries to leave it."""
    if not isinstance(path, str) or not path.strip():
        return None
    p = path.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    for prefix in ("~/.openclaw/workspace/", "/workspace/"):
        p = p.removeprefix(prefix)
    if p.startswith("/") or ".." in p.split("/"):
        return None
    return p


def _int(args: dict[str, Any], key: str, default: int, minimum: int = 1) -> int:
    raw = args.get(key, default)
    if raw is None:
        return default
    n = int(raw)  # ValueError/TypeError become a clear error in the caller
    if n < minimum:
        raise ValueError(f"{key} must be at least {minimum}")
    return n


def _listing(names: list[str]) -> str:
    shown = sorted(names)
    return ", ".join(shown) if shown else "(none)"


def read(state: State, args: dict[str, Any]) -> Res:
    path = _clean(args.get("path", args.get("file_path")))
    if path is None:
        return err(f"read: invalid path {args.get('path')!r} (use a relative path like USER.md)")
    if path not in state.files:
        return err(f"read: no such file: {path}. Files: {_listing(list(state.files))}")
    return Res(state.files[path])


def _memory_files(state: State) -> dict[str, str]:
    return {p: t for p, t in state.files.items() if p.startswith("memory/") or p == "MEMORY.md"}


_TERM = re.compile(r"\w+", re.UNICODE)


def memory_search(state: State, args: dict[str, Any]) -> Res:
    query = args.get("query")
    if not isinstance(query, str) or not query.strip():
        return err("memory_search: 'query' must be a non-empty string")
    try:
        limit = _int(args, "maxResults", 5)
    except (TypeError, ValueError) as exc:
        return err(f"memory_search: bad maxResults: {exc}")
    terms = list(dict.fromkeys(t.lower() for t in _TERM.findall(query)))
    hits: list[tuple[int, str, int, str]] = []
    for path, text in sorted(_memory_files(state).items()):
        for n, line in enumerate(text.split("\n"), 1):
            low = line.lower()
            score = sum(1 for t in terms if t in low)
            if score:
                hits.append((-score, path, n, line))
    hits.sort()
    results = [
        {"path": p, "line": n, "snippet": line.strip(), "score": round(-s / len(terms), 3)}
        for s, p, n, line in hits[:limit]
    ]
    return Res(jdump({"query": query, "results": results}))


def memory_get(state: State, args: dict[str, Any]) -> Res:
    path = _clean(args.get("path"))
    files = _memory_files(state)
    if path is None or path not in files:
        return err(
            f"memory_get: no such memory file: {args.get('path')!r}. Files: {_listing(list(files))}"
        )
    try:
        start = _int(args, "from", 1)
        count = _int(args, "lines", 50)
    except (TypeError, ValueError) as exc:
        return err(f"memory_get: bad line range: {exc}")
    lines = files[path].split("\n")
    return Res("\n".join(lines[start - 1 : start - 1 + count]))


def web_search(state: State, args: dict[str, Any]) -> Res:
    query = args.get("query")
    if not isinstance(query, str) or not query.strip():
        return err("web_search: 'query' must be a non-empty string")
    try:
        count = _int(args, "count", 5)
    except (TypeError, ValueError) as exc:
        return err(f"web_search: bad count: {exc}")
    results = state.search_results.get(query)
    if results is None:
        want = " ".join(query.lower().split())
        for key, value in state.search_results.items():
            if " ".join(key.lower().split()) == want:
                results = value
                break
    return Res(jdump({"query": query, "results": list(results or [])[:count]}))


def web_fetch(state: State, args: dict[str, Any]) -> Res:
    url = args.get("url")
    if not isinstance(url, str) or not url.strip():
        return err("web_fetch: 'url' must be a non-empty string")
    url = url.strip()
    page = state.pages.get(url)
    if page is None:
        alt = url[:-1] if url.endswith("/") else url + "/"
        page = state.pages.get(alt)
    if page is None:
        return err(f"web_fetch: failed to fetch {url}: 404 Not Found")
    title = page.get("title", "")
    text = str(page.get("text", page.get("content", "")))
    return Res(f"# {title}\nURL: {url}\n\n{text}" if title else f"URL: {url}\n\n{text}")
