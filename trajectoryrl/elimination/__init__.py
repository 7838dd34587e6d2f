"""Early elimination: stop evaluating a pack once it can neither qualify nor exceed the score
it must beat, with an exact bound (no sampling), so the epoch's winner and weights are those
of a full evaluation and every validator stops a pack after the same episode.

``check(prefix, n, params, bar)`` is the rule; ``best_final`` the proven bound;
``anchor_set`` and ``exceed_bar`` what later packs are judged against; ``episode_order`` the
fixed order a pack's episodes run in; ``PrioritySlots`` the evaluator's concurrency slots.
"""

from trajectoryrl.elimination._anchors import anchor_set, exceed_bar
from trajectoryrl.elimination._bound import EPS, Elimination, best_final, check
from trajectoryrl.elimination._order import critical_rules, episode_order
from trajectoryrl.elimination._slots import PrioritySlots

__all__ = [
    "EPS",
    "Elimination",
    "PrioritySlots",
    "anchor_set",
    "best_final",
    "exceed_bar",
    "check",
    "critical_rules",
    "episode_order",
]
