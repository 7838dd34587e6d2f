"""A GitHub REST stand-in on 127.0.0.1 for the real PyGithub client (stdlib http.server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class RepoBehaviour:
    """``events``: what GET /repos/o/r/events returns (newest first, as GitHub does).
    ``status``: 404 / 500 / ... answered instead. ``rate_limited``: how many requests get a
    403 rate-limit answer with ``reset_at`` before the real answer."""

    events: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    rate_limited: int = 0
    reset_at: int = 0


class FakeGitHub:
    def __init__(self) -> None:
        self.repos: dict[str, RepoBehaviour] = {}
        self.requests: list[str] = []
        self.auth_headers: list[str | None] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                fake.auth_headers.append(self.headers.get("Authorization"))
                path = self.path.split("?", 1)[0].strip("/").split("/")
                if len(path) != 4 or path[0] != "repos" or path[3] != "events":
                    self._send(404, {"message": "Not Found"})
                    return
                repo = fake.repos.get(f"{path[1]}/{path[2]}".lower())
                if repo is None:
                    self._send(404, {"message": "Not Found"})
                    return
                if repo.rate_limited > 0:
                    repo.rate_limited -= 1
                    self._send(
                        403,
                        {"message": "API rate limit exceeded for 127.0.0.1."},
                        {
                            "X-RateLimit-Limit": "60",
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": str(repo.reset_at),
                        },
                    )
                    return
                if repo.status != 200:
                    self._send(repo.status, {"message": "Server Error"})
                    return
                # Pages as GitHub serves them: a Link to the next page while events remain,
                # and 422 for a page past the 300-event window.
                query = dict(parse_qsl(self.path.partition("?")[2]))
                page, per_page = int(query.get("page", 1)), int(query.get("per_page", 30))
                if (page - 1) * per_page >= 300:
                    self._send(
                        422,
                        {
                            "message": "In order to keep the API fast, you can only request 300 events"
                        },
                    )
                    return
                chunk = repo.events[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(repo.events):
                    nxt = f"{fake.base_url}{self.path.partition('?')[0]}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = f'<{nxt}>; rel="next"'
                self._send(200, chunk, headers)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[FakeGitHub]:
        thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def push_event(
    head: str, created_at: str, commits: list[str] | None = None, event_id: str = "1"
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "PushEvent",
        "created_at": created_at,
        "public": True,
        "actor": {"login": "miner"},
        "repo": {"name": "owner/repo"},
        "payload": {
            "ref": "refs/heads/main",
            "head": head,
            "before": "0" * 40,
            "commits": [{"sha": c, "message": "m"} for c in (commits or [head])],
        },
    }
