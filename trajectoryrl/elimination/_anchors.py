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

from collections.abc import Mapping
from fractions import Fraction
from typing import Any


def anchor_set(incumbent: str | None, chronology: Mapping[str, Any | None]) -> set[str]:
    """``chronology``: each pack's place in the walk (a comparable key known before scoring;
    None when it cannot be ranked, i.e. is never a candidate). Ties with the incumbent are
    anchors too (a tie may be broken by score)."""
    if incumbent is None or chronology.get(incumbent) is None:
        return set()
    at = chronology[incumbent]
    return {incumbent} | {h for h, key in chronology.items() if key is not None and key <= at}


def exceed_bar(champion_score: float, delta: float) -> Fraction:
    """The highest score that does not take over from ``champion_score``, exactly as
    ``trajectoryrl.winner.decide`` compares (``score > champion + delta``, in floats)."""
    return Fraction(champion_score + delta)
