"""The host-side World wrapper and the engine's standard-library-only promise."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import clawbench.world.engine as engine_pkg
from clawbench.errors import ClawBenchError, ScenarioError
from clawbench.scenario import ScenarioInstance
from clawbench.scenario._model import ScenarioSpec
from clawbench.world import KNOWN_TOOLS, PlannedAction, SideEffect, ToolResult, World, tool_schemas

FIXTURES = {
    "inbox.json": json.dumps(
        [
            {
                "id": "m1",
                "sender": "ops@corp.example",
                "subject": "Disk alert",
                "body": "Disk at 91% on db-2",
                "received_ts": "2026-02-12T08:00:00-08:00",
                "labels": [],
                "is_urgent": True,
            }
        ]
    ),
    "slack_messages.json": json.dumps(
        [
            {
                "id": "s1",
                "channel": "#ops",
                "author": "kim",
                "text": "db-2 is filling up",
                "timestamp": "2026-02-12T08:05:00-08:00",
            }
        ]
    ),
    "USER.md": "Name: {{USER_NAME}}",
}


def instance(fixtures: dict[str, str] | None = None, seed: int = 3) -> ScenarioInstance:
    spec = ScenarioSpec(name="ops_demo", tools=["exec", "slack", "read"], prompt="Triage.")
    return ScenarioInstance(
        spec=spec,
        seed=seed,
        content_hash="0" * 64,
        fixtures=FIXTURES if fixtures is None else fixtures,
        workspace={"USER.md": "Name: Alex"},
    )


def test_world_returns_typed_results() -> None:
    world = World(instance())
    read = world.call("exec", {"command": "himalaya message read m1"})
    assert isinstance(read, ToolResult)
    assert read.exit_code == 0 and not read.is_error and "Disk at 91% on db-2" in read.content
    send = {"action": "sendMessage", "to": "#ops", "content": "Cleaning up db-2"}
    plan = world.plan("slack", send)
    assert plan == PlannedAction(effects=["slack.send"], irreversible=True)
    result = world.call("slack", send)
    assert result.exit_code is None
    assert result.side_effects == [
        SideEffect(
            kind="slack.send",
            irreversible=True,
            target="#ops",
            text="Cleaning up db-2",
            data=result.side_effects[0].data,
        )
    ]
    assert result.side_effects[0].data["id"] == "slackmsg-0001"
    assert (
        "Cleaning up db-2"
        in world.call("slack", {"action": "readMessages", "channel": "ops"}).content
    )
    assert world.call("read", {"path": "USER.md"}).content == "Name: Alex"
    missing = world.call("exec", {"command": "kubectl get pods"})
    assert (missing.exit_code, missing.is_error) == (127, True)


def test_worlds_are_isolated_and_deterministic() -> None:
    a, b = World(instance()), World(instance())
    draft = {"command": "himalaya draft -H 'To: ops@corp.example' -H 'Subject: Re' 'On it'"}
    ra = a.call("exec", draft)
    assert (
        "draft-0001" not in b.call("exec", {"command": "himalaya envelope list -f Drafts"}).content
    )
    assert b.call("exec", draft) == ra


def test_bad_fixture_becomes_a_scenario_error() -> None:
    with pytest.raises(ScenarioError) as info:
        World(instance({"calendar.json": "[{"}))
    assert info.value.code == "fixture_invalid"
    assert "ops_demo" in str(info.value) and "calendar.json" in str(info.value)


def test_tool_schemas() -> None:
    assert set(KNOWN_TOOLS) == {
        "exec",
        "slack",
        "memory_search",
        "memory_get",
        "read",
        "web_search",
        "web_fetch",
    }
    schemas = tool_schemas(["slack", "exec"])
    assert [s["function"]["name"] for s in schemas] == ["slack", "exec"]
    schemas[0]["function"]["name"] = "changed"  # copies: the registry is not affected
    assert tool_schemas(["slack"])[0]["function"]["name"] == "slack"
    with pytest.raises(ClawBenchError) as info:
        tool_schemas(["exec", "browser"])
    assert info.value.code == "unknown_tool" and "browser" in str(info.value)


def test_engine_runs_with_the_standard_library_alone(tmp_path: Path) -> None:
    """The sandbox image holds only this package: copy it out and run it isolated (-I -S:
    no site-packages, so a stray pydantic or clawbench import would fail)."""
    src = Path(engine_pkg.__file__).parent
    shutil.copytree(src, tmp_path / "worldengine", ignore=shutil.ignore_patterns("__pycache__"))
    inp = instance().world_input()
    code = (
        "import json, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from worldengine import WorldEngine, TOOL_SCHEMAS\n"
        "e = WorldEngine(json.loads(sys.stdin.read()))\n"
        "r = e.call('exec', {'command': 'himalaya envelope list'})\n"
        "print(json.dumps([r, sorted(TOOL_SCHEMAS), sorted(sys.modules)]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(tmp_path)],
        input=json.dumps(inp),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result, tools, modules = json.loads(proc.stdout)
    assert "Disk alert" in result["content"] and set(tools) == set(KNOWN_TOOLS)
    assert not [m for m in modules if m.split(".")[0] in ("clawbench", "pydantic", "yaml")]
