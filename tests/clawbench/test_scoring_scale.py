"""Scoring time is the validator's time: a reply the pack's agent writes must not cost time
quadratic in its length. Found by attack: a 256,000-character reply without one term of a
conjunction fact took 450 s to score, one endless clause repeating the fact 357 s
(benchmarks/score_scaling.py prints the ratios). These tests pin the two mechanisms that made
it linear, and that they change no verdict."""

from __future__ import annotations

import random
import re

from clawbench.scenario._story import all_of, words
from clawbench.scoring._claims import _CLAUSE_REACH, mentions, read_claim
from clawbench.scoring._text import Conjunction, compile_pattern

ALPHABET = ["ab", "c", "a", "b", "cd", "x1", " ", "\n", "-", "x", "."]
PATTERNS = [
    all_of([words("ab"), r"\bc\b"]),
    all_of(["a", "b", "cd"]),
    all_of([r"x\d"]),
    all_of([r"[)\]]?a", r"\(?b\)?"]),
]


def test_all_of_gets_the_linear_matcher_and_nothing_else_does() -> None:
    for pat in PATTERNS:
        assert isinstance(compile_pattern(pat, case_insensitive=True, owner="t"), Conjunction)
    for other in ["(?=.*?(?:a)b)", "(?=.*?(?:a)(b))", "(?=.*?(?:a))x", "abc", r"a|(?=.*?(?:b))"]:
        rx = compile_pattern(other, case_insensitive=True, owner="t")
        assert isinstance(rx, re.Pattern), other


def test_the_linear_matcher_finds_exactly_what_re_finds() -> None:
    rng = random.Random(7)
    for pat in PATTERNS:
        fast = compile_pattern(pat, case_insensitive=True, owner="t")
        slow = re.compile(pat, re.DOTALL | re.IGNORECASE)
        for _ in range(1500):
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 30)))
            pos = rng.randrange(0, len(text) + 1)
            end = rng.choice([len(text), rng.randrange(0, len(text) + 2)])
            for how in ("search", "match", "fullmatch"):
                a = getattr(slow, how)(text, pos, end)
                b = getattr(fast, how)(text, pos, end)
                assert (a and a.span()) == (b and b.span()), (pat, text, pos, end, how)
            want = [m.span() for m in slow.finditer(text, pos, end)]
            assert [m.span() for m in fast.finditer(text, pos, end)] == want
            assert read_claim(fast, text) == read_claim(slow, text)


def test_a_clause_reaches_a_bounded_distance_either_side() -> None:
    """One endless clause: each mention reads its neighbourhood, never the whole reply."""
    rx = compile_pattern(words("memory leak"), case_insensitive=True, owner="t")
    text = "and memory leak " * 2000
    found = mentions(rx, text)
    assert len(found) == 2000
    assert max(len(m.clause) for m in found) <= 2 * _CLAUSE_REACH + len("memory leak")
    # a negation within the clause's reach still undoes the claim
    near = "it was never " + "really " * 20 + "a memory leak"
    assert not mentions(rx, near)[0].asserted
