"""Connection limits in front of the miner's HTTP server.

A rival who wants a miner to miss the validator's query needs no key: holding many
connections open (slow headers, a body that never ends, idle keep-alive) used to exhaust the
miner's descriptors. Each connection here gets a hard lifetime, each peer address a cap on
its open connections, and the whole server a cap; when the server is full, the newest
connection still gets in by closing the oldest one of the peer holding the most, so a flood
from one address (or a few) can never lock out another peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ConnectionLimits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_connections: int = Field(default=256, ge=1)
    per_peer: int = Field(default=16, ge=1)
    lifetime_s: float = Field(default=30.0, gt=0)  # a whole request must arrive and be answered
    keepalive_s: float = Field(default=5.0, gt=0)  # idle time before a kept-alive close
    body_timeout_s: float = Field(default=10.0, gt=0)  # reading a request body


class _Limiter:
    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.open: dict[str, OrderedDict[int, asyncio.Transport]] = {}
        self.total = 0
        self.refused = 0
        self.evicted = 0

    def admit(self, peer: str, key: int, transport: asyncio.Transport) -> bool:
        mine = self.open.setdefault(peer, OrderedDict())
        if len(mine) >= self.limits.per_peer:
            self.refused += 1
            return False
        if self.total >= self.limits.max_connections:
            biggest = max(self.open, key=lambda p: len(self.open[p]))
            if not self.open[biggest]:
                self.refused += 1
                return False
            _, oldest = self.open[biggest].popitem(last=False)
            self.total -= 1
            self.evicted += 1
            oldest.abort()
        mine[key] = transport
        self.total += 1
        return True

    def release(self, peer: str, key: int) -> None:
        mine = self.open.get(peer)
        if mine is not None and mine.pop(key, None) is not None:
            self.total -= 1
            if not mine:
                del self.open[peer]


class _Guarded(asyncio.Protocol):
    """Forwards to the real protocol once the connection is admitted; aborts it at the end
    of its lifetime whatever it is doing."""

    def __init__(self, inner: Any, limiter: _Limiter) -> None:
        self._inner = inner
        self._limiter = limiter
        self._peer = ""
        self._admitted = False
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else "?"
        if not self._limiter.admit(self._peer, id(self), transport):
            transport.abort()
            return
        self._admitted = True
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._limiter.limits.lifetime_s, transport.abort)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._admitted:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._admitted else None

    def pause_writing(self) -> None:
        if self._admitted:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._admitted:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._admitted:
            self._limiter.release(self._peer, id(self))
            self._inner.connection_lost(exc)


def guarded_factory(
    factory: Callable[[], Any], limits: ConnectionLimits
) -> tuple[Callable[[], asyncio.Protocol], _Limiter]:
    limiter = _Limiter(limits)
    return (lambda: _Guarded(factory(), limiter)), limiter


def raise_fd_limit() -> int:
    """Raise this process's descriptor limit to its hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
