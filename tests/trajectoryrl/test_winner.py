"""First-mover winner-take-all: the 003 timeline, copies, transitivity, and nobody qualifying."""

from __future__ import annotations

import pytest

from trajectoryrl.winner import Candidate, WinnerParams, decide


def cand(hotkey: str, uid: int, score: float, t: float, qualified: bool = True) -> Candidate:
    return Candidate(
        hotkey=hotkey, uid=uid, pack_hash=hotkey * 4, score=score, qualified=qualified, push_time=t
    )


def test_the_003_timeline() -> None:
    # A first (0.85); B 0.87 must beat 0.90; C 0.91 takes over; D 0.93 must beat 0.96.
    d = decide(
        [
            cand("D", 4, 0.93, 400),
            cand("B", 2, 0.87, 200),
            cand("A", 1, 0.85, 100),
            cand("C", 3, 0.91, 300),
        ]
    )
    assert d.winner_hotkey == "C" and d.weights == {3: 1.0}
    assert [(s.hotkey, s.outcome) for s in d.steps] == [
        ("A", "first"),
        ("B", "below_threshold"),
        ("C", "takes_over"),
        ("D", "below_threshold"),
    ]
    assert d.steps[3].threshold == pytest.approx(0.96)


def test_a_later_copy_with_the_same_score_never_wins() -> None:
    d = decide([cand("copy", 2, 0.8, 200), cand("orig", 1, 0.8, 100)])
    assert d.winner_hotkey == "orig"


def test_exactly_delta_better_is_not_enough() -> None:
    d = decide([cand("a", 1, 0.50, 1), cand("b", 2, 0.55, 2)], WinnerParams(delta=0.05))
    assert d.winner_hotkey == "a"
    d = decide([cand("a", 1, 0.50, 1), cand("b", 2, 0.5501, 2)], WinnerParams(delta=0.05))
    assert d.winner_hotkey == "b"


def test_a_later_lower_miner_never_blocks_the_leader() -> None:
    # b is later and lower than a: passed over. c beats a by more than delta: wins, whatever b scored.
    d = decide([cand("a", 1, 0.70, 1), cand("b", 2, 0.40, 2), cand("c", 3, 0.80, 3)])
    assert d.winner_hotkey == "c"


def test_an_earlier_unqualified_pack_does_not_set_the_bar() -> None:
    d = decide([cand("early", 1, 0.9, 1, qualified=False), cand("late", 2, 0.6, 2)])
    assert d.winner_hotkey == "late" and d.weights == {2: 1.0}


def test_highest_score_wins_when_first() -> None:
    d = decide([cand("best", 2, 0.95, 1), cand("later", 1, 0.90, 2)])
    assert d.winner_hotkey == "best"


def test_nobody_qualifies_burns_to_owner_or_skips() -> None:
    cands = [cand("x", 1, 0.0, 1, qualified=False), cand("y", 2, 0.1, 2, qualified=False)]
    burn = decide(cands, owner_uid=0)
    assert burn.burned and burn.weights == {0: 1.0} and burn.winner_hotkey is None
    assert decide(cands, WinnerParams(no_winner_policy="skip"), owner_uid=0).weights == {}
    assert decide([], owner_uid=0).weights == {0: 1.0}  # nobody submitted: still nobody is paid


def test_push_time_ties_break_by_first_seen_block_then_hotkey() -> None:
    a = Candidate(
        hotkey="z",
        uid=1,
        pack_hash="h",
        score=0.8,
        qualified=True,
        push_time=5,
        first_seen_block=10,
    )
    b = Candidate(
        hotkey="a",
        uid=2,
        pack_hash="h",
        score=0.8,
        qualified=True,
        push_time=5,
        first_seen_block=11,
    )
    assert decide([b, a]).winner_hotkey == "z"
