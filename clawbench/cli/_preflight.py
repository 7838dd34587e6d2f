"""Preflight: before any episode, check that the evaluator can run at all.

A wrong key, a mistyped URL, an endpoint that serves a web page, a model the endpoint does
not offer, or a stopped Docker engine would otherwise fail every episode one by one (each
after its retries) and show up only as ``model_error`` / ``sandbox_error``. Here each is one
request, one line naming the cause, and exit 4 before anything is written.

The model check asks ``GET <base>/models`` first (free); when that cannot confirm the model
(no such route, or the model is not listed) it sends one chat completion of at most one
token. The key is read from the named variable and put only in the request header.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from clawbench.cli._app import EXIT_PREFLIGHT, EXIT_USAGE, CliError
from clawbench.errors import SandboxError
from clawbench.sandbox import DockerSandbox, Sandbox

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PREFLIGHT_TIMEOUT_S = 20.0


class PreflightError(CliError):
    """The evaluator cannot run: nothing was started, nothing was written."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(f"preflight: {message}", exit_code=EXIT_PREFLIGHT, code=code)


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    api_key_env: str | None  # None: no auth


def resolve_base_url(base_url: str | None, environ: Mapping[str, str]) -> str:
    """--base-url, else $OPENAI_BASE_URL, else OpenAI; refuses what is not an http(s) URL
    (the client would otherwise retry it as a "connection error")."""
    url = base_url or environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        source = "--base-url" if base_url else "$OPENAI_BASE_URL"
        raise CliError(
            f"{source} {url!r} is not an http(s) URL (expected e.g. https://api.openai.com/v1)",
            exit_code=EXIT_USAGE,
            code="bad_url",
        )
    return url.rstrip("/")


def _looks_html(resp: httpx.Response) -> bool:
    ctype = resp.headers.get("content-type", "").lower()
    head = resp.text[:200].lstrip().lower()
    return "html" in ctype or head.startswith(("<!doctype", "<html"))


def _api_message(resp: httpx.Response) -> str:
    """The error message of an OpenAI-style error body, else the start of the body."""
    try:
        body: Any = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return resp.text[:160].strip()
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return err[:300]
    return json.dumps(body)[:160]


def _check_common(resp: httpx.Response, url: str, ep: Endpoint) -> None:
    if _looks_html(resp):
        raise PreflightError(
            f"{url} answered with an HTML page (HTTP {resp.status_code}), not the OpenAI API; "
            "is --base-url right? it usually ends in /v1",
            code="endpoint_not_api",
        )
    if resp.status_code in (401, 403):
        who = f"the key in ${ep.api_key_env}" if ep.api_key_env else "a request without a key"
        raise PreflightError(
            f"{ep.base_url} refused {who} (HTTP {resp.status_code}: {_api_message(resp)})",
            code="model_key_rejected",
        )


def _request(client: httpx.Client, method: str, url: str, **kw: Any) -> httpx.Response:
    try:
        return client.request(method, url, **kw)
    except httpx.TimeoutException:
        raise PreflightError(
            f"{url} did not answer within {client.timeout.read or PREFLIGHT_TIMEOUT_S:g} s",
            code="endpoint_timeout",
        ) from None
    except httpx.HTTPError as err:
        cause = str(err) or type(err).__name__
        raise PreflightError(
            f"cannot reach {url} ({cause}); check --base-url and that the server is running",
            code="endpoint_unreachable",
        ) from None


def check_model(
    model: str,
    ep: Endpoint,
    *,
    environ: Mapping[str, str] | None = None,
    timeout_s: float = PREFLIGHT_TIMEOUT_S,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """Endpoint reachable, key accepted, model offered; returns how it was confirmed.
    Raises ``PreflightError`` naming the cause."""
    env = os.environ if environ is None else environ
    headers = {"Accept": "application/json"}
    if ep.api_key_env is not None:
        headers["Authorization"] = f"Bearer {env.get(ep.api_key_env, '')}"
    with httpx.Client(
        timeout=httpx.Timeout(timeout_s), headers=headers, transport=transport
    ) as client:
        url = f"{ep.base_url}/models"
        resp = _request(client, "GET", url)
        _check_common(resp, url, ep)
        if resp.status_code == 200:
            try:
                data = resp.json().get("data")
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                data = None
            ids = (
                {m.get("id") for m in data if isinstance(m, dict)}
                if isinstance(data, list)
                else set()
            )
            if model in ids:
                return f"{ep.base_url} offers {model}"
        # Not confirmed by the listing (no such route, or an unlisted model): one tiny call.
        url = f"{ep.base_url}/chat/completions"
        body = {
            "model": model,
            "messages": [{"role": "user", "content": "ping"}],
            "max_tokens": 1,
            "temperature": 0,
        }
        resp = _request(client, "POST", url, json=body)
        _check_common(resp, url, ep)
        if resp.status_code == 200:
            return f"{ep.base_url} answered a one-token call to {model}"
        if resp.status_code == 404:
            raise PreflightError(
                f"{ep.base_url} does not offer model {model!r} ({_api_message(resp)})",
                code="model_not_found",
            )
        if resp.status_code in (408, 429) or resp.status_code >= 500:
            # Busy or briefly down: the episodes retry these, so this does not stop the run.
            return f"{ep.base_url} is busy (HTTP {resp.status_code}); episodes will retry"
        raise PreflightError(
            f"{url} refused a one-token call to {model!r} "
            f"(HTTP {resp.status_code}: {_api_message(resp)})",
            code="model_rejected",
        )


def check_sandbox(sandbox: Sandbox) -> str:
    """The Docker engine answers and holds this harness's sandbox image."""
    if not isinstance(sandbox, DockerSandbox):
        return "local sandbox"
    try:
        sandbox.check_image()
    except SandboxError as err:
        hint = ""
        if err.code == "sandbox_unavailable":
            hint = "; is Docker running? (docker info)"
        raise PreflightError(f"{err}{hint}", code=err.code) from None
    return f"Docker is up, image {sandbox.image}"
