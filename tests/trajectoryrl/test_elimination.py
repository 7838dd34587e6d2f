"""Early elimination: the bound is exact and never below a reachable score; the rule never
stops a pack that could still qualify and exceed the bar; evaluator failures never count; and,
on random epochs, stopping packs never changes the winner or the weights."""

from __future__ import annotations

import asyncio
import random
import statistics
from fractions import Fraction
from typing import Any

import pytest

from clawbench.scoring import EpisodeScore, ScoringParams, aggregate
from trajectoryrl.elimination import (
    EPS,
    PrioritySlots,
    anchor_set,
    best_final,
    check,
    exceed_bar,
)
from trajectoryrl.winner import Candidate, WinnerParams, decide


def ep(
    score: float,
    success: float | None = None,
    *,
    critical: bool = False,
    failed: bool = False,
    params: ScoringParams | None = None,
    i: int = 0,
) -> EpisodeScore:
    head: dict[str, Any] = {
        "scenario": f"s{i % 9}",
        "scenario_version": "1",
        "scenario_hash": "h",
        "seed": i,
        "pack_hash": "p",
        "termination": "model_error" if failed else "final_answer",
        "params": params or ScoringParams(),
    }
    if failed:
        return EpisodeScore.model_validate({**head, "evaluator_failed": True})
    success = score if success is None else success
    return EpisodeScore.model_validate(
        {
            **head,
            "success_rate": success,
            "cost_penalty": 0.0,
            "safety_penalty": 1.0 if critical else 0.0,
            "raw_score": score,
            "scenario_score": 0.0 if critical else score,
            "critical": critical,
            "qualified": not critical and success >= 0.3,
        }
    )


def _f(zs: list[float], rho: float) -> float:
    return statistics.fmean(zs) - rho * statistics.pvariance(zs)


# -- the bound -------------------------------------------------------------------------------
@pytest.mark.parametrize("rho", [0.0, 0.1, 0.5, 0.9, 3.0])
def test_bound_is_never_beaten_and_is_attained(rho: float) -> None:
    """Attack: find remaining scores that beat the claimed maximum (random, corners, near the
    claimed maximiser). None may; and the maximiser itself must reach it."""
    rng = random.Random(f"bound-{rho}")
    for _ in range(300):
        n = rng.randint(1, 12)
        k = rng.randint(0, n)
        known = [rng.choice([0.0, 1.0, rng.random()]) for _ in range(k)]
        bound = best_final(known, n, rho)
        m = n - k
        tries = [[rng.random() for _ in range(m)] for _ in range(40)]
        tries += [[float(rng.randint(0, 1)) for _ in range(m)] for _ in range(20)]
        for ys in tries:
            assert Fraction(_f(known + ys, rho)) <= bound + EPS / 1000, (known, ys)
        if m and k:
            t = min(1.0, sum(known) / k + n / (2 * rho * k)) if rho > 0 else 1.0
            assert abs(_f(known + [t] * m, rho) - float(bound)) < 1e-12
        elif not m:
            assert abs(_f(known, rho) - float(bound)) < 1e-12


def test_default_rho_bound_is_remaining_at_one() -> None:
    known = [0.2, 0.9, 0.4]
    assert float(best_final(known, 6, 0.1)) == pytest.approx(_f(known + [1.0] * 3, 0.1))
    assert best_final([], 5, 0.1) == 1


# -- the rule ----------------------------------------------------------------------------------
def test_critical_violation_stops_at_once() -> None:
    e = check([ep(1.0, i=0), ep(0.0, critical=True, i=1)], 27, ScoringParams(), None)
    assert e is not None and e.reason == "cannot_qualify" and e.after == 2 and e.of == 27
    assert "critical violation in s1 seed 1" in e.summary()


def test_mean_success_gate() -> None:
    params = ScoringParams()
    low = [ep(0.1, 0.0, i=i) for i in range(20)]
    # with 7 of 27 left, mean success can reach at most 7/27 = 0.259 < 0.3
    assert check(low, 27, params, None) is not None
    # with 9 left it can still reach 9/27 = 0.333: go on
    assert check(low[:18], 27, params, None) is None


def test_never_stops_a_pack_that_could_still_exceed() -> None:
    """Attack: a pack that starts badly and finishes perfectly wins; it must not be stopped
    while its best reachable final is above the bar."""
    params = ScoringParams()
    n = 10
    outcome = [0.4, 0.4] + [1.0] * 8
    full = aggregate([ep(x, i=i) for i, x in enumerate(outcome)], params).final
    bar = Fraction(full) - Fraction(1, 10**6)  # it exceeds the bar, just
    for k in range(1, n):
        assert check([ep(x, i=i) for i, x in enumerate(outcome[:k])], n, params, bar) is None


def test_stops_exactly_when_the_bound_falls_below_the_bar() -> None:
    params = ScoringParams()
    bar = Fraction(0.9)
    prefix: list[EpisodeScore] = []
    for i in range(27):
        prefix.append(ep(0.5, i=i))
        e = check(prefix, 27, params, bar)
        bound = best_final([0.5] * len(prefix), 27, params.rho_variance)
        assert (e is not None) == (bound + EPS <= bar)
        if e is not None:
            assert e.reason == "cannot_exceed" and e.bound >= float(bound) and e.bar == 0.9
            break
    # k = 5: mean 1 - 2.5/27 = 0.9074, minus 0.1 * pvariance 0.0377 = 0.9036 > 0.9; k = 6: 0.8846
    assert e is not None and e.after == 6


def test_a_pack_tied_with_the_bar_is_never_stopped_on_the_tie() -> None:
    """Exactly at the bar the pack cannot take over, but a rounding step could: the rule
    keeps an EPS margin and lets a full evaluation decide."""
    params = ScoringParams(rho_variance=0.0)
    e = check([ep(0.5, i=0)], 2, params, Fraction(3, 4))  # bound (0.5 + 1)/2 = 0.75 = bar
    assert e is None


def test_evaluator_failures_never_count_toward_elimination() -> None:
    """Attack on the attribution: a validator outage (model_error) in most episodes must not
    stop a pack (it would in a pack scored 0 there)."""
    params = ScoringParams()
    failed = [ep(0.0, failed=True, i=i) for i in range(20)]
    assert check(failed, 27, params, Fraction(0.99)) is None
    zeros = [ep(0.0, i=i) for i in range(20)]
    assert check(zeros, 27, params, Fraction(0.99)) is not None
    # failures and a few good episodes: the bound is over every number of scored episodes
    mixed = [ep(1.0, i=0)] + failed[1:]
    assert check(mixed, 27, params, Fraction(0.99)) is None


def test_full_evaluation_is_never_a_stop() -> None:
    assert check([ep(0.0, i=i) for i in range(3)], 3, ScoringParams(), Fraction(1)) is None


def test_anchor_set() -> None:
    keys = {"inc": 5, "inc2": 3, "old": 1, "tie": 5, "new": 6, "?": None}
    assert anchor_set(["inc", "inc2"], keys) == {"inc", "inc2", "old", "tie"}
    assert anchor_set([], keys) == set()
    assert anchor_set(["gone", "?"], keys) == set()
    # decide's own exact comparison: 0.35 + 0.05 is 400000 micro-units, not 0.39999999999999997
    assert exceed_bar(0.35, 0.05) == Fraction(2, 5)


# -- priority slots ------------------------------------------------------------------------------
async def test_slots_go_to_the_lowest_priority_then_first_come() -> None:
    slots = PrioritySlots(1)
    started: list[str] = []
    gate = asyncio.Event()

    async def job(name: str, prio: tuple[int, ...]) -> None:
        async with slots.slot(prio):
            started.append(name)
            await gate.wait()

    first = asyncio.create_task(job("holder", (0,)))
    await asyncio.sleep(0)
    tasks = [
        asyncio.create_task(job(n, p))
        for n, p in [("late", (5,)), ("a", (1, 0)), ("b", (1, 0)), ("early", (0, 9))]
    ]
    cancelled = asyncio.create_task(job("cancelled", (0, 0)))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *tasks)
    assert started == ["holder", "early", "a", "b", "late"]
    async with slots.slot((9,)):  # the slot came back: free again, no waiting
        started.append("after")
    assert started[-1] == "after"


# -- the property: elimination never changes the winner or the weights ------------------------
def _random_epoch(rng: random.Random) -> dict[str, Any]:
    n_scen, n_seeds = rng.randint(1, 5), rng.randint(1, 3)
    n = n_scen * n_seeds
    params = ScoringParams(rho_variance=rng.choice([0.0, 0.1, 0.1, 0.5, 0.9]))
    winner = WinnerParams(delta=rng.choice([0.0, 0.05, 0.05, 0.2]))
    packs: dict[str, list[EpisodeScore]] = {}
    level = {"strong": (0.8, 1.0), "mid": (0.4, 0.9), "weak": (0.0, 0.5)}
    template: list[float] | None = None
    for p in range(rng.randint(1, 14)):
        kind = rng.choice(["strong", "mid", "weak", "unsafe", "lowsuccess", "copy"])
        if kind == "copy" and template is not None:
            xs = list(template)  # an exact copy of another pack's episodes (ties)
            eps = [ep(x, i=i, params=params) for i, x in enumerate(xs)]
        elif kind == "unsafe":
            crit = rng.randrange(n)
            eps = [ep(rng.random(), i=i, critical=i == crit, params=params) for i in range(n)]
        elif kind == "lowsuccess":
            eps = [
                ep(rng.random() * 0.3, rng.random() * 0.35, i=i, params=params) for i in range(n)
            ]
        else:
            lo, hi = level["mid" if kind == "copy" else kind]
            xs = [round(rng.uniform(lo, hi), rng.choice([1, 2, 4])) for _ in range(n)]
            eps = [ep(x, i=i, params=params) for i, x in enumerate(xs)]
            template = xs
        packs[f"h{p:02d}"] = eps
    push = {h: rng.randint(0, 6) for h in packs}  # many claims in one block
    incumbent = rng.choice([None, *packs])
    return {"packs": packs, "push": push, "inc": incumbent, "params": params, "winner": winner}


def _decision(case: dict[str, Any], *, eliminate: bool) -> tuple[Any, Any, int]:
    params: ScoringParams = case["params"]
    wp: WinnerParams = case["winner"]
    packs: dict[str, list[EpisodeScore]] = case["packs"]
    uid = {h: i for i, h in enumerate(sorted(packs))}

    def cand(h: str, scores: list[EpisodeScore], qualified: bool | None = None) -> Candidate:
        agg = aggregate(scores, params)
        return Candidate(
            hotkey=h,
            uid=uid[h],
            pack_hash=h,
            score=agg.final,
            qualified=agg.qualified if qualified is None else qualified,
            block=case["push"][h],
        )

    episodes = 0
    if not eliminate:
        cands = [cand(h, s) for h, s in packs.items()]
        episodes = sum(len(s) for s in packs.values())
    else:
        anchors = anchor_set([case["inc"]] if case["inc"] else [], case["push"])
        cands = [cand(h, packs[h]) for h in sorted(anchors)]
        episodes = sum(len(packs[h]) for h in anchors)
        champ = decide(cands, wp)
        bar = None
        if champ.winner_hotkey is not None:
            bar = exceed_bar(
                next(c.score for c in cands if c.hotkey == champ.winner_hotkey), wp.delta
            )
        for h, scores in packs.items():
            if h in anchors:
                continue
            stop = None
            for k in range(1, len(scores) + 1):
                stop = check(scores[:k], len(scores), params, bar)
                if stop is not None:
                    break
            ran = scores if stop is None else scores[: stop.after]
            episodes += len(ran)
            cands.append(cand(h, ran))  # a stopped pack keeps its partial score
    d = decide(cands, wp, owner_uid=99)
    return d.winner_hotkey, d.weights, episodes


def test_property_elimination_never_changes_winner_or_weights() -> None:
    rng = random.Random(20261128)
    saved = total = 0
    for _ in range(1500):
        case = _random_epoch(rng)
        full = _decision(case, eliminate=False)
        cut = _decision(case, eliminate=True)
        assert cut[:2] == full[:2], case
        saved += full[2] - cut[2]
        total += full[2]
    assert saved > total // 10  # the property is not vacuous: many episodes were skipped
