"""The miner's SubmitPack server (aiohttp).

Order of checks, cheapest refusal first: body size, btauth/1 signature (receiver = our hotkey,
replays refused), per-caller rate limit, the caller's standing in the metagraph (registered,
validator permit, minimum stake), the message itself. Error bodies are ``{"error": code,
"detail": fixed text}``: never a path, a key, or an exception message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from bittensor import http_auth
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trajectoryrl.miner._access import CachedMetagraph, MetagraphProvider, TokenBucket
from trajectoryrl.miner._guard import ConnectionLimits, guarded_factory
from trajectoryrl.protocol import (
    MAX_MESSAGE_BYTES,
    SUBMIT_PACK_PATH,
    AuthRefused,
    SubmitPack,
    hotkey_of,
    sign_response,
    verify_request,
)

log = logging.getLogger(__name__)

_DETAILS = {
    "malformed_auth": "missing or malformed btauth/1 headers",
    "wrong_receiver": "request not addressed to this miner",
    "stale_request": "request outside the freshness window",
    "replayed_request": "request already seen",
    "bad_signature": "signature does not verify",
    "rate_limited": "too many requests",
    "not_registered": "caller is not registered on this subnet",
    "no_permit": "caller has no validator permit",
    "insufficient_stake": "caller's stake is below this miner's minimum",
    "metagraph_unavailable": "cannot check the caller right now",
    "invalid_message": "body is not a SubmitPack request",
    "hotkey_mismatch": "validator_hotkey differs from the signing hotkey",
    "no_pack": "no pack is being served",
    "too_large": "request body too large",
    "body_timeout": "request body not received in time",
    "internal": "internal error",
}
_STATUS = {
    "malformed_auth": 401,
    "wrong_receiver": 401,
    "stale_request": 401,
    "replayed_request": 401,
    "bad_signature": 401,
    "rate_limited": 429,
    "not_registered": 403,
    "no_permit": 403,
    "insufficient_stake": 403,
    "metagraph_unavailable": 503,
    "invalid_message": 400,
    "hotkey_mismatch": 400,
    "no_pack": 503,
    "too_large": 413,
    "body_timeout": 408,
    "internal": 500,
}


class CurrentPack(BaseModel):
    """What the miner claims: where its pack is published and its hash."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo_url: str = Field(min_length=1, max_length=512)
    git_commit_hash: str = Field(pattern=r"^[0-9a-f]{40}$")
    pack_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class AccessPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_stake: float = Field(default=0.0, ge=0)
    rate_capacity: float = Field(default=5.0, gt=0)  # burst per caller
    rate_per_s: float = Field(default=0.2, gt=0)  # sustained requests per second per caller
    metagraph_refresh_s: float = Field(default=300.0, gt=0)
    max_age_s: float = Field(default=http_auth.DEFAULT_MAX_AGE, gt=0)


def _error(code: str) -> web.Response:
    return web.json_response({"error": code, "detail": _DETAILS[code]}, status=_STATUS[code])


@web.middleware
async def _no_leaks(request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return _error("too_large")
    except web.HTTPException:
        raise
    except Exception:
        log.exception("submitpack_handler_failed")
        return _error("internal")


@web.middleware
async def _log_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]
) -> Any:
    """One log line per request: who asked (the claimed hotkey, unverified until the handler
    checks it), from where, and what was answered, so an operator sees validators arrive."""
    start = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = getattr(response, "status", 200)
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        log.info(
            "request %s %s from %s hotkey=%s -> %s (%d ms)",
            request.method,
            request.path,
            request.remote or "?",
            (request.headers.get(http_auth.HEADER_HOTKEY) or "-")[:64],
            status,
            round((time.monotonic() - start) * 1000),
        )


class MinerServer:
    """Serves POST /SubmitPack for ``current`` (None: answers ``no_pack``).

    ``signer`` is the miner's Wallet or hotkey Keypair; ``metagraph`` is an async callable
    returning the subnet's ``trajectoryrl.chain.Metagraph`` (cached per ``policy``)."""

    def __init__(
        self,
        signer: Any,
        metagraph: MetagraphProvider,
        *,
        current: CurrentPack | None = None,
        policy: AccessPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        nonce_store: http_auth.NonceStore | None = None,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.signer = signer
        self.hotkey = hotkey_of(signer)
        self.current = current
        self.policy = policy or AccessPolicy()
        self._metagraph = CachedMetagraph(
            metagraph, refresh_s=self.policy.metagraph_refresh_s, clock=clock
        )
        self._buckets = TokenBucket(self.policy.rate_capacity, self.policy.rate_per_s, clock=clock)
        retention = max(60.0, 2 * (self.policy.max_age_s + http_auth.DEFAULT_ALLOWED_SKEW))
        self._nonces = nonce_store or http_auth.InMemoryNonceStore(retention=retention)
        self.limits = limits or ConnectionLimits()
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self.limiter: Any = None
        self.port: int | None = None
        self.served = 0

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_MESSAGE_BYTES, middlewares=[_log_requests, _no_leaks]
        )
        app.router.add_post(SUBMIT_PACK_PATH, self._handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0: any free port); returns the bound port. Connections
        pass through ``ConnectionLimits`` (lifetime, per-peer and total caps) first."""
        self._runner = web.AppRunner(
            self.app(), access_log=None, keepalive_timeout=self.limits.keepalive_s
        )
        await self._runner.setup()
        assert self._runner.server is not None
        factory, self.limiter = guarded_factory(self._runner.server, self.limits)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(factory, host, port, backlog=512)
        sockets: list[Any] = list(self._server.sockets or [])
        self.port = int(sockets[0].getsockname()[1]) if sockets else port
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        try:  # a body trickled in byte by byte must not hold the handler
            body = await asyncio.wait_for(request.read(), self.limits.body_timeout_s)
        except TimeoutError:
            return _error("body_timeout")
        try:
            caller = verify_request(
                request.headers,
                body,
                own_hotkey=self.hotkey,
                nonce_store=self._nonces,
                max_age=self.policy.max_age_s,
            )
        except AuthRefused as err:
            return _error(err.code)
        who = caller.hotkey_ss58
        if not self._buckets.take(who):
            return _error("rate_limited")
        try:
            metagraph = await self._metagraph.get()
        except Exception as err:
            log.warning("metagraph_unavailable: %s", type(err).__name__)
            return _error("metagraph_unavailable")
        neuron = metagraph.by_hotkey().get(who)
        if neuron is None:
            return _error("not_registered")
        if not neuron.validator_permit:
            return _error("no_permit")
        if neuron.stake < self.policy.min_stake:
            return _error("insufficient_stake")
        try:
            req = SubmitPack.from_body(body)
        except (ValidationError, ValueError):
            return _error("invalid_message")
        if req.validator_hotkey != who:
            return _error("hotkey_mismatch")
        current = self.current
        if current is None:
            return _error("no_pack")
        answer = req.request_part().answered(
            git_commit_hash=current.git_commit_hash,
            repo_url=current.repo_url,
            pack_hash=current.pack_hash,
        )
        out = answer.to_body()
        headers = sign_response(
            self.signer, out, validator_hotkey=who, request_nonce=caller.nonce_ns
        )
        headers["Content-Type"] = "application/json"
        self.served += 1
        return web.Response(body=out, headers=headers)
