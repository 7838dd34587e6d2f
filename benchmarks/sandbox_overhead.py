"""What the docker sandbox costs per episode, against the in-process world.

    python benchmarks/sandbox_overhead.py [--episodes 12] [--scenario morning_brief]

Runs the scenario's reference script (scripted model, so the time is the harness's own) N
times with LocalSandbox and N times with DockerSandbox, prints the median added seconds per
episode (target <= 1.0 s), then runs 2N docker episodes with 2 concurrent sandboxes and
prints episodes per second. Needs a Docker engine and the sandbox image
(scripts/ci_setup.sh, or `python3 clawbench/sandbox/container/build.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from clawbench.agent import ScriptedModel, load_script, run_episode
from clawbench.pack import load_pack
from clawbench.sandbox import DockerSandbox, LocalSandbox, Sandbox
from clawbench.scenario import instantiate, load_scenario
from clawbench.trajectory import TerminationReason

SUITE = Path(__file__).resolve().parents[1] / "scenarios"


async def one(scenario: str, seed: int, sandbox: Sandbox) -> float:
    script = load_script(SUITE / "scripts" / scenario / "reference.yaml")
    instance = instantiate(load_scenario(SUITE / f"{scenario}.yaml"), seed)
    pack = load_pack(SUITE / "packs" / scenario / (script.pack or "optimized"))
    started = time.perf_counter()
    traj = await run_episode(instance, pack, ScriptedModel(script, instance.variables), sandbox)
    elapsed = time.perf_counter() - started
    if traj.termination is not TerminationReason.FINAL_ANSWER:
        raise SystemExit(f"{sandbox.name}: episode ended with {traj.termination}: {traj.errors}")
    return elapsed


async def main(episodes: int, scenario: str) -> None:
    local = LocalSandbox(allow_real_shell=True)
    docker = DockerSandbox()
    try:
        await one(scenario, 0, docker)  # warm-up: image check, orphan clean-up, page cache
        local_t = [await one(scenario, i, local) for i in range(episodes)]
        docker_t = [await one(scenario, i, docker) for i in range(episodes)]
        added = statistics.median(docker_t) - statistics.median(local_t)
        print(f"scenario {scenario}, {episodes} episodes each, image {docker.image}")
        print(
            f"median episode: local {statistics.median(local_t):.3f} s, "
            f"docker {statistics.median(docker_t):.3f} s"
        )
        print(
            f"median added seconds per episode (docker vs local): {added:.3f} s "
            f"(target <= 1.0 s: {'met' if added <= 1.0 else 'MISSED'})"
        )

        gate = asyncio.Semaphore(2)

        async def gated(seed: int) -> float:
            async with gate:
                return await one(scenario, seed, docker)

        started = time.perf_counter()
        await asyncio.gather(*(gated(i) for i in range(2 * episodes)))
        wall = time.perf_counter() - started
        print(
            f"docker, 2 concurrent sandboxes: {2 * episodes} episodes in {wall:.2f} s = "
            f"{2 * episodes / wall:.2f} episodes/s"
        )
        assert docker.containers() == [], "containers left behind"
    finally:
        await docker.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--scenario", default="morning_brief")
    opts = parser.parse_args()
    asyncio.run(main(opts.episodes, opts.scenario))
