"""The worked example of docs/scoring.md (precision rules): one generated instance's ground
truth, and how ``fact_answer`` judges a few replies to it, computed by the real code.

Run ``python -m clawbench.scenario._example``; a test checks that the page shows exactly
this output, so the documentation cannot drift from the generators or the scorer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
NAME, SEED = "client_escalation", 0


def render() -> str:
    from clawbench.agent import ScriptedModel, load_script, run_episode
    from clawbench.pack import load_pack
    from clawbench.sandbox import LocalSandbox
    from clawbench.scenario import instantiate, load_scenario
    from clawbench.scoring import ScoringParams, score_episode

    scenario = load_scenario(SUITE / f"{NAME}.yaml")
    instance = instantiate(scenario, SEED)
    truth = instance.truth
    assert truth is not None
    out = [f"{NAME} seed {SEED}: ground truth"]
    for key, fact in truth.facts.items():
        out.append(f"  {key:<12} {fact.value}  [{fact.source}]")
        for rival in fact.decoys:
            out.append(f"  {'':<12} decoy: {rival.value}  [{rival.source}] ({rival.note})")
        out.append(f"  {'':<12} + {len(fact.rivals) - len(fact.decoys)} other candidates")
    other = instantiate(scenario, SEED + 1).truth
    assert other is not None
    out.append(
        f"{NAME} seed {SEED + 1}: "
        + "; ".join(f"{k} = {other.facts[k].value}" for k in ("root_cause", "fix_pr", "eta"))
    )

    script = load_script(SUITE / "scripts" / NAME / "reference.yaml")
    pack = load_pack(SUITE / "packs" / NAME / "optimized")
    traj = asyncio.run(
        run_episode(instance, pack, ScriptedModel(script, instance.variables), LocalSandbox())
    )
    fix = truth.facts["fix_pr"]
    decoy = fix.decoys[0].value
    replies = [
        ("after the reference's reads", f"Fix: {fix.value}", traj),
        ("after the reference's reads", f"Fix: {decoy}", traj),
        ("after the reference's reads", f"Fix: {fix.value} (or {decoy})", traj),
        ("after the reference's reads", "Fix: PR #1234 or PR #5678", traj),
        ("with no tool call", f"Fix: {fix.value}", traj.model_copy(update={"tool_calls": []})),
    ]
    out.append("check fix_pr (fact_answer, label 'Fix'):")
    for where, reply, base in replies:
        score = score_episode(
            instance, base.model_copy(update={"final_response": reply}), ScoringParams()
        )
        check = next(c for c in score.checks if c.id == "fix_pr")
        verdict = "pass" if check.passed else "FAIL"
        out.append(f"  {reply!r:<36} {where:<28} {verdict}: {check.evidence}")
    return "\n".join(out)


if __name__ == "__main__":
    print(render())
