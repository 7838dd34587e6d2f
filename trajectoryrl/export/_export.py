"""Reward labels for evaluated episodes, and training-data exports (TRL-ready JSONL).

Labels follow the reward-tool rules: the score is normalised to [0, 1]; outcome is success
when the episode qualified; signed score = score on success, -score on failure; label
rejected (failure) / gold (>= 0.85) / silver (>= 0.65) / bronze. Exports are gated: SFT needs
success, score >= 0.65, a rubric version and an evaluator identity; preference needs the
chosen side's score >= 0.7 with rubric and evaluator. Every blocker is recorded.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clawbench.trajectory import ChatMessage, Trajectory
from trajectoryrl.store import Store

SFT_MIN_SCORE = 0.65
PREFERENCE_MIN_SCORE = 0.7


class RewardRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    episode_id: str
    epoch: int
    pack_hash: str
    scenario: str
    seed: int
    rubric_version: str | None
    evaluator: str | None
    grader_kind: Literal["programmatic", "model", "human", "unknown"]
    outcome: Literal["success", "failure"]
    score: float
    signed_score: float
    label: Literal["gold", "silver", "bronze", "rejected"]
    exportable_for_sft: bool
    sft_blockers: list[str] = Field(default_factory=list)
    exportable_for_preference: bool
    preference_blockers: list[str] = Field(default_factory=list)


def label_episode(
    *,
    episode_id: str,
    epoch: int,
    traj: Trajectory,
    score: dict[str, Any],
    evaluator: str | None,
) -> RewardRecord:
    qualified = bool(score.get("qualified"))
    raw = float(score.get("scenario_score") or 0.0)
    norm = min(1.0, max(0.0, raw))
    outcome: Literal["success", "failure"] = "success" if qualified else "failure"
    rubric = traj.spec.scenario_version or None
    if outcome == "failure":
        label: Literal["gold", "silver", "bronze", "rejected"] = "rejected"
    elif norm >= 0.85:
        label = "gold"
    elif norm >= 0.65:
        label = "silver"
    else:
        label = "bronze"
    sft_blockers = []
    if outcome != "success":
        sft_blockers.append("outcome_not_success")
    if norm < SFT_MIN_SCORE:
        sft_blockers.append(f"score_below_{SFT_MIN_SCORE}")
    pref_blockers = []
    if norm < PREFERENCE_MIN_SCORE:
        pref_blockers.append(f"score_below_{PREFERENCE_MIN_SCORE}")
    for blockers in (sft_blockers, pref_blockers):
        if not rubric:
            blockers.append("missing_rubric_version")
        if not evaluator:
            blockers.append("missing_evaluator_identity")
    return RewardRecord(
        episode_id=episode_id,
        epoch=epoch,
        pack_hash=traj.spec.pack_hash,
        scenario=traj.spec.scenario,
        seed=traj.spec.seed,
        rubric_version=rubric,
        evaluator=evaluator,
        grader_kind="programmatic" if evaluator else "unknown",
        outcome=outcome,
        score=round(norm, 6),
        signed_score=round(norm if outcome == "success" else -norm, 6),
        label=label,
        exportable_for_sft=not sft_blockers,
        sft_blockers=sft_blockers,
        exportable_for_preference=not pref_blockers,
        preference_blockers=pref_blockers,
    )


def _chat(messages: Iterable[ChatMessage]) -> list[dict[str, Any]]:
    """OpenAI chat format, which TRL's trainers read: tool calls carry JSON-string arguments
    (a fixed Arrow schema whatever the tool's parameters)."""
    out = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content or ""}
        if m.tool_calls:
            item["tool_calls"] = [
                {
                    "id": tc.id,
                    "type": "function",
                    "function": {
                        "name": tc.name,
                        "arguments": json.dumps(tc.arguments, sort_keys=True),
                    },
                }
                for tc in m.tool_calls
            ]
        if m.tool_call_id:
            item["tool_call_id"] = m.tool_call_id
        out.append(item)
    return out


class Episode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    reward: RewardRecord
    trajectory: Trajectory


def load_episodes(
    store: Store,
    *,
    evaluator: str | None,
    epochs: set[int] | None = None,
    scenarios: set[str] | None = None,
    labels: set[str] | None = None,
) -> list[Episode]:
    rows = store.query(
        "SELECT cache_key, epoch, score_json, trajectory FROM evaluations ORDER BY epoch, cache_key"
    )
    out = []
    for row in rows:
        if epochs is not None and int(row["epoch"]) not in epochs:
            continue
        traj = Trajectory.model_validate_json(zlib.decompress(row["trajectory"]))
        if scenarios is not None and traj.spec.scenario not in scenarios:
            continue
        rec = label_episode(
            episode_id=str(row["cache_key"]),
            epoch=int(row["epoch"]),
            traj=traj,
            score=json.loads(row["score_json"]),
            evaluator=evaluator,
        )
        if labels is not None and rec.label not in labels:
            continue
        out.append(Episode(reward=rec, trajectory=traj))
    return out


def sft_rows(episodes: list[Episode]) -> list[dict[str, Any]]:
    return [
        {
            "messages": _chat(e.trajectory.messages),
            "episode_id": e.reward.episode_id,
            "scenario": e.reward.scenario,
            "score": e.reward.score,
            "label": e.reward.label,
        }
        for e in episodes
        if e.reward.exportable_for_sft
    ]


def preference_rows(episodes: list[Episode]) -> list[dict[str, Any]]:
    """Pairs from different packs on the same scenario and seed: the better one (eligible)
    chosen, a worse one rejected. The shared prompt is the task (the user turn): the system
    prompt is the pack itself and differs between the two sides, so it is left out."""
    groups: dict[tuple[str, int], list[Episode]] = defaultdict(list)
    for e in episodes:
        groups[(e.reward.scenario, e.reward.seed)].append(e)
    rows = []
    for (scenario, seed), group in sorted(groups.items()):
        group = sorted(group, key=lambda e: (-e.reward.score, e.reward.pack_hash))
        for i, chosen in enumerate(group):
            if not chosen.reward.exportable_for_preference:
                continue
            for rejected in group[i + 1 :]:
                if (
                    rejected.reward.pack_hash == chosen.reward.pack_hash
                    or rejected.reward.score >= chosen.reward.score
                ):
                    continue
                prompt = [m for m in chosen.trajectory.messages if m.role == "user"][:1]
                rows.append(
                    {
                        "prompt": _chat(prompt),
                        "chosen": _chat(
                            m for m in chosen.trajectory.messages if m.role in ("assistant", "tool")
                        ),
                        "rejected": _chat(
                            m
                            for m in rejected.trajectory.messages
                            if m.role in ("assistant", "tool")
                        ),
                        "scenario": scenario,
                        "seed": seed,
                        "chosen_score": chosen.reward.score,
                        "rejected_score": rejected.reward.score,
                        "score_gap": round(chosen.reward.score - rejected.reward.score, 6),
                    }
                )
    return rows


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> int:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, sort_keys=True) + "\n")
    tmp.replace(path)
    return len(rows)


def export_all(episodes: list[Episode], out_dir: str | Path) -> dict[str, int]:
    """Writes rewards.jsonl (every episode), sft.jsonl and preference.jsonl (eligible only)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "rewards": _write_jsonl(
            out / "rewards.jsonl", [json.loads(e.reward.model_dump_json()) for e in episodes]
        ),
        "sft": _write_jsonl(out / "sft.jsonl", sft_rows(episodes)),
        "preference": _write_jsonl(out / "preference.jsonl", preference_rows(episodes)),
    }
