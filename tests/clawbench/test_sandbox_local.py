"""LocalSandbox: the mock world in process; real-shell scenarios only when explicitly allowed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_agent_support import make_instance

from clawbench.errors import SandboxError
from clawbench.sandbox import LocalSandbox


async def test_sessions_run_the_world_and_are_isolated() -> None:
    sandbox = LocalSandbox()
    assert sandbox.name == "local"
    draft = {"command": "himalaya draft -H 'To: dana@acme.example' 'Paid.'"}
    async with sandbox.session(make_instance()) as a, sandbox.session(make_instance()) as b:
        plan = await a.plan("exec", draft)
        assert plan.effects == ["email.draft"] and not plan.irreversible
        res = await a.call("exec", draft)
        assert [fx.kind for fx in res.side_effects] == ["email.draft"] and res.exit_code == 0
        listed = await b.call("exec", {"command": "himalaya envelope list -f Drafts"})
        assert "Paid." not in listed.content and "draft-0001" not in listed.content
        missing = await a.call("exec", {"command": "rm -rf /"})
        assert missing.exit_code == 127 and missing.is_error  # the mock world never runs a shell
        with pytest.raises(SandboxError) as info:
            await a.verify("true", 5)
        assert info.value.code == "real_shell_refused"


async def test_real_shell_scenarios_are_refused_by_default() -> None:
    inst = make_instance(real_workspace={"app.py": "print(1)\n"})
    with pytest.raises(SandboxError) as info:
        async with LocalSandbox().session(inst):
            pass
    assert info.value.code == "real_shell_refused"
    assert "real-shell scenarios need the docker sandbox" in str(info.value)


async def test_allowed_real_shell_runs_in_a_temp_workspace_without_our_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VALIDATOR_SECRET_TOKEN", "tok-do-not-leak")
    files = {
        "calc.py": "def add(a, b):\n    return a - b\n",
        "tests/check.sh": "grep -q 'a + b' calc.py\n",
    }
    inst = make_instance(real_workspace=files)
    sandbox = LocalSandbox(allow_real_shell=True, exec_timeout_s=5)
    async with sandbox.session(inst) as s:
        assert await s.verify("sh tests/check.sh", 10) == 1
        env = await s.call("exec", {"command": "env; pwd"})
        assert "tok-do-not-leak" not in env.content and "VALIDATOR_SECRET_TOKEN" not in env.content
        assert "clawbench-ws-" in env.content
        fix = await s.call("exec", {"command": "sed -i 's/a - b/a + b/' calc.py && cat calc.py"})
        assert fix.exit_code == 0 and "return a + b" in fix.content
        assert await s.verify("sh tests/check.sh", 10) == 0
        slow = await s.verify("sleep 30", 0.2)
        assert slow == 124
        other = await s.call("slack", {"action": "listChannels"})  # other tools: the mock world
        assert other.content.startswith("{")


async def test_real_workspace_paths_cannot_escape() -> None:
    inst = make_instance(real_workspace={"../outside.txt": "x"})
    with pytest.raises(SandboxError) as info:
        async with LocalSandbox(allow_real_shell=True).session(inst):
            pass
    assert info.value.code == "real_workspace_invalid"


_LEAK_PROBE = r"""
import asyncio, subprocess, sys
sys.path.insert(0, sys.argv[1])
from test_agent_support import make_instance
from clawbench.sandbox import LocalSandbox

async def main():
    # the attack works on an ordinary child of this process (a control: the test can fail)
    plain = subprocess.run(
        ["/bin/sh", "-c", "cat /proc/$PPID/environ"], capture_output=True, env={"PATH": "/bin"}
    )
    inst = make_instance(real_workspace={"a.txt": "x"})
    async with LocalSandbox(allow_real_shell=True).session(inst) as s:
        r = await s.call("exec", {"command": "cat /proc/$PPID/environ; env; cat a.txt; touch b"})
        v = await s.verify("test -f b", 10)
    print("CONTROL", b"tok-do-not-leak-42" in plain.stdout)
    print("LEAK", "tok-do-not-leak-42" in r.content)
    print("WORKS", r.content.rstrip().endswith("x"), v == 0)

asyncio.run(main())
"""


def test_real_shell_commands_cannot_read_the_parent_environment(tmp_path: Path) -> None:
    """A command reading /proc/$PPID/environ (this process's initial environment, where the
    API key lives) gets nothing, and the workspace still works."""
    probe = tmp_path / "probe.py"
    probe.write_text(_LEAK_PROBE, encoding="utf-8")
    env = {**os.environ, "OPENAI_API_KEY": "tok-do-not-leak-42"}
    out = subprocess.run(
        [sys.executable, str(probe), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "CONTROL True" in out.stdout  # the attack is real here
    assert "LEAK False" in out.stdout
    assert "WORKS True True" in out.stdout
