"""First-mover winner-take-all: the 003 timeline, ownership and copies, exact thresholds,
transitivity, and nobody qualifying."""

from __future__ import annotations

import pytest

from trajectoryrl.winner import (
    Candidate,
    Claim,
    WinnerParams,
    beats,
    decide,
    must_exceed,
    to_micro,
)


def cand(
    hotkey: str,
    uid: int,
    score: float,
    t: int,
    qualified: bool = True,
    pack: str | None = None,
    repo_commit: str = "",
) -> Candidate:
    return Candidate(
        hotkey=hotkey,
        uid=uid,
        pack_hash=pack or hotkey * 4,
        score=score,
        qualified=qualified,
        block=t,
        repo_commit=repo_commit,
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


def test_a_copier_never_wins_even_with_a_hotkey_that_sorts_first() -> None:
    # Attack (measured on the old rule): same pack, the tie went to the hotkey sorting first.
    d = decide([cand("zz-orig", 2, 0.8, 10, pack="P"), cand("aa-copy", 1, 0.8, 12, pack="P")])
    assert d.winner_hotkey == "zz-orig"
    assert [(s.hotkey, s.outcome, s.owner) for s in d.steps][1] == ("aa-copy", "copy", "zz-orig")


def test_a_copy_of_the_commit_under_another_pack_claim_is_a_copy() -> None:
    d = decide(
        [
            cand("orig", 1, 0.5, 10, pack="P", repo_commit="r@c"),
            cand("thief", 2, 0.9, 11, pack="Q", repo_commit="r@c"),
        ]
    )
    assert d.winner_hotkey == "orig"


def test_a_copy_stays_a_copy_after_the_owner_left() -> None:
    # The owner's claim is history (deregistered, not a candidate any more): still the owner.
    d = decide(
        [cand("copy", 2, 0.9, 50, pack="P")], claims=[Claim(hotkey="gone", pack_hash="P", block=5)]
    )
    assert d.winner_hotkey is None and d.steps[0].outcome == "copy"


def test_same_block_claims_of_one_pack_mean_nobody_owns_it() -> None:
    d = decide(
        [cand("a", 1, 0.9, 7, pack="P"), cand("b", 2, 0.9, 7, pack="P"), cand("c", 3, 0.4, 9)]
    )
    assert d.winner_hotkey == "c"
    assert {s.hotkey: s.outcome for s in d.steps} == {"a": "copy", "b": "copy", "c": "first"}


def test_different_packs_in_one_block_are_walked_best_first_whatever_the_hotkey() -> None:
    d = decide([cand("aaa", 1, 0.60, 7), cand("zzz", 2, 0.70, 7)])
    assert d.winner_hotkey == "zzz"
    d = decide([cand("aaa", 1, 0.70, 7), cand("zzz", 2, 0.60, 7)])
    assert d.winner_hotkey == "aaa"


def test_threshold_is_exact_not_float() -> None:
    # 0.35 + 0.05 == 0.39999999999999997 in floats: a 0.40 pack must NOT take over.
    assert 0.4 > 0.35 + 0.05  # the float trap this guards against
    d = decide([cand("a", 1, 0.35, 1), cand("b", 2, 0.40, 2)], WinnerParams(delta=0.05))
    assert d.winner_hotkey == "a" and d.steps[1].threshold == 0.4
    assert must_exceed(0.35, 0.05) == to_micro(0.4) == 400_000
    assert not beats(0.4, 0.35, 0.05) and beats(0.400001, 0.35, 0.05)


def test_one_hotkeys_older_pack_keeps_its_date() -> None:
    # alice's first pack (block 1) beat bob; alice's newer pack (block 9) is a new claim and does
    # not re-date the old one: bob (block 5, +0.03) still cannot take over.
    d = decide(
        [
            cand("alice", 1, 0.80, 1, pack="A1"),
            cand("bob", 2, 0.83, 5, pack="B"),
            cand("alice", 1, 0.84, 9, pack="A2"),
        ]
    )
    assert d.winner_hotkey == "alice" and d.winner_pack_hash == "A1"
