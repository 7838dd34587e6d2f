"""Deterministic choices for a scenario generator: every draw comes from
sha256(f"{scenario}|{seed}|{stream}") (never Python's ``random``, whose global state and
algorithm are not ours to pin), so an instance is identical on every machine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def hash_ints(root: bytes) -> Iterator[int]:
    """An endless stream of 64-bit integers: sha256(root || counter), 4 integers per block."""
    counter = 0
    while True:
        block = hashlib.sha256(root + counter.to_bytes(8, "big")).digest()
        for i in range(0, 32, 8):
            yield int.from_bytes(block[i : i + 8], "big")
        counter += 1


def below(stream: Iterator[int], bound: int) -> int:
    """Uniform integer in [0, bound) by rejection sampling (no modulo bias)."""
    if bound <= 0:
        raise ValueError(f"bound must be positive, got {bound}")
    limit = (1 << 64) - (1 << 64) % bound
    while True:
        value = next(stream)
        if value < limit:
            return value % bound


class Draw:
    """A named stream of choices. ``fork(name)`` gives an independent stream, so adding a
    draw to one part of a story never shifts the choices of another part."""

    def __init__(self, scenario: str, seed: int, stream: str = "story") -> None:
        self.scenario, self.seed, self.stream = scenario, seed, stream
        root = hashlib.sha256(f"{scenario}|{seed}|{stream}".encode()).digest()
        self._ints = hash_ints(root)

    def fork(self, name: str) -> Draw:
        return Draw(self.scenario, self.seed, f"{self.stream}/{name}")

    def below(self, bound: int) -> int:
        return below(self._ints, bound)

    def between(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi], both included."""
        return lo + self.below(hi - lo + 1)

    def choice(self, items: Sequence[T]) -> T:
        if not items:
            raise ValueError("choice from an empty sequence")
        return items[self.below(len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` distinct items, in draw order (a partial Fisher-Yates)."""
        if k > len(items):
            raise ValueError(f"cannot draw {k} distinct items from {len(items)}")
        pool = list(items)
        for i in range(k):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    def shuffled(self, items: Sequence[T]) -> list[T]:
        return self.sample(items, len(items))
