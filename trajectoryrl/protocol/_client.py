"""The validator side: ask one miner for its submission, never raising for its misbehaviour."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal

import aiohttp
from bittensor import http_auth
from pydantic import BaseModel, ConfigDict, ValidationError

from trajectoryrl.chain import Endpoint
from trajectoryrl.protocol._auth import (
    AuthRefused,
    hotkey_of,
    sign_request,
    verify_response,
)
from trajectoryrl.protocol._message import MAX_MESSAGE_BYTES, SUBMIT_PACK_PATH, SubmitPack

OutcomeKind = Literal["answer", "timeout", "refused", "bad_signature", "malformed", "unreachable"]


class QueryOutcome(BaseModel):
    """What came of one query.

    - ``answer``: a signed, well-formed SubmitPack from the expected miner (its answer fields
      may still be empty: check ``answer.is_answered()``);
    - ``timeout``: no complete answer within the timeout;
    - ``refused``: the miner answered an HTTP error; ``code`` is its error code when it gave
      one (``rate_limited``, ``no_permit``, ...), else ``http_<status>``;
    - ``bad_signature``: the answer's btauth/1 headers did not verify; ``code`` says why
      (``wrong_sender``, ``bad_signature``, ``stale_request``, ...);
    - ``malformed``: signed but not a valid SubmitPack, or not an answer to our request;
    - ``unreachable``: no connection (refused, reset, DNS).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: OutcomeKind
    answer: SubmitPack | None = None
    code: str = ""
    status: int | None = None
    detail: str = ""


def _url(endpoint: Endpoint | str) -> str:
    if isinstance(endpoint, Endpoint):
        host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
        return f"http://{host}:{endpoint.port}{SUBMIT_PACK_PATH}"
    base = endpoint if "://" in endpoint else f"http://{endpoint}"
    return base.rstrip("/") + SUBMIT_PACK_PATH


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(4096):
        size += len(chunk)
        if size > MAX_MESSAGE_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error_code(body: bytes, status: int) -> str:
    try:
        data: Any = json.loads(body)
        code = data.get("error") if isinstance(data, dict) else None
        if isinstance(code, str) and code.isascii() and 0 < len(code) <= 64:
            return code
    except ValueError:
        pass
    return f"http_{status}"


async def query_miner(
    session: aiohttp.ClientSession,
    endpoint: Endpoint | str,
    signer: Any,
    miner_hotkey: str,
    request: SubmitPack,
    timeout: float,  # noqa: ASYNC109 -- enforced inside, around connect + read
    *,
    nonce_store: http_auth.NonceStore | None = None,
) -> QueryOutcome:
    """POST a signed SubmitPack to a miner and check who answered.

    ``signer`` is the validator's Wallet or hotkey Keypair; ``nonce_store`` guards against
    replayed answers (a per-process store by default)."""
    own = hotkey_of(signer)
    store = nonce_store if nonce_store is not None else _DEFAULT_STORE
    body = request.request_part().to_body()
    headers = sign_request(signer, body, miner_hotkey=miner_hotkey)
    nonce = int(headers[http_auth.HEADER_NONCE])
    headers["Content-Type"] = "application/json"
    try:
        async with asyncio.timeout(timeout):
            async with session.post(
                _url(endpoint), data=body, headers=headers, allow_redirects=False
            ) as resp:
                raw = await _read_capped(resp)
                status = resp.status
                resp_headers = dict(resp.headers)
    except TimeoutError:
        return QueryOutcome(kind="timeout", detail=f"no answer within {timeout:g}s")
    except aiohttp.ClientResponseError as err:
        return QueryOutcome(kind="malformed", code="bad_http", detail=type(err).__name__)
    except (aiohttp.ClientError, OSError) as err:
        return QueryOutcome(kind="unreachable", detail=type(err).__name__)
    if raw is None:
        return QueryOutcome(kind="malformed", code="too_large", status=status)
    if status != 200:
        return QueryOutcome(kind="refused", code=_error_code(raw, status), status=status)
    try:
        verify_response(
            resp_headers,
            raw,
            own_hotkey=own,
            miner_hotkey=miner_hotkey,
            request_nonce=nonce,
            nonce_store=store,
        )
    except AuthRefused as err:
        return QueryOutcome(kind="bad_signature", code=err.code, status=status, detail=str(err))
    try:
        answer = SubmitPack.from_body(raw)
    except (ValidationError, ValueError) as err:
        detail = err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err)
        return QueryOutcome(
            kind="malformed", code="invalid_message", status=status, detail=detail[:200]
        )
    if answer.request_part() != request.request_part():
        return QueryOutcome(kind="malformed", code="not_our_request", status=status)
    return QueryOutcome(kind="answer", answer=answer, status=status)


_DEFAULT_STORE = http_auth.InMemoryNonceStore()
