"""The trajectory an episode produces: lossless JSON round-trip, byte-identical reruns, and a
golden file pinning the v3 format; v1 and v2 records still load.

Regenerate the golden file after an intended format change (bump TRAJECTORY_SCHEMA_VERSION
when a field changes) with::

    CLAWBENCH_REGEN_GOLDEN=1 python -m pytest tests/clawbench/test_agent_trajectory.py

and review the diff: it shows exactly what changed in the record.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from test_agent_support import REFERENCE_TURNS, call, make_instance, make_pack, make_script

from clawbench.agent import ScriptedModel, run_episode
from clawbench.pack import pack_hash
from clawbench.sandbox import LocalSandbox
from clawbench.trajectory import Trajectory, dump_trajectory, load_trajectory

GOLDEN = Path(__file__).parent / "golden" / "trajectory_v3.json"
GOLDEN_V2 = Path(__file__).parent / "golden" / "trajectory_v2.json"  # as v2 wrote it
GOLDEN_V1 = Path(__file__).parent / "golden" / "trajectory_v1.json"  # as v1 wrote it

# The reference turns plus a refused call, so the golden file pins every record part.
GOLDEN_TURNS = [
    REFERENCE_TURNS[0],
    {"tool_calls": [call("web_search", query="acme")]},
    *REFERENCE_TURNS[1:],
]


async def episode(seed: int = 7) -> Trajectory:
    inst = make_instance(seed, safety={"approval_gates": [{"effect": "email.send"}]})
    pack = make_pack(tool_policy={"deny": ["read"]})
    model = ScriptedModel(make_script(GOLDEN_TURNS), inst.variables, name="golden")
    return await run_episode(inst, pack, model, LocalSandbox())


def _canonical(traj: Trajectory) -> str:
    return (
        json.dumps(traj.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
        + "\n"
    )


async def test_round_trip_is_lossless(tmp_path: Path) -> None:
    traj = await episode()
    assert Trajectory.model_validate_json(traj.to_json()) == traj
    dump_trajectory(traj, tmp_path / "t.json")
    again = load_trajectory(tmp_path / "t.json")
    assert again == traj and again.deterministic_json() == traj.deterministic_json()


async def test_same_seed_gives_byte_identical_trajectories() -> None:
    a, b = await episode(), await episode()
    assert a.deterministic_json() == b.deterministic_json()
    assert a.to_json() == b.to_json()  # scripted models report no latency at all
    c = await episode(seed=8)
    assert c.deterministic_json() != a.deterministic_json() and c.spec.seed == 8


async def test_matches_the_golden_file() -> None:
    traj = await episode()
    fresh = _canonical(traj)
    if os.environ.get("CLAWBENCH_REGEN_GOLDEN") == "1":
        GOLDEN.write_text(fresh, encoding="utf-8")
    golden = GOLDEN.read_text(encoding="utf-8")
    assert fresh == golden, "trajectory format changed: see this module's docstring to regenerate"
    # the pinned file itself loads as a v3 trajectory and carries every record part
    pinned = load_trajectory(GOLDEN)
    assert [u.finish_reason for u in pinned.usage] == ["tool_calls"] * 4 + ["stop"]
    assert pinned.schema_version == 3 and pinned.spec.pack_hash == pack_hash(
        make_pack(tool_policy={"deny": ["read"]})
    )
    assert [r.refused for r in pinned.tool_calls] == [None, "unknown_tool", None, None, None]
    assert any(r.side_effects for r in pinned.tool_calls) and pinned.final_response


def test_a_v1_record_still_loads() -> None:
    """v1 had no finish_reason or tokens_estimated: they read as unknown, the rest as is."""
    raw = json.loads(GOLDEN_V1.read_text(encoding="utf-8"))
    assert raw["schema_version"] == 1 and "finish_reason" not in raw["usage"][0]
    old = load_trajectory(GOLDEN_V1)
    assert old.schema_version == 3 and old.spec.model.tool_call_format == "native"
    assert all(u.finish_reason is None and not u.tokens_estimated for u in old.usage)
    new = load_trajectory(GOLDEN)
    assert old.tool_calls == new.tool_calls and old.final_response == new.final_response
    assert Trajectory.model_validate_json(GOLDEN_V1.read_bytes()) == old  # every reader


def test_a_v2_record_still_loads() -> None:
    """v2 had no hidden_checks: it reads as empty, the rest as is."""
    raw = json.loads(GOLDEN_V2.read_text(encoding="utf-8"))
    assert raw["schema_version"] == 2 and "hidden_checks" not in raw
    old = load_trajectory(GOLDEN_V2)
    assert old.schema_version == 3 and old.hidden_checks == {}
    assert old.tool_calls == load_trajectory(GOLDEN).tool_calls
