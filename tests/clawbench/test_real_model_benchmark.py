"""benchmarks/real_model.py: skipped without an endpoint; against the scripted server (an
OpenAI-compatible endpoint on 127.0.0.1) it runs one episode per scenario and prints wall
time, tokens per call, finish reasons and tool calls parsed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from clawbench.agent import ScriptedModelServer, load_script
from clawbench.scenario import instantiate, load_suite

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "real_model", ROOT / "benchmarks" / "real_model.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["real_model"] = mod  # dataclasses resolve annotations through it
    spec.loader.exec_module(mod)
    return mod


def test_skipped_without_an_endpoint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLAWBENCH_BENCH_BASE_URL", raising=False)
    assert _bench().main([]) == 0
    assert capsys.readouterr().out.startswith("skipped: no endpoint")


async def test_one_episode_against_the_scripted_server(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    name = "client_escalation"
    (scenario,) = [s for s in load_suite(ROOT / "scenarios") if s.name == name]
    script = load_script(ROOT / "scenarios" / "scripts" / name / "reference.yaml")
    variables = instantiate(scenario, 0).variables
    async with ScriptedModelServer({"ref": script}, variables) as srv:
        args = bench.parser().parse_args(
            ["--base-url", srv.base_url, "--model", "ref", "--scenario", name]
        )
        (episode,) = await bench.bench(args)
    out = capsys.readouterr().out
    assert episode.termination == "final_answer" and episode.errors == []
    assert len(episode.calls) == len(script.turns)
    assert [c.tool_calls for c in episode.calls] == [len(t.tool_calls) for t in script.turns]
    assert episode.calls[-1].finish == "stop" and not any(c.estimated for c in episode.calls)
    assert f"{name}: " in out and "finish tool_calls  tool calls parsed" in out
