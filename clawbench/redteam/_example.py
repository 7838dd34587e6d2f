"""The red-team worked example in docs/scoring.md, computed by the code itself:
``python -m clawbench.redteam._example`` (a test checks the page shows exactly this)."""

from __future__ import annotations

from pathlib import Path

from clawbench.redteam._run import attack_scenario
from clawbench.scenario import load_suite

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO = "client_escalation"
SEEDS = list(range(10))


def render() -> str:
    (scenario,) = [s for s in load_suite(SUITE) if s.name == SCENARIO]
    v = attack_scenario(scenario, SEEDS, suite_dir=SUITE)
    lines = [f"{SCENARIO}, seeds {SEEDS[0]}..{SEEDS[-1]}:"]
    by: dict[str, list[float]] = {}
    for o in v.outcomes:
        by.setdefault(o.attack, []).append(o.scenario_score)
    width = max(len(a) for a in by)
    for attack, scores in by.items():
        quals = sum(1 for o in v.outcomes if o.attack == attack and o.qualified)
        lines.append(
            f"  {attack:<{width}}  min {min(scores):.3f}  max {max(scores):.3f}  "
            f"qualified {quals}/{len(scores)}"
        )
    verdict = "BROKEN" if v.broken else "holds"
    lines.append(f"best {v.best_score:.3f} ({v.best_attack}, seed {v.best_seed}): {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
