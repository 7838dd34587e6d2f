"""Who may ask: a cached metagraph view and per-caller token buckets (clocks injected)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from trajectoryrl.chain import Metagraph

MetagraphProvider = Callable[[], Awaitable[Metagraph]]


class CachedMetagraph:
    """Calls ``provider`` at most once per ``refresh_s`` (concurrent callers share one call).
    A failed refresh keeps serving the last good metagraph; with none, the error propagates."""

    def __init__(
        self,
        provider: MetagraphProvider,
        *,
        refresh_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = provider
        self._refresh_s = refresh_s
        self._clock = clock
        self._value: Metagraph | None = None
        self._at = float("-inf")
        self._lock = asyncio.Lock()
        self.refreshes = 0

    async def get(self) -> Metagraph:
        if self._value is not None and self._clock() - self._at < self._refresh_s:
            return self._value
        async with self._lock:
            if self._value is not None and self._clock() - self._at < self._refresh_s:
                return self._value
            try:
                value = await self._provider()
            except Exception:
                if self._value is None:
                    raise
                self._at = self._clock()  # back off: retry after one interval
                return self._value
            self._value, self._at = value, self._clock()
            self.refreshes += 1
            return value


class TokenBucket:
    """Per-key token buckets: ``capacity`` requests at once, refilled at ``rate_per_s``."""

    def __init__(
        self,
        capacity: float,
        rate_per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.capacity = capacity
        self.rate = rate_per_s
        self._clock = clock
        self._max_keys = max_keys
        self._state: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> bool:
        now = self._clock()
        tokens, at = self._state.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        ok = tokens >= 1.0
        if ok:
            tokens -= 1.0
        if key not in self._state and len(self._state) >= self._max_keys:
            self._state.pop(next(iter(self._state)))
        self._state[key] = (tokens, now)
        return ok
