"""What later packs are judged against: the anchors and the bar.

The first-mover walk visits packs in chronological order and its champion's score only grows
along the walk. The anchors are the incumbent and every pack the walk may visit at or before
it; they are evaluated in full, first. Every other pack is visited after all of them, where
the champion scores at least the anchors' own champion, c. Such a pack takes over only with a
score above c + delta (``exceed_bar``), so one whose best reachable final is <= that bar can
never become the champion, and leaving it out changes neither the winner nor the weights.
The bar is fixed before any later pack is judged: it never depends on which other pack's
episodes finished first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

from trajectoryrl.winner import MICRO, must_exceed

K = TypeVar("K")


def anchor_set(incumbents: Iterable[K], chronology: Mapping[K, Any | None]) -> set[K]:
    """``chronology``: each claim's place in the walk (a comparable key known before scoring,
    the commitment block; None when it cannot be ranked, i.e. is never a candidate).
    ``incumbents``: the claims of the last winner. Ties with an incumbent are anchors too
    (claims in one block are walked by score)."""
    placed: list[Any] = [chronology[i] for i in incumbents if chronology.get(i) is not None]
    if not placed:
        return set()
    at = max(placed)
    return {k for k, key in chronology.items() if key is not None and key <= at}


def exceed_bar(champion_score: float, delta: float) -> Fraction:
    """The highest score that does not take over from ``champion_score``, exactly as
    ``trajectoryrl.winner.decide`` compares: a later claim takes over only when its score in
    micro-units exceeds ``must_exceed``; any score <= must_exceed / 10^6 (by more than the
    rule's EPS) rounds to at most that."""
    return Fraction(must_exceed(champion_score, delta), MICRO)
