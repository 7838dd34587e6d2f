"""Reward labels and exports: thresholds, blockers, and JSONL that the `datasets` library
loads with the fields TRL's SFTTrainer (messages) and DPOTrainer (prompt/chosen/rejected) need."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from clawbench.trajectory import (
    ChatMessage,
    EpisodeSpec,
    ModelInfo,
    TerminationReason,
    ToolCallRequest,
    Trajectory,
)
from trajectoryrl.export import export_all, label_episode, load_episodes
from trajectoryrl.store import Store


def traj(pack: str, seed: int = 1, answer: str = "done") -> Trajectory:
    spec = EpisodeSpec(
        scenario="client_escalation",
        scenario_version="1.0.0",
        scenario_hash="s" * 64,
        pack_hash=pack,
        seed=seed,
        model=ModelInfo(provider="scripted", name="ref"),
        harness_version="0.1.0",
    )
    call = ToolCallRequest(
        id="call_0_0", name="exec", arguments={"command": "himalaya envelope list"}
    )
    return Trajectory(
        spec=spec,
        messages=[
            ChatMessage(role="system", content=f"pack {pack}"),
            ChatMessage(role="user", content="Triage the P0."),
            ChatMessage(role="assistant", tool_calls=[call]),
            ChatMessage(role="tool", tool_call_id="call_0_0", content="1  ACME  outage"),
            ChatMessage(role="assistant", content=answer),
        ],
        final_response=answer,
        termination=TerminationReason.FINAL_ANSWER,
    )


@pytest.mark.parametrize(
    ("score", "qualified", "label", "sft", "pref"),
    [
        (0.95, True, "gold", True, True),
        (0.85, True, "gold", True, True),
        (0.7, True, "silver", True, True),
        (0.66, True, "silver", True, False),
        (0.5, True, "bronze", False, False),
        (0.9, False, "rejected", False, True),
        (-0.3, False, "rejected", False, False),
        (1.4, True, "gold", True, True),
    ],
)
def test_labels_and_eligibility(
    score: float, qualified: bool, label: str, sft: bool, pref: bool
) -> None:
    r = label_episode(
        episode_id="e",
        epoch=1,
        traj=traj("p"),
        score={"scenario_score": score, "qualified": qualified},
        evaluator="clawbench/0.1.0",
    )
    assert (r.label, r.exportable_for_sft, r.exportable_for_preference) == (label, sft, pref)
    assert 0.0 <= r.score <= 1.0
    assert r.signed_score == (r.score if qualified else -r.score)
    assert r.exportable_for_sft == (not r.sft_blockers)


def test_missing_evaluator_identity_blocks_both_exports() -> None:
    r = label_episode(
        episode_id="e",
        epoch=1,
        traj=traj("p"),
        score={"scenario_score": 0.95, "qualified": True},
        evaluator=None,
    )
    assert not r.exportable_for_sft and "missing_evaluator_identity" in r.sft_blockers
    assert "missing_evaluator_identity" in r.preference_blockers and r.grader_kind == "unknown"


def test_exports_load_with_datasets(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    for key, pack, score, q in [
        ("k1", "good", 0.92, True),
        ("k2", "bad", 0.2, False),
        ("k3", "mid", 0.7, True),
    ]:
        store.store_evaluation(
            key,
            pack_hash=pack,
            scenario="client_escalation",
            seed=1,
            epoch=3,
            score_json=json.dumps({"scenario_score": score, "qualified": q}),
            trajectory_json=traj(pack, answer=f"answer by {pack}").model_dump_json(),
        )
    eps = load_episodes(store, evaluator="clawbench/0.1.0")
    counts = export_all(eps, tmp_path / "out")
    assert counts == {"rewards": 3, "sft": 2, "preference": 3}

    rewards = datasets.load_dataset(
        "json", data_files=str(tmp_path / "out/rewards.jsonl"), split="train"
    )
    assert set(rewards["label"]) == {"gold", "silver", "rejected"}

    sft = datasets.load_dataset("json", data_files=str(tmp_path / "out/sft.jsonl"), split="train")
    msgs = sft[0]["messages"]
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "tool", "assistant"]
    assert json.loads(msgs[2]["tool_calls"][0]["function"]["arguments"]) == {
        "command": "himalaya envelope list"
    }

    pref = datasets.load_dataset(
        "json", data_files=str(tmp_path / "out/preference.jsonl"), split="train"
    )
    row = next(r for r in pref if r["rejected_score"] == 0.2 and r["chosen_score"] == 0.92)
    assert row["prompt"][0]["role"] == "user"
    assert (
        row["chosen"][-1]["content"] == "answer by good"
        and row["rejected"][-1]["content"] == "answer by bad"
    )
    assert row["score_gap"] == pytest.approx(0.72)
    assert all(r["chosen_score"] >= 0.7 for r in pref)

    only_gold = load_episodes(store, evaluator="x", labels={"gold"})
    assert [e.reward.pack_hash for e in only_gold] == ["good"]
    assert load_episodes(store, evaluator="x", epochs={4}) == []
