"""The hostile-subnet soak at larger scale: epochs with weights out of epochs, peak memory and
open descriptors of the validator's process.

    python benchmarks/soak.py                       # 12 epochs, honest and hostile miners
    python benchmarks/soak.py --epochs 5 --extra-honest 0   # the CI test's size

Runs ``trajectoryrl localnet``'s hostile plan (``HOSTILE_MINERS``: honest miners plus one
miner per known attack: lone-surrogate tool arguments, a flood of tool output, a duplicate-key
pack.json, junk in the forge's push log, 300 slow-loris connections held against the honest
miner) plus ``--extra-honest`` more honest miners (each a padded reference, scoring lower),
with the real validator, chain, forge, btauth/1 and harness; only the model is scripted.

Printed: epochs with weights / epochs (target 1.0), epochs the honest best pack won / epochs
(target 1.0), epochs an attacker won (target 0), peak RSS of the process (``ru_maxrss``) and
the most descriptors it held open (sampled every 0.2 s). Everything runs in this one process
(miners, forge hooks aside), so RSS and descriptors bound the validator's from above.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trajectoryrl.localnet import HOSTILE_MINERS, MinerPlan, run_localnet  # noqa: E402

ATTACKERS = {"surrogate", "flood", "dupkeys", "junk", "loris"}


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--extra-honest", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=None)
    opts = parser.parse_args()
    miners = list(HOSTILE_MINERS) + [
        MinerPlan(name=f"honest-{i}", plays=f"pad:{i + 1}") for i in range(opts.extra_honest)
    ]
    peak_fds = [_fds()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak_fds[0] = max(peak_fds[0], _fds())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        root = opts.dir or Path(tmp) / "net"
        result = asyncio.run(
            run_localnet(
                root=root,
                epochs=opts.epochs,
                suite_dir=ROOT / "scenarios",
                miners=miners,
                console=Console(file=io.StringIO()),
            )
        )
    done.set()
    wall = time.monotonic() - started
    with_weights = sum(1 for e in result.epochs if e.status == "weights_set")
    honest_won = sum(1 for e in result.epochs if e.winner == "honest")
    attacker_won = sum(1 for e in result.epochs if e.winner in ATTACKERS)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(result.epochs)
    print(f"miners: {len(miners)} ({len(ATTACKERS)} attackers), epochs: {n}, wall {wall:.1f} s")
    print(
        f"epochs with weights / epochs: {with_weights}/{n} = {with_weights / n:.2f} (target 1.00)"
    )
    print(f"honest best paid / epochs:    {honest_won}/{n} = {honest_won / n:.2f} (target 1.00)")
    print(f"epochs an attacker won:       {attacker_won} (target 0)")
    print(f"peak RSS: {rss_mb:.0f} MB; most open descriptors: {peak_fds[0]}")
    return 0 if with_weights == n and honest_won == n and attacker_won == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
