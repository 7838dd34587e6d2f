"""The in-container world server's JSON-lines protocol, run on the host (no Docker needed):
mock tools answer exactly as the host World does; real-shell exec, verify, bounded output,
timeouts and bad requests answer with reasons."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from clawbench.sandbox.container import build
from clawbench.sandbox.container.server import MAX_OUTPUT_BYTES, Server, serve
from clawbench.scenario import ScenarioInstance
from clawbench.scenario._model import ScenarioSpec
from clawbench.world import World

INBOX = [
    {
        "id": "m1",
        "sender": "ops@corp.example",
        "subject": "Disk alert",
        "body": "Disk at 91%",
        "received_ts": "2026-02-12T08:00:00-08:00",
        "labels": [],
        "is_urgent": True,
    },
]
FIXTURES = {"inbox.json": json.dumps(INBOX)}
WORLD_INPUT: dict[str, Any] = {
    "scenario": "ops",
    "seed": 1,
    "tools": ["exec", "slack", "read"],
    "fixtures": FIXTURES,
    "workspace": {"USER.md": "Name: Ada"},
}


def run(
    requests: list[dict[str, Any]], workspace: Path, engine: str = "clawbench.world.engine"
) -> list[dict[str, Any]]:
    lines = b"".join(json.dumps(r).encode() + b"\n" for r in requests)
    out = io.BytesIO()
    serve(Server(engine, str(workspace)), io.BytesIO(lines), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def init(real: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": 0, "op": "init", "world_input": WORLD_INPUT, "real_workspace": real, **extra}


def test_mock_tools_answer_as_the_host_world(tmp_path: Path) -> None:
    calls = [
        ("exec", {"command": "himalaya envelope list"}),
        ("exec", {"command": "himalaya message send -H 'To: a@b.example' -H 'Subject: s' hi"}),
        ("slack", {"action": "listChannels"}),
        ("read", {"path": "USER.md"}),
        ("exec", {"command": "rm -rf /"}),
    ]
    reqs = [init()]
    for i, (tool, args) in enumerate(calls):
        reqs += [
            {"id": 2 * i + 1, "op": "plan", "tool": tool, "args": args},
            {"id": 2 * i + 2, "op": "call", "tool": tool, "args": args},
        ]
    answers = run(reqs, tmp_path)
    assert [a["id"] for a in answers] == [r["id"] for r in reqs]
    assert answers[0] == {"id": 0, "ok": True, "protocol": 1, "real_shell": False}
    spec = ScenarioSpec(name="ops", tools=["exec", "slack", "read"], prompt="p")
    world = World(
        ScenarioInstance(
            spec=spec,
            seed=1,
            content_hash="0",
            fixtures=FIXTURES,
            workspace={"USER.md": "Name: Ada"},
        )
    )
    for i, (tool, args) in enumerate(calls):
        plan, call = answers[2 * i + 1], answers[2 * i + 2]
        assert plan["result"] == world.plan(tool, args).model_dump()
        assert call["result"] == world.call(tool, args).model_dump()
    assert answers[4]["result"]["side_effects"][0]["kind"] == "email.send"
    assert not list(tmp_path.iterdir())  # mock episodes never touch the workspace


def test_real_shell_runs_commands_in_the_workspace(tmp_path: Path) -> None:
    files = {"pkg/mod.py": "X = 41\n", "README": "r\n"}
    answers = run(
        [
            init(files, exec_timeout_s=5),
            {
                "id": 1,
                "op": "call",
                "tool": "exec",
                "args": {"command": "python3 -c 'import pkg.mod as m; print(m.X + 1)'"},
            },
            {"id": 2, "op": "plan", "tool": "exec", "args": {"command": "rm README"}},
            {"id": 3, "op": "call", "tool": "exec", "args": {"command": "echo oops >&2; exit 3"}},
            {"id": 4, "op": "call", "tool": "exec", "args": {"command": 7}},
            {"id": 5, "op": "call", "tool": "read", "args": {"path": "USER.md"}},
            {"id": 6, "op": "verify", "command": 'test "$(cat README)" = r', "timeout_s": 5},
            {"id": 7, "op": "verify", "command": "grep -q 42 pkg/mod.py", "timeout_s": 5},
        ],
        tmp_path,
    )
    assert answers[0]["real_shell"] is True
    assert (tmp_path / "pkg/mod.py").read_text() == "X = 41\n"
    assert answers[1]["result"] == {
        "content": "42\n",
        "is_error": False,
        "exit_code": 0,
        "side_effects": [],
    }
    assert answers[2]["result"] == {"effects": [], "irreversible": False}
    assert answers[3]["result"]["content"] == "oops\n" and answers[3]["result"]["exit_code"] == 3
    assert answers[3]["result"]["is_error"] is True
    assert answers[4]["result"]["exit_code"] == 2
    assert answers[5]["result"]["content"] == "Name: Ada"  # other tools stay mock tools
    assert answers[6]["exit_code"] == 0 and answers[7]["exit_code"] == 1


def test_commands_are_bounded_in_time_and_output(tmp_path: Path) -> None:
    answers = run(
        [
            init({}, exec_timeout_s=0.5),
            {"id": 1, "op": "call", "tool": "exec", "args": {"command": "sleep 30"}},
            {
                "id": 2,
                "op": "call",
                "tool": "exec",
                "args": {"command": "head -c 1000000 /dev/zero | tr '\\0' x"},
            },
            {"id": 3, "op": "verify", "command": "sleep 30", "timeout_s": 0.3},
        ],
        tmp_path,
    )
    slow = answers[1]["result"]
    assert slow["exit_code"] == 124 and "timed out" in slow["content"]
    big = answers[2]["result"]["content"]
    assert big.startswith("x" * 100) and big.endswith(
        f"[output truncated to {MAX_OUTPUT_BYTES} bytes]"
    )
    assert len(big) < MAX_OUTPUT_BYTES + 100
    assert answers[3]["exit_code"] == 124


def test_bad_requests_get_reasons(tmp_path: Path) -> None:
    answers = run(
        [
            {"id": 1, "op": "call", "tool": "read", "args": {}},
            {"id": 2, "op": "teleport"},
            init({"../escape.txt": "x"}),
            init({"ok.txt": "x"}, exec_timeout_s=-1),
            {"id": 5, "op": "init", "world_input": {"fixtures": {"inbox.json": "{nope"}}},
        ],
        tmp_path,
    )
    codes = [(a["id"], a.get("code")) for a in answers]
    assert codes == [
        (1, "not_initialised"),
        (2, "unknown_op"),
        (0, "bad_workspace_path"),
        (0, "bad_request"),
        (5, "fixture_invalid"),
    ]
    assert not (tmp_path.parent / "escape.txt").exists()
    out = io.BytesIO()
    serve(Server("clawbench.world.engine", str(tmp_path)), io.BytesIO(b"not json\n[1]\n"), out)
    assert [json.loads(x)["code"] for x in out.getvalue().splitlines()] == [
        "bad_request",
        "bad_request",
    ]


def test_an_engine_crash_is_reported_not_fatal(tmp_path: Path) -> None:
    """A stub engine whose call() raises: the server answers engine_error and keeps serving."""
    (tmp_path / "stub_engine").mkdir()
    (tmp_path / "stub_engine/__init__.py").write_text(
        "class FixtureError(Exception):\n    code = 'fixture_invalid'\n"
        "class WorldEngine:\n"
        "    def __init__(self, world_input):\n        self.n = 0\n"
        "    def plan(self, tool, args):\n        return {'effects': [], 'irreversible': False}\n"
        "    def call(self, tool, args):\n"
        "        self.n += 1\n"
        "        if tool == 'boom':\n            raise KeyError('bug')\n"
        "        return {'content': str(self.n), 'is_error': False, 'exit_code': None, 'side_effects': []}\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        answers = run(
            [
                init(),
                {"id": 1, "op": "call", "tool": "boom", "args": {}},
                {"id": 2, "op": "call", "tool": "x", "args": {}},
                {"id": 3, "op": "shutdown"},
                {"id": 4, "op": "call", "tool": "x", "args": {}},
            ],
            tmp_path / "ws",
            engine="stub_engine",
        )
    finally:
        sys.path.remove(str(tmp_path))
    assert answers[1]["code"] == "engine_error" and "KeyError" in answers[1]["message"]
    assert answers[2]["result"]["content"] == "2"
    assert answers[3] == {"id": 3, "ok": True} and len(answers) == 4  # nothing after shutdown


def test_builder_context_holds_only_what_the_image_runs(tmp_path: Path) -> None:
    build.prepare_context(tmp_path)
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files[:2] == [build.DOCKERFILE, "clawbench/sandbox/container/server.py"]
    assert all(f.startswith("clawbench/world/engine/") for f in files[2:])
    assert build.DOCKERFILE in build.image_sources()  # the Dockerfile is in the source hash
    assert build.default_tag().endswith("-" + build.source_hash()[:12])
    assert build.harness_version() == __import__("clawbench").HARNESS_VERSION
    assert len(build.source_hash()) == 64
    tag = subprocess.run(
        [sys.executable, build.__file__, "--print-tag"], capture_output=True, text=True, check=True
    )
    assert tag.stdout.strip() == build.default_tag()
