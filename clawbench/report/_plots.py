"""Small inline SVG plots for the HTML pages: no scripts, no fonts or images fetched, and the
same records give the same bytes (coordinates are rounded, points sorted, colours fixed).

Every plotted value is a record's number; names (scenario ids) are escaped, because they come
from files a pack author may influence. Evaluator failures are never plotted (they are no
score); the caption says how many were left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from clawbench.report._view import EpisodeView

# Colour-blind-safe palette (Okabe-Ito), assigned to scenarios in the order they appear.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH = 640
LEFT, RIGHT, TOP = 52, 28, 14
PLOT_BOTTOM = 214  # the plot area's lower edge; axis labels and the legend go below
ROW = 14  # one line of text below the plot


def _n(x: float) -> str:
    """A coordinate, rounded so that output never depends on float noise."""
    return f"{x:.1f}"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    scenario: str
    seed: int
    label: str  # the hover text (a <title>)


def _frame(plot_id: str, label: str, body: list[str], caption: str, height: float) -> Markup:
    height = round(height)
    head = (
        f'<figure class="plot" id="{escape(plot_id)}"><svg '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(label)}" font-family="sans-serif" font-size="11">'
    )
    tail = f'</svg><figcaption class="muted">{escape(caption)}</figcaption></figure>'
    return Markup(head + "".join(body) + tail)


def _y_axis(lo: float, hi: float, title: str, ticks: Sequence[float]) -> list[str]:
    ph = PLOT_BOTTOM - TOP
    out = []
    for t in ticks:
        y = TOP + (1 - (t - lo) / (hi - lo)) * ph
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end" fill="#57606a">'
            f"{_tick(t)}</text>"
        )
    mid = TOP + ph / 2
    out.append(
        f'<text x="12" y="{_n(mid)}" text-anchor="middle" fill="#57606a" '
        f'transform="rotate(-90 12 {_n(mid)})">{escape(title)}</text>'
    )
    return out


def _tick(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:,.0f}"


def _sy(v: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return TOP + (1 - (min(max(v, lo), hi) - lo) / (hi - lo)) * (PLOT_BOTTOM - TOP)


def _sx(v: float, lo: float, hi: float) -> float:
    return LEFT + (min(max(v, lo), hi) - lo) / (hi - lo) * (WIDTH - LEFT - RIGHT)


def _dot(x: float, y: float, fill: str, p: Point, hollow: bool = False) -> str:
    paint = f'fill="#ffffff" stroke="{fill}"' if hollow else f'fill="{fill}" stroke="#ffffff"'
    return (
        f'<circle class="pt" cx="{_n(x)}" cy="{_n(y)}" r="4" {paint} stroke-width="1" '
        f'data-scenario="{escape(p.scenario)}" data-seed="{p.seed}">'
        f"<title>{escape(p.label)}</title></circle>"
    )


def _scenarios(episodes: Sequence[EpisodeView]) -> list[str]:
    return list(dict.fromkeys(e.scenario for e in episodes))


def _scored(episodes: Sequence[EpisodeView]) -> list[EpisodeView]:
    return [e for e in episodes if not e.evaluator_failed and e.final is not None]


def _left_out(episodes: Sequence[EpisodeView]) -> str:
    n = len(episodes) - len(_scored(episodes))
    return (
        f" {n} episode(s) without a score (evaluator failure or unscored) are not plotted."
        if n
        else ""
    )


def final_by_scenario(episodes: Sequence[EpisodeView]) -> Markup:
    """Each scenario's final score per seed (a dot per seed, a bar at the mean): how a pack's
    score spreads over seeds, and which scenario pulls the mean down."""
    names = _scenarios(episodes)
    scored = _scored(episodes)
    body = _y_axis(0.0, 1.0, "final score", (0.0, 0.25, 0.5, 0.75, 1.0))
    band = (WIDTH - LEFT - RIGHT) / max(len(names), 1)
    fits = all(6.5 * len(n) <= band - 6 for n in names)
    for i, name in enumerate(names):
        cx = LEFT + band * (i + 0.5)
        mine = sorted((e for e in scored if e.scenario == name), key=lambda e: e.seed)
        for j, e in enumerate(mine):
            assert e.final is not None
            x = cx + ((j % 7) - (min(len(mine), 7) - 1) / 2) * min(6.0, band / 10)
            label = f"{name} seed {e.seed}: final {e.final:.3f}"
            body.append(_dot(x, _sy(e.final), colour(i), Point(x, e.final, name, e.seed, label)))
        if mine:
            mean = sum(e.final or 0.0 for e in mine) / len(mine)
            half = min(band * 0.35, 40)
            body.append(
                f'<line class="mean" x1="{_n(cx - half)}" x2="{_n(cx + half)}" '
                f'y1="{_n(_sy(mean))}" y2="{_n(_sy(mean))}" stroke="#1f2328" stroke-width="2">'
                f"<title>{escape(name)}: mean {mean:.3f} over {len(mine)} seed(s)</title></line>"
            )
        text = name if fits else str(i + 1)
        body.append(
            f'<text x="{_n(cx)}" y="{PLOT_BOTTOM + ROW}" text-anchor="middle" '
            f'fill="#1f2328">{escape(text)}</text>'
        )
    height: float = PLOT_BOTTOM + ROW + 8
    if not fits:  # names too long for their column: numbers on the axis, names in a key
        keys, height = _legend(names, PLOT_BOTTOM + ROW + 4, numbered=True)
        body += keys
    return _frame(
        "plot-final-by-scenario",
        "final score per seed, by scenario",
        body,
        "Final score per seed (dots) and the mean over seeds (bar), by scenario."
        + _left_out(episodes),
        height,
    )


def _nice_max(v: float) -> float:
    """A round upper bound for an axis (1, 2, 2.5 or 5 times a power of ten)."""
    if v <= 0:
        return 1.0
    p = 1.0
    while p * 10 <= v:
        p *= 10
    while p > v:
        p /= 10
    for m in (1, 2, 2.5, 5, 10):
        if m * p >= v:
            return m * p
    return 10 * p


def _legend(names: list[str], top: float, numbered: bool = False) -> tuple[list[str], float]:
    """Colour keys for the scenarios, wrapped into rows from ``top``; returns the SVG and the
    y below the last row."""
    out = []
    x, y = float(LEFT), top + ROW
    for i, name in enumerate(names):
        text = f"{i + 1} {name}" if numbered else name
        width = 24 + 6.5 * len(text)
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, y = float(LEFT), y + ROW
        out.append(
            f'<circle cx="{_n(x + 4)}" cy="{_n(y - 4)}" r="4" fill="{colour(i)}"/>'
            f'<text x="{_n(x + 12)}" y="{_n(y)}" fill="#1f2328">{escape(text)}</text>'
        )
        x += width
    return out, y + 6


def tokens_vs_success(episodes: Sequence[EpisodeView]) -> Markup:
    """Each episode's success rate against the tokens it spent: a pack that buys success with
    tokens sits to the right; the cost penalty is a function of the same usage."""
    names = _scenarios(episodes)
    scored = sorted(_scored(episodes), key=lambda e: (names.index(e.scenario), e.seed))
    hi = _nice_max(max((e.total_tokens for e in scored), default=0))
    body = _y_axis(0.0, 1.0, "success rate", (0.0, 0.25, 0.5, 0.75, 1.0))
    bottom = PLOT_BOTTOM
    for k in range(5):
        t = hi * k / 4
        x = _sx(t, 0, hi)
        body.append(
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{TOP}" y2="{bottom}" stroke="#eaeef2"/>'
            f'<text x="{_n(x)}" y="{bottom + 14}" text-anchor="middle" fill="#57606a">'
            f"{t:,.0f}</text>"
        )
    body.append(
        f'<text x="{_n((LEFT + WIDTH - RIGHT) / 2)}" y="{bottom + 30}" text-anchor="middle" '
        f'fill="#57606a">tokens per episode</text>'
    )
    for e in scored:
        i = names.index(e.scenario)
        success = e.success if e.success is not None else 0.0
        label = (
            f"{e.scenario} seed {e.seed}: success {success:.3f}, {e.total_tokens} tokens, "
            f"{len(e.tool_calls)} tool calls"
        )
        x, y = _sx(e.total_tokens, 0, hi), _sy(success)
        body.append(_dot(x, y, colour(i), Point(x, y, e.scenario, e.seed, label)))
    keys, height = _legend(names, bottom + 34)
    body += keys
    return _frame(
        "plot-tokens-vs-success",
        "success rate against tokens per episode",
        body,
        "Success rate against tokens per episode (one dot per episode, coloured by scenario)."
        + _left_out(episodes),
        height,
    )


def paired_finals(pairs: Sequence[tuple[str, int, float, float]]) -> Markup:
    """Run B's final against run A's on each (scenario, seed) both scored: dots above the
    diagonal are seeds where B did better."""
    names = list(dict.fromkeys(p[0] for p in pairs))
    body = _y_axis(0.0, 1.0, "final in B", (0.0, 0.25, 0.5, 0.75, 1.0))
    bottom = PLOT_BOTTOM
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = _sx(t, 0, 1)
        body.append(
            f'<text x="{_n(x)}" y="{bottom + 14}" text-anchor="middle" fill="#57606a">'
            f"{t:.2f}</text>"
        )
    body.append(
        f'<text x="{_n((LEFT + WIDTH - RIGHT) / 2)}" y="{bottom + 30}" text-anchor="middle" '
        f'fill="#57606a">final in A</text>'
        f'<line class="diagonal" x1="{_n(_sx(0, 0, 1))}" y1="{_n(_sy(0))}" '
        f'x2="{_n(_sx(1, 0, 1))}" y2="{_n(_sy(1))}" stroke="#8c959f" stroke-dasharray="4 3"/>'
    )
    for name, seed, a, b in sorted(pairs, key=lambda p: (names.index(p[0]), p[1])):
        label = f"{name} seed {seed}: A {a:.3f}, B {b:.3f} (Δ {b - a:+.3f})"
        x, y = _sx(a, 0, 1), _sy(b)
        body.append(_dot(x, y, colour(names.index(name)), Point(x, y, name, seed, label)))
    keys, height = _legend(names, bottom + 34)
    body += keys
    return _frame(
        "plot-paired-finals",
        "final in B against final in A, per seed",
        body,
        "Final in B against final in A on each seed both runs scored; above the dashed "
        "diagonal B did better.",
        height,
    )
