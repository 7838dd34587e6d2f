"""LocalSandbox: the world in process. The default for researchers and fast tests.

There is no isolation here: the mock world needs none (it is pure Python over in-memory
state), but a real-shell scenario would run the agent's commands on this machine. Such
scenarios are refused unless the sandbox is built with ``allow_real_shell=True``; then the
scenario's real workspace is written to a fresh temporary directory, ``exec`` runs there
through ``/bin/sh`` with a scrubbed environment (none of this process's variables), and
``verify`` runs the hidden command there. That is only safe for scenarios and agents you
trust: use the docker sandbox for anything else.

A scrubbed environment alone does not keep the API key away: a command could read this
process's initial environment at ``/proc/$PPID/environ``. So, best effort (this is not
isolation): run as root, the commands run as ``nobody`` (uid/gid 65534, the workspace handed
to it), which cannot read a root process's ``/proc`` files; run as another user, this
process marks itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``), which makes its ``/proc``
files unreadable to other processes of the same user (and disables its core dumps).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from clawbench.errors import SandboxError
from clawbench.sandbox._base import HiddenRequest
from clawbench.sandbox.container import server as _server
from clawbench.scenario import ScenarioInstance
from clawbench.world import PlannedAction, ToolResult, World

_REAL_SHELL_REFUSED = (
    "real-shell scenarios need the docker sandbox (scenario {name!r} declares a real "
    "workspace; LocalSandbox(allow_real_shell=True) runs it unisolated on this machine)"
)
_MAX_OUTPUT = 64_000
NOBODY = 65534
_PR_SET_DUMPABLE = 4


def _hide_own_environment() -> int | None:
    """Keep shell commands from reading this process's environment; the uid they must run
    as (``nobody`` when we are root), else None."""
    if os.geteuid() == 0:
        return NOBODY
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    return None


def _hand_over(root: Path, uid: int) -> None:
    """Give the workspace (and the temporary directory holding it) to ``uid``."""
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, uid)
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)


class _LocalSession:
    def __init__(
        self, world: World, workdir: Path | None, exec_timeout_s: float, uid: int | None = None
    ) -> None:
        self._world = world
        self._workdir = workdir
        self._exec_timeout_s = exec_timeout_s
        self._uid = uid
        self._snapshot: dict[str, Any] | None = None

    async def plan(self, tool: str, args: dict[str, Any]) -> PlannedAction:
        if self._workdir is not None and tool == "exec":
            return PlannedAction()
        return self._world.plan(tool, args)

    async def call(self, tool: str, args: dict[str, Any]) -> ToolResult:
        if self._workdir is not None and tool == "exec":
            command = args.get("command")
            if not isinstance(command, str):
                return ToolResult(
                    content="exec: 'command' must be a string", is_error=True, exit_code=2
                )
            code, out = await self._shell(command, self._exec_timeout_s)
            return ToolResult(content=out, is_error=code != 0, exit_code=code)
        return self._world.call(tool, args)

    async def verify(self, command: str, timeout_s: float) -> int:
        if self._workdir is None:
            raise SandboxError(
                "verify needs a real-shell scenario run with LocalSandbox(allow_real_shell=True)",
                code="real_shell_refused",
            )
        code, _ = await self._shell(command, timeout_s)
        return code

    async def check(self, request: HiddenRequest) -> dict[str, Any]:
        """The docker server's hidden-check steps on this machine (no process sweep: this
        backend is only for trusted agents)."""
        if self._workdir is None:
            raise SandboxError(
                "hidden checks need a real-shell scenario", code="real_shell_refused"
            )
        root = self._workdir
        if self._snapshot is None:
            self._snapshot = await asyncio.to_thread(_server.snapshot_tree, root)
        if request.kind == "manifest":
            paths = list(request.spec.get("paths", []))
            report = _server.manifest(self._snapshot, paths)
            return {"status": "reported", "restored": {}, "report": report}
        try:
            restored = await asyncio.to_thread(
                _server.materialise,
                root,
                self._snapshot,
                list(request.restore_roots),
                dict(request.restore),
            )
        except ValueError as exc:
            raise SandboxError(str(exc), code="bad_workspace_path") from None
        except OSError:
            return {"status": "not_restored", "restored": {}, "report": None}
        program = _server.VALUES_PROGRAM if request.kind == "values" else _server.UNITTEST_PROGRAM
        stdin = json.dumps({**request.spec, "workspace": str(root)}).encode()
        code, out = await self._spawn(
            ["python3", "-I", "-B", "-c", program], request.timeout_s, stdin
        )
        if code == 124 and out.startswith("timed out"):
            return {"status": "timeout", "restored": restored, "report": None}
        found = _server.parse_report(out)
        return {
            "status": "reported" if found is not None else "no_report",
            "restored": restored,
            "report": found,
        }

    async def _shell(self, command: str, timeout_s: float) -> tuple[int, str]:
        return await self._spawn(["/bin/sh", "-c", command], timeout_s)

    async def _spawn(
        self, argv: list[str], timeout_s: float, stdin: bytes | None = None
    ) -> tuple[int, str]:
        assert self._workdir is not None
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self._workdir),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",  # as in the container
        }
        who: dict[str, object] = {}
        if self._uid is not None:
            who = {"user": self._uid, "group": self._uid, "extra_groups": []}
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=self._workdir,
                env=env,
                stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                **who,  # type: ignore[arg-type]
            )
        except OSError as err:
            raise SandboxError(f"cannot start /bin/sh: {err}") from None
        try:
            out, _ = await asyncio.wait_for(proc.communicate(stdin), timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the whole group: sh and its children
            await proc.wait()
            return 124, f"timed out after {timeout_s:g}s"
        text = out.decode("utf-8", errors="replace")
        if len(text) > _MAX_OUTPUT:
            text = text[:_MAX_OUTPUT] + "\n[output truncated]"
        return int(proc.returncode or 0), text


def _write_workspace(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp.resolve()
    for rel, text in files.items():
        dest = (root / rel).resolve()
        if not dest.is_relative_to(root):
            raise SandboxError(
                f"real workspace path {rel!r} escapes the workspace", code="real_workspace_invalid"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return root


class LocalSandbox:
    """Runs each episode's world in this process: one fresh ``World`` per session."""

    def __init__(self, *, allow_real_shell: bool = False, exec_timeout_s: float = 60.0) -> None:
        self.allow_real_shell = allow_real_shell
        self.exec_timeout_s = exec_timeout_s

    @property
    def name(self) -> str:
        return "local"

    def session(self, instance: ScenarioInstance) -> AbstractAsyncContextManager[_LocalSession]:
        return self._session(instance)

    @asynccontextmanager
    async def _session(self, instance: ScenarioInstance) -> AsyncIterator[_LocalSession]:
        real = instance.spec.real_workspace is not None or bool(instance.real_workspace)
        if real and not self.allow_real_shell:
            raise SandboxError(
                _REAL_SHELL_REFUSED.format(name=instance.name), code="real_shell_refused"
            )
        world = World(instance)
        if not real:
            yield _LocalSession(world, None, self.exec_timeout_s)
            return
        uid = _hide_own_environment()
        with tempfile.TemporaryDirectory(prefix="clawbench-ws-") as tmp:
            root = await asyncio.to_thread(_write_workspace, Path(tmp), instance.real_workspace)
            if uid is not None:
                await asyncio.to_thread(_hand_over, Path(tmp), uid)
            yield _LocalSession(world, root, self.exec_timeout_s, uid)
