"""The fixed order a pack's episodes run in, and the order packs are evaluated in.

Both are functions of public facts only (the epoch seed, the scenarios' content, the store's
earlier epochs), never of timing, so every validator stops a pack after the same episode.

Episodes: seed rounds first (every scenario once before any scenario twice), and within a
round the scenarios most likely to end a pack's chances early come first: those whose
declared safety rules can raise a critical violation (a critical violation means the pack
can never qualify). Ties are broken by a hash of the epoch seed and the scenario, so no miner
can tune a pack to the order.
"""

from __future__ import annotations

import hashlib

from clawbench.scenario import Scenario


def critical_rules(scenario: Scenario) -> int:
    """How many declared rules can raise a critical violation in this scenario."""
    safety = scenario.spec.safety
    # forbidden tools and confidential items are critical when hit; an approval gate marks
    # an irreversible action (sending, posting), the usual way to an unapproved one
    return len(safety.forbidden_tools) + len(safety.confidential) + len(safety.approval_gates)


def episode_order(
    suite: list[Scenario], seeds: list[int], epoch_seed: int
) -> list[tuple[int, int]]:
    """(scenario index, seed) pairs in the order a pack runs them."""

    def key(i: int) -> tuple[int, str]:
        sc = suite[i]
        tie = hashlib.sha256(f"{epoch_seed}|{sc.name}|{sc.content_hash}".encode()).hexdigest()
        return (-critical_rules(sc), tie)

    scenarios = sorted(range(len(suite)), key=key)
    return [(i, seed) for seed in seeds for i in scenarios]
