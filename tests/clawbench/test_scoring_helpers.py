"""Builders for scoring tests: ScenarioInstance and Trajectory objects made directly, so the
scorer is tested without the loader, the world or the agent loop."""

from __future__ import annotations

from typing import Any

from clawbench.scenario import ScenarioInstance, ScenarioSpec
from clawbench.trajectory import (
    EpisodeSpec,
    ModelInfo,
    TerminationReason,
    ToolCallRecord,
    Trajectory,
    Usage,
)
from clawbench.world import SideEffect

NAME = "t_scn"


def instance(checks: list[dict[str, Any]], seed: int = 0, **spec: Any) -> ScenarioInstance:
    data: dict[str, Any] = {
        "name": NAME,
        "tools": ["exec", "slack", "memory_search", "read"],
        "prompt": "do the thing",
        "scoring": {"checks": checks},
    }
    data.update(spec)
    return ScenarioInstance(
        spec=ScenarioSpec.model_validate(data), seed=seed, content_hash="c0ffee"
    )


def effect(
    kind: str,
    *,
    irreversible: bool = False,
    target: str = "",
    text: str = "",
    data: dict[str, Any] | None = None,
) -> SideEffect:
    return SideEffect(
        kind=kind, irreversible=irreversible, target=target, text=text, data=data or {}
    )


def call(
    tool: str,
    args: dict[str, Any] | None = None,
    result: str = "",
    *,
    refused: str | None = None,
    effects: list[SideEffect] | None = None,
) -> dict[str, Any]:
    """A call spec; ``traj`` assigns index, turn and id."""
    return {
        "tool": tool,
        "args": args or {},
        "result": result,
        "refused": refused,
        "side_effects": effects or [],
    }


def exec_(command: str, result: str = "", **kw: Any) -> dict[str, Any]:
    return call("exec", {"command": command}, result, **kw)


def traj(
    calls: list[dict[str, Any]] | None = None,
    reply: str = "",
    *,
    tokens: int = 0,
    termination: TerminationReason = TerminationReason.FINAL_ANSWER,
    seed: int = 0,
    verifications: dict[str, int] | None = None,
) -> Trajectory:
    records = []
    for i, c in enumerate(calls or []):
        refused = c["refused"]
        records.append(
            ToolCallRecord(
                index=i,
                turn=i,
                call_id=f"call_{i}",
                tool=c["tool"],
                args=c["args"],
                result=c["result"] if refused is None else f"NOT EXECUTED ({refused})",
                is_error=refused is not None,
                refused=refused,
                side_effects=c["side_effects"],
            )
        )
    return Trajectory(
        spec=EpisodeSpec(
            scenario=NAME,
            scenario_version="public",
            scenario_hash="c0ffee",
            pack_hash="p" * 64,
            seed=seed,
            model=ModelInfo(provider="scripted", name="test"),
            harness_version="test",
        ),
        tool_calls=records,
        usage=[Usage(prompt_tokens=tokens, completion_tokens=0, total_tokens=tokens)],
        final_response=reply,
        termination=termination,
        verifications=verifications or {},
    )


def chk(
    type_: str, id_: str = "c", points: float = 1.0, category: str = "correctness", **fields: Any
) -> dict[str, Any]:
    return {"id": id_, "type": type_, "points": points, "category": category, **fields}
