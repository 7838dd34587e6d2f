"""Two runs compared: score deltas with their uncertainty, per-check flips by seed, and a diff
of the two packs. Shared by ``compare``'s table, its ``--json`` and its ``--html`` page.

Seeds fix a scenario's instance, so when both runs scored a scenario on the same seeds the
delta is paired (mean of per-seed differences); otherwise the two means are compared as
independent samples (Welch). The interval is a two-sided 95% Student-t interval; with fewer
than two values per side there is no interval ("–"), never a made-up one.
"""

from __future__ import annotations

import difflib
import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawbench.errors import ClawBenchError
from clawbench.pack import PolicyBundle, load_pack
from clawbench.report._run import RunData
from clawbench.report._view import EpisodeView, RunView, run_view, summary_dict

# Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30; above 30 the value of the
# next lower tabulated df is used (a slightly wider, never narrower, interval).
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_T975_TAIL = ((120, 1.980), (60, 2.000), (40, 2.021), (30, 2.042))


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (df >= 1)."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    return next(t for lo, t in _T975_TAIL if df >= lo)


@dataclass(frozen=True)
class Delta:
    """B − A of a mean, with the half-width of its 95% interval (None: too few values)."""

    a: float | None
    b: float | None
    delta: float | None
    ci95: float | None
    method: str  # "paired (n seeds)", "independent (nA, nB)", or why there is no interval

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "delta": self.delta,
            "ci95": self.ci95,
            "method": self.method,
        }


def delta_of(a: dict[Any, float], b: dict[Any, float], unit: str = "seeds") -> Delta:
    """Values of A and B keyed by seed (or episode; evaluator failures already left out) ->
    their delta: paired when both have the same keys, else independent samples."""
    ma = statistics.fmean(a.values()) if a else None
    mb = statistics.fmean(b.values()) if b else None
    if ma is None or mb is None:
        return Delta(ma, mb, None, None, "no scored episode on one side")
    d = mb - ma
    if set(a) == set(b):
        n = len(a)
        if n < 2:
            return Delta(ma, mb, d, None, f"a single {unit[:-1]}: no interval")
        diffs = [b[k] - a[k] for k in sorted(a)]
        se = statistics.stdev(diffs) / math.sqrt(n)
        return Delta(ma, mb, d, t975(n - 1) * se, f"paired over {n} {unit}")
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return Delta(ma, mb, d, None, f"fewer than 2 {unit} on one side: no interval")
    se = math.sqrt(statistics.variance(a.values()) / na + statistics.variance(b.values()) / nb)
    return Delta(ma, mb, d, t975(min(na, nb) - 1) * se, f"independent ({na} vs {nb} {unit})")


@dataclass(frozen=True)
class CheckChange:
    """One check of one scenario in A and B: how often it passed, and on which seeds (scored
    in both runs) it flipped."""

    scenario: str
    check: str
    a_passed: int
    a_total: int
    b_passed: int
    b_total: int
    fixed: list[int]  # failed in A, passed in B
    broke: list[int]  # passed in A, failed in B

    @property
    def changed(self) -> bool:
        return bool(self.fixed or self.broke) or self.a_total == 0 or self.b_total == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "check": self.check,
            "a": {"passed": self.a_passed, "of": self.a_total},
            "b": {"passed": self.b_passed, "of": self.b_total},
            "fixed_on_seeds": self.fixed,
            "broke_on_seeds": self.broke,
        }


@dataclass(frozen=True)
class SeedRow:
    scenario: str
    seed: int
    a: float | None  # None: not run, unscored or an evaluator failure
    b: float | None
    a_status: str
    b_status: str

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True)
class FileDiff:
    """One pack file (or the pack's settings) in A and B, as a unified diff."""

    name: str
    status: str  # "same", "changed", "added" (only in B), "removed" (only in A)
    lines: list[str]  # unified diff lines, without trailing newlines
    added: int
    removed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "status": self.status,
            "added": self.added,
            "removed": self.removed,
            "diff": self.lines,
        }


SETTINGS = "(settings)"  # tool_policy, stop_rules, approval_gates, metadata as JSON


@dataclass
class PackDiff:
    hash_a: str
    hash_b: str
    files: list[FileDiff] = field(default_factory=list)
    note: str = ""  # why there is no diff (a pack.json missing or unreadable)

    @property
    def identical(self) -> bool:
        return self.hash_a == self.hash_b

    @property
    def changed(self) -> list[FileDiff]:
        return [f for f in self.files if f.status != "same"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.hash_a,
            "b": self.hash_b,
            "identical": self.identical,
            "note": self.note,
            "files": [f.as_dict() for f in self.files],
        }


def _pack_texts(pack: PolicyBundle) -> dict[str, str]:
    texts = dict(pack.files)
    settings = pack.model_dump(mode="json", exclude_none=True)
    settings.pop("files", None)
    texts[SETTINGS] = json.dumps(settings, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return texts


def diff_packs(a: PolicyBundle, b: PolicyBundle, hash_a: str, hash_b: str) -> PackDiff:
    ta, tb = _pack_texts(a), _pack_texts(b)
    names = sorted(set(ta) | set(tb), key=lambda n: (n == SETTINGS, n))
    out = PackDiff(hash_a=hash_a, hash_b=hash_b)
    for name in names:
        x, y = ta.get(name), tb.get(name)
        status = (
            "added" if x is None else "removed" if y is None else "same" if x == y else "changed"
        )
        lines = [
            ln.rstrip("\n")
            for ln in difflib.unified_diff(
                (x or "").splitlines(keepends=True),
                (y or "").splitlines(keepends=True),
                fromfile=f"A/{name}" if x is not None else "/dev/null",
                tofile=f"B/{name}" if y is not None else "/dev/null",
                n=3,
            )
        ]
        body = lines[2:]
        out.files.append(
            FileDiff(
                name=name,
                status=status,
                lines=lines,
                added=sum(1 for ln in body if ln.startswith("+")),
                removed=sum(1 for ln in body if ln.startswith("-")),
            )
        )
    return out


def _run_pack_diff(a: RunData, b: RunData) -> PackDiff:
    ha, hb = a.manifest.pack_hash, b.manifest.pack_hash
    packs = []
    for run in (a, b):
        path = Path(run.path) / "pack.json"
        try:
            packs.append(load_pack(path))
        except (ClawBenchError, OSError) as err:
            return PackDiff(ha, hb, note=f"{path}: no pack to diff ({err})")
    return diff_packs(packs[0], packs[1], ha, hb)


def _finals(eps: list[EpisodeView], scenario: str) -> dict[int, float]:
    return {
        e.seed: e.final
        for e in eps
        if e.scenario == scenario and e.final is not None and not e.evaluator_failed
    }


def _verdicts(eps: list[EpisodeView], scenario: str) -> dict[int, dict[str, bool]]:
    return {
        e.seed: {c.id: c.passed for c in e.checks}
        for e in eps
        if e.scenario == scenario and e.scored and not e.evaluator_failed
    }


def _status(e: EpisodeView | None) -> str:
    return "not run" if e is None else e.status


@dataclass
class CompareView:
    a: RunView
    b: RunView
    scenarios: list[str]
    deltas: dict[str, Delta]  # per scenario, of the mean final
    overall: Delta  # over every (scenario, seed) of the episode finals
    seed_rows: list[SeedRow]
    checks: list[CheckChange]
    pack_diff: PackDiff
    warnings: list[str]

    @property
    def final_delta(self) -> float | None:
        fa, fb = self.a.final, self.b.final
        return None if fa is None or fb is None else fb - fa

    @property
    def flips(self) -> list[CheckChange]:
        return [c for c in self.checks if c.changed]


def compare_view(a: RunData, b: RunData, warnings: list[str] | None = None) -> CompareView:
    va, vb = run_view(a), run_view(b)
    names = list(dict.fromkeys([s.scenario for s in va.scenarios + vb.scenarios]))
    deltas = {n: delta_of(_finals(va.episodes, n), _finals(vb.episodes, n)) for n in names}
    overall = delta_of(_keys(va), _keys(vb), "episodes")
    ea = {(e.scenario, e.seed): e for e in va.episodes}
    eb = {(e.scenario, e.seed): e for e in vb.episodes}
    rows = []
    for n in names:
        seeds = sorted({s for (sc, s) in list(ea) + list(eb) if sc == n})
        for s in seeds:
            x, y = ea.get((n, s)), eb.get((n, s))
            rows.append(
                SeedRow(
                    scenario=n,
                    seed=s,
                    a=None if x is None or x.evaluator_failed else x.final,
                    b=None if y is None or y.evaluator_failed else y.final,
                    a_status=_status(x),
                    b_status=_status(y),
                )
            )
    checks = []
    for n in names:
        pa, pb = _verdicts(va.episodes, n), _verdicts(vb.episodes, n)
        ids = list(dict.fromkeys([c for v in (*pa.values(), *pb.values()) for c in v]))
        common = sorted(set(pa) & set(pb))
        for cid in ids:
            xa = [v[cid] for v in pa.values() if cid in v]
            xb = [v[cid] for v in pb.values() if cid in v]
            both = [s for s in common if cid in pa[s] and cid in pb[s]]
            checks.append(
                CheckChange(
                    scenario=n,
                    check=cid,
                    a_passed=sum(xa),
                    a_total=len(xa),
                    b_passed=sum(xb),
                    b_total=len(xb),
                    fixed=[s for s in both if not pa[s][cid] and pb[s][cid]],
                    broke=[s for s in both if pa[s][cid] and not pb[s][cid]],
                )
            )
    return CompareView(
        a=va,
        b=vb,
        scenarios=names,
        deltas=deltas,
        overall=overall,
        seed_rows=rows,
        checks=checks,
        pack_diff=_run_pack_diff(a, b),
        warnings=list(warnings or []),
    )


def _keys(v: RunView) -> dict[tuple[str, int], float]:
    return {
        (e.scenario, e.seed): e.final
        for e in v.episodes
        if e.final is not None and not e.evaluator_failed
    }


def compare_dict(cv: CompareView) -> dict[str, Any]:
    """Everything ``compare`` shows, as JSON (None is "no number")."""
    sa = {s.scenario: s for s in cv.a.scenarios}
    sb = {s.scenario: s for s in cv.b.scenarios}
    rows = []
    for name in cv.scenarios:
        row: dict[str, Any] = {"scenario": name}
        for part in ("success", "safety", "final"):
            x = getattr(sa[name], part) if name in sa else None
            y = getattr(sb[name], part) if name in sb else None
            row[part] = {"a": x, "b": y, "delta": None if x is None or y is None else y - x}
        row["final"]["ci95"] = cv.deltas[name].ci95
        row["final"]["method"] = cv.deltas[name].method
        rows.append(row)
    return {
        "a": {"run_dir": cv.a.path, **summary_dict(cv.a)},
        "b": {"run_dir": cv.b.path, **summary_dict(cv.b)},
        "scenarios": rows,
        "final_delta": cv.final_delta,
        "episode_mean_delta": cv.overall.as_dict(),
        "seeds": [
            {
                "scenario": r.scenario,
                "seed": r.seed,
                "a": r.a,
                "b": r.b,
                "delta": r.delta,
                "a_status": r.a_status,
                "b_status": r.b_status,
            }
            for r in cv.seed_rows
        ],
        "checks": [c.as_dict() for c in cv.checks],
        "pack_diff": cv.pack_diff.as_dict(),
        "warnings": cv.warnings,
    }
