"""Scoring time against the length of a reply the pack's agent wrote. The validator scores
every episode; a cost quadratic in the reply's length would let one pack stall an epoch.

    .venv/bin/python benchmarks/score_scaling.py                 # 16k and 64k characters
    .venv/bin/python benchmarks/score_scaling.py --big           # and 256k

Each generated scenario's seed-0 reference episode is scored with its final reply replaced
by adversarial text of each shape (base64, random words, one endless clause repeating the
fact, many short sentences stating it, numbers, letter-spaced text). Printed per shape: the
seconds at each length and the ratio of the last to the first; linear is the length ratio
(4x per step), quadratic its square (16x). Target: every ratio within 1.5x of linear.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import random
import time
from pathlib import Path

from clawbench.agent import ScriptedModel, load_script, render_script, run_episode
from clawbench.pack import load_pack
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import instantiate, load_scenario
from clawbench.scoring import ScoringParams, score_episode

SUITE = Path(__file__).resolve().parents[1] / "scenarios"
SHAPES = ("b64", "words", "repeat", "sentences", "digits", "spaced")


def adversarial(shape: str, n: int, fact: str, rng: random.Random) -> str:
    if shape == "b64":
        return base64.b64encode(rng.randbytes(n * 3 // 4)).decode()
    if shape == "words":
        pool = ["not", "the", "PR", "#1234", "is", "never", "fix", "root", "cause:"]
        return " ".join(rng.choice(pool) for _ in range(n // 4))
    if shape == "repeat":
        unit = f"the answer is {fact} and "
        return unit * (n // len(unit))
    if shape == "sentences":
        unit = f"Answer: {fact}. "
        return unit * (n // len(unit))
    if shape == "digits":
        return " ".join(str(rng.randrange(10**6)) for _ in range(n // 7))
    return " ".join("a b c d e f 1 2 3 , . %".split() * (n // 24))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="also 256,000 characters")
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_args()
    sizes = [16_000, 64_000, *([256_000] if args.big else [])]
    names = args.scenarios or sorted(
        p.stem for p in SUITE.glob("*.yaml") if "generator:" in p.read_text()
    )
    worst = 0.0
    print(
        f"{'scenario':<22}{'shape':<11}" + "".join(f"{n // 1000:>7}k s" for n in sizes) + "   ratio"
    )
    for name in names:
        scenario = load_scenario(SUITE / f"{name}.yaml")
        inst = instantiate(scenario, 0)
        script = load_script(SUITE / "scripts" / name / "reference.yaml")
        pack = load_pack(SUITE / "packs" / name / "optimized")
        model = ScriptedModel(render_script(script, inst.variables))
        traj = asyncio.run(run_episode(inst, pack, model, LocalSandbox()))
        fact = next(iter(inst.truth.facts.values())).value if inst.truth else "the answer"
        for shape in SHAPES:
            secs = []
            for n in sizes:
                text = adversarial(shape, n, fact, random.Random(n))
                t0 = time.perf_counter()
                score_episode(
                    inst, traj.model_copy(update={"final_response": text}), ScoringParams()
                )
                secs.append(time.perf_counter() - t0)
            ratio = secs[-1] / max(secs[0], 1e-6)
            linear = sizes[-1] / sizes[0]
            cells = "".join(f"{s:>9.3f}" for s in secs)
            if secs[-1] < 0.1:  # too fast to tell a shape from timer noise
                print(f"{name:<22}{shape:<11}{cells}   (under 0.1 s)")
                continue
            worst = max(worst, ratio / linear)
            print(f"{name:<22}{shape:<11}{cells}   {ratio:5.1f}x (linear {linear:.0f}x)")
    linear = sizes[-1] / sizes[0]
    print(f"worst ratio / linear: {worst:.2f} (target <= 1.5; quadratic: {linear:.0f})")


if __name__ == "__main__":
    main()
