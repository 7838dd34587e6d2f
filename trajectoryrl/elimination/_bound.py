"""The exact early-elimination rule: after k of a pack's n episodes, can it still matter?

A pack matters to the epoch's decision only if it can become the champion of the first-mover
walk: it must qualify and its final score must exceed the score the walk asks of it (``bar``,
given by the caller from the winner rules, e.g. the fully evaluated incumbent's threshold).
After each scored episode we compute, exactly, the best final score the pack can still reach
and whether it can still qualify; a pack that can do neither is stopped. The rule uses only
the pack's own episodes (in a fixed order) and the fixed bar, so every validator stops it at
the same k, and the winner and weights are those of a full evaluation.

Best reachable final score (the bound), with known episode scores x_1..x_k, n - k unknown
scores y_j in [0, 1] (scenario scores are floored at 0 and never exceed 1) and

    f(z) = mean(z) - rho * pvariance(z)   over all n scores z = (x, y).

Claim: max over y in [0,1]^(n-k) of f = g(min(1, t*)), where g(t) = f(x, t, ..., t) and
t* = (S + n / (2 rho)) / k, S = sum(x) (t* = +inf when rho = 0 or k = 0).

Proof. (1) f is concave in y: the mean is linear and pvariance is a convex quadratic form
(the mean of squared deviations from the mean is a positive semidefinite form), so
-rho * pvariance is concave for rho >= 0. (2) f is symmetric in the y_j. For any maximizer y,
each permutation of y is a maximizer; their average is the point with every y_j equal to
their mean, which lies in the box, and by concavity f there is >= the average of the values,
i.e. also maximal. So some maximizer has all unknowns equal to one t in [0, 1]. (3) g is a
concave quadratic in t; with m = n - k and mu(t) = (S + m t) / n,

    g'(t) = (m / n) * (1 - 2 rho (t - mu(t))) = (m / n) * (1 - 2 rho (k t - S) / n),

(d pvariance / d z_j = (2 / n)(z_j - mean)), which vanishes at t* and is positive below it.
Hence the maximum over [0, 1] is at min(1, t*) (t* >= S / k >= 0). For rho <= 1/2,
t* >= (S + n) / k >= 1: every remaining episode at its maximum, 1.0. When k = 0 the
unknowns are all equal at the optimum, the variance is 0 and the bound is 1. QED.

Evaluator-failed episodes say nothing about the pack: they never count toward stopping it.
They are unknowns, and since an evaluator failure can also leave a slot unscored (the mean is
over scored episodes only), the bound is the maximum over every possible number of scored
episodes, n_scored in [k_scored, k_scored + unknowns].

Qualification (docs/scoring.md): no critical violation and mean(success) >= min_success. A
critical violation in any scored episode means never; otherwise the best reachable mean
success has the unknowns at 1.0. Float safety: the bound is computed exactly in rationals
from the stored floats; ``aggregate`` computes the real final in floats with an error far
below ``EPS`` (1e-9), and a pack is stopped only when the bound is below the bar by ``EPS``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

from clawbench.scoring import EpisodeScore, ScoringParams

EPS = Fraction(1, 10**9)


class Elimination(BaseModel):
    """Why a pack was stopped: it can neither qualify nor exceed ``bar`` (its best
    reachable final is ``bound``). Kept with the pack's score (``eliminated after k/n``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: int  # episodes run, in the fixed order, when the pack was stopped
    of: int  # episodes a full evaluation runs
    reason: Literal["cannot_qualify", "cannot_exceed"]
    bound: float  # best reachable final score (rounded up to 1e-9)
    bar: float | None  # the score the pack had to exceed (None: no bar, a qualification stop)
    bar_exact: str | None = None  # the same bar as an exact fraction ("2/5"): what was compared
    detail: str

    def exact_bar(self) -> Fraction | None:
        return None if self.bar_exact is None else Fraction(self.bar_exact)

    def summary(self) -> str:
        return f"eliminated after {self.after}/{self.of}: {self.detail}"


def best_final(known: list[float], n: int, rho: float) -> Fraction:
    """The exact maximum of mean - rho * pvariance over n scores, ``known`` fixed and the
    other n - len(known) free in [0, 1] (proof in the module docstring)."""
    k = len(known)
    if not 0 <= k <= n or n == 0:
        raise ValueError(f"{k} known scores of {n}")
    xs = [Fraction(x) for x in known]
    r = Fraction(rho)
    m = n - k
    if k == 0:
        return Fraction(1)
    s = sum(xs, Fraction(0))
    q = sum((x * x for x in xs), Fraction(0))
    t = Fraction(1)
    if m and r > 0:
        t = min(Fraction(1), (s + n / (2 * r)) / k)
    mean = (s + m * t) / n
    var = (q + m * t * t) / n - mean * mean
    return mean - r * var


def _verdict(s: EpisodeScore) -> tuple[float, float, bool]:
    assert s.scenario_score is not None and s.success_rate is not None
    return s.scenario_score, s.success_rate, bool(s.critical)


def check(
    prefix: list[EpisodeScore], n: int, params: ScoringParams, bar: Fraction | None
) -> Elimination | None:
    """Stop the pack after ``prefix`` (its first episodes in the fixed order, of ``n``)?

    ``bar``: the pack cannot change the decision if its final score is <= bar, whatever it
    is (None: nothing fixed to beat, so only a qualification failure stops it). Returns the
    reason, or None to go on. Never stops a pack that could still qualify and exceed bar."""
    k = len(prefix)
    if k >= n:
        return None  # evaluated in full: the real score decides
    scored = [_verdict(s) for s in prefix if not s.evaluator_failed]
    unknown = n - len(scored)  # not run yet, or an evaluator failure (never counts)
    critical = [s for s in prefix if not s.evaluator_failed and s.critical]

    def stop(
        reason: Literal["cannot_qualify", "cannot_exceed"], detail: str, bound: Fraction
    ) -> Elimination:
        return Elimination(
            after=k,
            of=n,
            reason=reason,
            bound=_up(bound),
            bar=None if bar is None else float(bar),
            bar_exact=None if bar is None else str(bar),
            detail=detail,
        )

    if critical:
        first = critical[0]
        detail = f"critical violation in {first.scenario} seed {first.seed}"
        return stop("cannot_qualify", detail, best_over(scored, unknown, params))
    succ = sum((Fraction(x[1]) for x in scored), Fraction(0))
    sizes = range(max(1, len(scored)), len(scored) + unknown + 1)
    best_success = max((succ + (size - len(scored))) / size for size in sizes)
    if best_success + EPS < Fraction(params.min_success):
        return stop(
            "cannot_qualify",
            f"mean success at most {float(best_success):.4f} < {params.min_success:g}",
            best_over(scored, unknown, params),
        )
    if bar is None:
        return None
    bound = best_over(scored, unknown, params)
    if bound + EPS <= bar:
        detail = f"best reachable final {_up(bound):.6f} <= {float(bar):.6f} to exceed"
        return stop("cannot_exceed", detail, bound)
    return None


def best_over(
    scored: list[tuple[float, float, bool]], unknown: int, params: ScoringParams
) -> Fraction:
    """The bound over every number of episodes that can end up scored."""
    known = [x[0] for x in scored]
    lo = max(1, len(known))
    return max(
        best_final(known, size, params.rho_variance) for size in range(lo, len(known) + unknown + 1)
    )


def _up(x: Fraction) -> float:
    """A float >= x (reports show an upper bound, never below the exact one)."""
    f = float(x)
    return f if Fraction(f) >= x else float(x + EPS)
