"""``curl``: parsed like curl parses its arguments, answered by the mock APIs it reaches."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import _gcal, _notion
from ._core import BadJSON, Op, Res, Usage, err, http
from ._state import State

_NOARG = {
    "-s": "silent",
    "--silent": "silent",
    "-S": "show_error",
    "--show-error": "show_error",
    "-L": "location",
    "--location": "location",
    "-f": "fail",
    "--fail": "fail",
    "--fail-with-body": "fail_body",
    "-i": "include",
    "--include": "include",
    "-k": "insecure",
    "--insecure": "insecure",
    "-v": "verbose",
    "--verbose": "verbose",
    "-G": "get",
    "--get": "get",
    "--compressed": "compressed",
    "-g": "globoff",
    "--globoff": "globoff",
    "-N": "no_buffer",
    "--no-buffer": "no_buffer",
}
_WITHARG = {
    "-X": "request",
    "--request": "request",
    "-H": "header",
    "--header": "header",
    "-d": "data",
    "--data": "data",
    "--data-raw": "data",
    "--data-binary": "data",
    "--data-ascii": "data",
    "--data-urlencode": "data",
    "--json": "json",
    "--url": "url",
    "-o": "output",
    "--output": "output",
    "-u": "user",
    "--user": "user",
    "-A": "user_agent",
    "--user-agent": "user_agent",
    "-m": "max_time",
    "--max-time": "max_time",
    "--connect-timeout": "max_time",
    "--retry": "retry",
    "-w": "write_out",
    "--write-out": "write_out",
    "-e": "referer",
    "--referer": "referer",
}
_SHORT_NOARG = {k[1] for k in _NOARG if len(k) == 2}
_SHORT_ARG = {k[1] for k in _WITHARG if len(k) == 2}


@dataclass
class Request:
    method: str
    url: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, or None
    raw_body: str | None
    headers: dict[str, str] = field(default_factory=dict)
    host: str = ""
    flags: set[str] = field(default_factory=set)


@dataclass
class _Parsed:
    flags: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)


def _unknown(opt: str) -> Usage:
    return Usage(f"curl: option {opt}: is unknown\ncurl: try 'curl --help' for more information", 2)


def _parse(tokens: list[str]) -> _Parsed:
    p = _Parsed()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok.startswith("--"):
            name, eq, inline = tok.partition("=")
            if name in _NOARG:
                p.flags.add(_NOARG[name])
            elif name in _WITHARG:
                if eq:
                    value = inline
                elif i < len(tokens):
                    value = tokens[i]
                    i += 1
                else:
                    raise Usage(f"curl: option {name}: requires parameter", 2)
                p.values.setdefault(_WITHARG[name], []).append(value)
            else:
                raise _unknown(name)
        elif tok.startswith("-") and len(tok) > 1:
            j = 1
            while j < len(tok):
                ch = tok[j]
                if ch in _SHORT_NOARG:
                    p.flags.add(_NOARG["-" + ch])
                    j += 1
                elif ch in _SHORT_ARG:
                    rest = tok[j + 1 :]
                    if not rest:
                        if i >= len(tokens):
                            raise Usage(f"curl: option -{ch}: requires parameter", 2)
                        rest = tokens[i]
                        i += 1
                    p.values.setdefault(_WITHARG["-" + ch], []).append(rest)
                    break
                else:
                    raise _unknown("-" + ch)
        else:
            p.urls.append(tok)
    return p


def build_request(tokens: list[str]) -> Request:
    """curl's own rules: -X wins; any data implies POST (or the query string with -G)."""
    p = _parse(tokens)
    urls = p.urls + p.values.get("url", [])
    if not urls:
        raise Usage("curl: no URL specified!\ncurl: try 'curl --help' for more information", 2)
    if len(urls) > 1:
        raise Usage("curl: one URL per call, please (got several)", 2)
    if "output" in p.values:
        raise Usage("curl: writing the response to a file (-o) is not supported here", 23)
    data = p.values.get("data", []) + p.values.get("json", [])
    for d in data:
        if d.startswith("@"):
            raise Usage(f"curl: reading data from a file ({d}) is not supported here", 26)
    raw_body = "&".join(data) if data else None
    url = urls[0]
    if "://" not in url:
        url = "https://" + url
    if "get" in p.flags and raw_body is not None:
        url = url + ("&" if "?" in url else "?") + raw_body
        raw_body = None
    methods = p.values.get("request", [])
    if methods:
        method = methods[-1].upper()
    else:
        method = "POST" if raw_body is not None else "GET"
    headers: dict[str, str] = {}
    for h in p.values.get("header", []):
        name, _, value = h.partition(":")
        headers[name.strip().lower()] = value.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise Usage(
            f"curl: (3) URL using bad/illegal format or missing URL: {urls[0]}", 3
        ) from None
    query: dict[str, str] = {}
    for key, vals in parse_qs(parts.query, keep_blank_values=True).items():
        query[key] = vals[-1]
    body: Any = None
    if raw_body is not None and raw_body.strip():
        try:
            body = json.loads(raw_body)
        except json.JSONDecodeError:
            body = BadJSON(raw_body)
    return Request(method, url, parts.path, query, body, raw_body, headers, host, p.flags)


def handle(state: State, tokens: list[str]) -> Res | Op:
    req = build_request(tokens)
    answer: Res | Op
    if req.host in ("api.notion.com", "api.notion.so"):  # upstream agents use both
        answer = _notion.handle(state, req)
    elif req.host == "www.googleapis.com" and req.path.startswith("/calendar/v3/"):
        answer = _gcal.handle(state, req)
    elif req.host == "www.googleapis.com":
        answer = http(404, {"error": {"code": 404, "message": "Not Found"}})
    else:
        return err(f"curl: (6) Could not resolve host: {req.host or req.url}", 6)
    flags = req.flags
    if isinstance(answer, Op):
        inner = answer.run

        def run() -> Res:
            return _finish(inner(), flags)

        return Op(answer.kinds, run)
    return _finish(answer, flags)


def _finish(res: Res, flags: set[str]) -> Res:
    if res.status >= 400 and "fail" in flags:
        return err(f"curl: (22) The requested URL returned error: {res.status}", 22)
    if "include" in flags:
        res.content = f"HTTP/2 {res.status}\ncontent-type: application/json\n\n{res.content}"
    return res
