"""Seed-k reference replayed on seed j, for every pair of seeds 0..N-1 (default 30): the
success each generated scenario gives another seed's answers. The suite's tests check a
sample of pairs against the 0.3 gate; this prints the whole distribution.

    .venv/bin/python benchmarks/seed_replay.py [--seeds 30] [scenario ...]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from clawbench.agent import ScriptedModel, load_script, render_script, run_episode
from clawbench.pack import load_pack
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import instantiate, load_scenario
from clawbench.scoring import ScoringParams, score_episode

SUITE = Path(__file__).resolve().parents[1] / "scenarios"


def replay_table(name: str, seeds: int) -> list[tuple[float, int, int]]:
    scenario = load_scenario(SUITE / f"{name}.yaml")
    instances = [instantiate(scenario, s) for s in range(seeds)]
    script = load_script(SUITE / "scripts" / name / "reference.yaml")
    pack = load_pack(SUITE / "packs" / name / "optimized")
    rendered = [render_script(script, i.variables) for i in instances]
    rows = []
    for k in range(seeds):
        for j in range(seeds):
            if k == j:
                continue
            traj = asyncio.run(
                run_episode(instances[j], pack, ScriptedModel(rendered[k]), LocalSandbox())
            )
            score = score_episode(instances[j], traj, ScoringParams())
            rows.append((score.success_rate or 0.0, k, j))
    return sorted(rows, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_args()
    names = args.scenarios or sorted(
        p.stem for p in SUITE.glob("*.yaml") if load_scenario(p).spec.generator is not None
    )
    print(f"{'scenario':<20} {'pairs':>6} {'max':>7} {'mean':>7} {'>=0.3':>6}")
    for name in names:
        rows = replay_table(name, args.seeds)
        top = rows[0][0]
        mean = sum(r[0] for r in rows) / len(rows)
        over = sum(r[0] >= 0.3 for r in rows)
        print(f"{name:<20} {len(rows):>6} {top:>7.4f} {mean:>7.4f} {over:>6}")


if __name__ == "__main__":
    main()
