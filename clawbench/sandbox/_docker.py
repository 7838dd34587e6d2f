"""The docker backend: one fresh, locked container per episode running the world server.

The model client and its key stay in the validator; only the world (mock tools, fixtures and,
for real-shell scenarios, a shell in a tmpfs workspace) runs in the container. Requests travel
as JSON lines over the container's attached stdin/stdout, so the container needs no network.
Blocking docker I/O runs in worker threads; the event loop never waits on a socket.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import json
import os
import socket
import struct
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from clawbench import HARNESS_VERSION
from clawbench.errors import SandboxError, ScenarioError
from clawbench.sandbox._base import HiddenRequest, SandboxTerminated
from clawbench.sandbox.container import build as _build
from clawbench.scenario import ScenarioInstance
from clawbench.trajectory import TerminationReason
from clawbench.world import PlannedAction, SideEffect, ToolResult

LABEL = "clawbench.sandbox"
LABEL_RUN = "clawbench.run"
LABEL_HOST = "clawbench.host"
LABEL_PID = "clawbench.pid"
LABEL_START = "clawbench.pid_start"  # the owner's start time: a pid alone is reused (PID 1)
WORKSPACE = "/workspace"
SANDBOX_UID = "65534:65534"
_TERMINATIONS = {
    "pids_limit": TerminationReason.SANDBOX_PIDS_LIMIT,
    "oom": TerminationReason.SANDBOX_OOM,
}
# Small IPC limits in each container's own IPC namespace (the server also clears every
# object after each command): shared memory and message queues cannot hold much.
IPC_SYSCTLS = {
    "kernel.shmmax": str(8 * 1024 * 1024),
    "kernel.shmall": "2048",  # pages: 8 MiB in all
    "kernel.shmmni": "16",
    "kernel.msgmax": "8192",
    "kernel.msgmnb": "16384",
    "kernel.msgmni": "16",
    "fs.mqueue.queues_max": "4",
    "fs.mqueue.msg_max": "10",
    "fs.mqueue.msgsize_max": "8192",
}
# Answers to `init` that are the scenario's fault, as World raises them.
_SCENARIO_CODES = ("fixture_invalid", "world_input_invalid", "bad_workspace_path")


def default_image() -> str:
    """The sandbox image tag for this harness version and this engine code."""
    return _build.default_tag()


def build_sandbox_image(
    base_image: str = "python:3.11-slim", tag: str | None = None, *, force: bool = False
) -> str:
    """Builds the sandbox image from this checkout (docker CLI; blocking). Returns its tag."""
    return _build.build(base_image, tag or default_image(), force=force)


class _Eof(Exception):
    """The container's stdout closed: the world server is gone."""


class DockerSandbox:
    """Runs each episode's world in its own container.

    Limits: ``mem_limit`` (docker size string, no swap), ``cpus``, ``pids_limit``;
    ``wall_time_s`` is the time the world may spend answering one episode's tool calls
    (summed), enforced from outside by killing the container; ``exec_timeout_s`` bounds one
    real-shell command inside the container. ``client`` is a ``docker.DockerClient``; by
    default one is made from the environment on first use.
    """

    def __init__(
        self,
        image: str | None = None,
        *,
        mem_limit: str = "512m",
        cpus: float = 1.0,
        pids_limit: int = 128,
        wall_time_s: float = 300.0,
        exec_timeout_s: float = 60.0,
        workspace_size: str = "64m",
        start_timeout_s: float = 60.0,
        client: Any = None,
    ) -> None:
        if cpus <= 0 or pids_limit < 8 or wall_time_s <= 0 or exec_timeout_s <= 0:
            raise ValueError("cpus, wall_time_s and exec_timeout_s must be > 0, pids_limit >= 8")
        self.image = image or default_image()
        self.mem_limit = mem_limit
        self.cpus = cpus
        self.pids_limit = pids_limit
        self.wall_time_s = wall_time_s
        self.exec_timeout_s = exec_timeout_s
        self.workspace_size = workspace_size
        self.start_timeout_s = start_timeout_s
        self._client = client
        self._host = socket.gethostname()
        self.run_id = f"{self._host}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._lock = threading.Lock()
        self._ready = False
        self._closed = False
        self._base_id: str | None = None
        atexit.register(self._close_at_exit)

    @property
    def name(self) -> str:
        """``docker:<tag>@<base id>``: the tag carries the engine's source hash, the base
        image's id (from the image's label) tells apart two validators that built the same
        code on different bases. Part of every evaluation cache key and trajectory."""
        if self._base_id is None:
            self._base_id = self._read_base_id()
        return f"docker:{self.image}" + (f"@{self._base_id}" if self._base_id else "")

    def _read_base_id(self) -> str | None:
        try:
            info = self.api.inspect_image(self.image)
        except Exception:  # no engine or no image yet: asked again next time
            return None
        labels = (info.get("Config") or {}).get("Labels") or {}
        base = str(labels.get(_build.LABEL_BASE, "unknown"))
        return base.removeprefix("sha256:")[:12]

    @property
    def labels(self) -> dict[str, str]:
        """Labels put on every container of this sandbox (list them with ``label=...``)."""
        return {
            LABEL: "1",
            LABEL_RUN: self.run_id,
            LABEL_HOST: self._host,
            LABEL_PID: str(os.getpid()),
            LABEL_START: _start_time(os.getpid()),
        }

    # -- docker plumbing (blocking; called in threads) --------------------------------------
    @property
    def api(self) -> Any:
        if self._client is None:
            docker = _docker_module("docker")
            derr = _docker_module("docker.errors")
            try:
                self._client = docker.from_env()
            except derr.DockerException as exc:
                raise SandboxError(f"no Docker engine: {exc}", code="sandbox_unavailable") from None
        return self._client.api

    def check_image(self) -> None:
        """Refuses an image that is missing or was built from other code than this harness."""
        derr = _docker_module("docker.errors")
        try:
            info = self.api.inspect_image(self.image)
        except derr.ImageNotFound:
            raise SandboxError(
                f"sandbox image {self.image} not found; build it with "
                "`python3 clawbench/sandbox/container/build.py` (see docs/sandbox.md)",
                code="sandbox_image_missing",
            ) from None
        except derr.DockerException as exc:
            raise SandboxError(f"Docker engine error: {exc}", code="sandbox_unavailable") from None
        labels = (info.get("Config") or {}).get("Labels") or {}
        found = labels.get(_build.LABEL_VERSION)
        if found != HARNESS_VERSION:
            raise SandboxError(
                f"sandbox image {self.image} is for harness {found!r}, this is {HARNESS_VERSION}",
                code="sandbox_image_mismatch",
            )
        if labels.get(_build.LABEL_SOURCE) != _build.source_hash():
            raise SandboxError(
                f"sandbox image {self.image} was built from a different world engine; rebuild it "
                "with `python3 clawbench/sandbox/container/build.py`",
                code="sandbox_image_stale",
            )

    def _prepare(self) -> None:
        with self._lock:
            if self._ready:
                return
            self.check_image()
            self.cleanup_orphans()
            self._ready = True

    def cleanup_orphans(self) -> int:
        """Removes containers left by runs on this host whose process is gone (blocking).
        Returns how many were removed."""
        removed = 0
        for c in self._list({LABEL: "1", LABEL_HOST: self._host}):
            labels = c.get("Labels") or {}
            if labels.get(LABEL_RUN) == self.run_id:
                continue
            pid, start = labels.get(LABEL_PID, ""), labels.get(LABEL_START)
            if not pid.isdigit():
                continue
            # The owner is gone when no process has that pid, or the process that has it now
            # started at another time (a validator restarted as PID 1 in a container gets the
            # same pid and hostname again).
            gone = not _pid_alive(int(pid)) or (
                start is not None and start != _start_time(int(pid))
            )
            if gone:
                removed += self._remove(c["Id"])
        return removed

    def close(self) -> int:
        """Removes every container of this sandbox and any orphans (blocking). Idempotent."""
        removed = sum(self._remove(c["Id"]) for c in self._list({LABEL_RUN: self.run_id}))
        self._closed = True
        return removed + self.cleanup_orphans()

    async def aclose(self) -> int:
        return await asyncio.to_thread(self.close)

    def containers(self) -> list[dict[str, Any]]:
        """This sandbox's containers that still exist (any state)."""
        return self._list({LABEL_RUN: self.run_id})

    def _close_at_exit(self) -> None:
        if not self._closed and self._client is not None:
            try:
                self.close()
            except Exception:  # interpreter shutdown: best effort, the next run cleans up
                pass

    def _list(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        try:
            return list(self.api.containers(all=True, filters=filters))
        except Exception as exc:
            raise SandboxError(
                f"cannot list containers: {exc}", code="sandbox_unavailable"
            ) from None

    def _remove(self, container_id: str) -> int:
        derr = _docker_module("docker.errors")
        try:
            self.api.remove_container(container_id, force=True, v=True)
            return 1
        except derr.NotFound:
            return 0
        except derr.APIError as exc:
            if exc.status_code == 409:  # removal already in progress
                return 0
            raise

    def _start(self, instance: ScenarioInstance) -> tuple[str, Any]:
        """Creates, attaches and starts one locked container; returns (id, raw socket)."""
        self._prepare()
        host_config = self.api.create_host_config(
            network_mode="none",
            read_only=True,
            tmpfs={WORKSPACE: f"rw,noexec,nosuid,nodev,size={self.workspace_size},mode=1777"},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=self.mem_limit,
            memswap_limit=self.mem_limit,
            nano_cpus=int(self.cpus * 1e9),
            pids_limit=self.pids_limit,
            ipc_mode="none",
            sysctls=dict(IPC_SYSCTLS),
            init=False,
        )
        try:
            created = self.api.create_container(
                self.image,
                user=SANDBOX_UID,
                hostname="sandbox",
                working_dir=WORKSPACE,
                environment={},
                stdin_open=True,
                tty=False,
                network_disabled=True,
                labels=self.labels,
                host_config=host_config,
            )
        except Exception as exc:
            raise SandboxError(
                f"cannot create container: {exc}", code="sandbox_unavailable"
            ) from None
        cid = created["Id"]
        try:
            sock = self.api.attach_socket(
                cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            self.api.start(cid)
        except Exception as exc:
            self._remove(cid)
            raise SandboxError(
                f"cannot start container: {exc}", code="sandbox_unavailable"
            ) from None
        return cid, getattr(sock, "_sock", sock)

    # -- sessions ------------------------------------------------------------------------
    @asynccontextmanager
    async def session(self, instance: ScenarioInstance) -> AsyncIterator[DockerSession]:
        """One episode in a fresh container; the container is removed on exit, always."""
        rw = instance.spec.real_workspace
        if rw is not None and rw.workdir.rstrip("/") != WORKSPACE:
            raise ScenarioError(
                f"scenario {instance.name!r}: real workspace must be {WORKSPACE}, not {rw.workdir!r}",
                code="real_workspace_invalid",
            )
        cid, sock = await asyncio.to_thread(self._start, instance)
        session = DockerSession(self, cid, sock)
        try:
            await session._init(instance)
            yield session
        finally:
            await session._close()


class DockerSession:
    """The SandboxSession of one container. Calls are serialised; each one's time counts
    against the sandbox's ``wall_time_s``."""

    def __init__(self, sandbox: DockerSandbox, container_id: str, sock: Any) -> None:
        self._sb = sandbox
        self.container_id = container_id
        self._sock = sock
        self._buf = bytearray()  # stdout bytes not yet consumed
        self._stderr = bytearray()  # tail, for error messages
        self._next_id = 0
        self._budget = sandbox.wall_time_s
        self._lock = asyncio.Lock()
        self._dead = False

    # -- the contract --------------------------------------------------------------------
    async def plan(self, tool: str, args: dict[str, Any]) -> PlannedAction:
        answer = await self._request({"op": "plan", "tool": tool, "args": args})
        return PlannedAction.model_validate(answer["result"])

    async def call(self, tool: str, args: dict[str, Any]) -> ToolResult:
        raw = (await self._request({"op": "call", "tool": tool, "args": args}))["result"]
        return ToolResult(
            content=raw["content"],
            is_error=raw["is_error"],
            exit_code=raw["exit_code"],
            side_effects=[SideEffect(**fx) for fx in raw["side_effects"]],
        )

    async def verify(self, command: str, timeout_s: float) -> int:
        """Runs a hidden command in the workspace; its exit code (124 when it timed out)."""
        msg = {"op": "verify", "command": command, "timeout_s": timeout_s}
        try:
            answer = await self._request(msg, limit=timeout_s + 15.0, counted=False)
        except SandboxError as exc:
            if exc.code != "sandbox_timeout":
                raise
            # The server runs nothing but the agent's workspace here and kills it at the
            # check's own deadline: an answer this late means the agent's code stalled it.
            raise SandboxTerminated(
                TerminationReason.SANDBOX_DEADLINE, f"a hidden check stalled: {exc}"
            ) from None
        return int(answer["exit_code"])

    async def check(self, request: HiddenRequest) -> dict[str, Any]:
        """One hidden check (see ``HiddenRequest``); the server's own deadline makes an
        overrun ``{"status": "timeout"}``, a stalled server the pack's ``sandbox_deadline``."""
        msg = {"op": "check", **request.model_dump()}
        try:
            answer = await self._request(msg, limit=request.timeout_s + 15.0, counted=False)
        except SandboxError as exc:
            if exc.code != "sandbox_timeout":
                raise
            raise SandboxTerminated(
                TerminationReason.SANDBOX_DEADLINE, f"a hidden check stalled: {exc}"
            ) from None
        return {k: answer.get(k) for k in ("status", "restored", "report")}

    # -- machinery -----------------------------------------------------------------------
    async def _init(self, instance: ScenarioInstance) -> None:
        real = instance.spec.real_workspace is not None
        msg = {
            "op": "init",
            "world_input": instance.world_input(),
            "real_workspace": dict(instance.real_workspace) if real else None,
            "exec_timeout_s": self._sb.exec_timeout_s,
        }
        try:
            await self._request(msg, limit=self._sb.start_timeout_s, counted=False)
        except SandboxError as exc:
            if exc.code.removeprefix("sandbox_") in _SCENARIO_CODES:
                code = exc.code.removeprefix("sandbox_")
                raise ScenarioError(f"scenario {instance.name!r}: {exc}", code=code) from None
            raise

    async def _request(
        self, msg: dict[str, Any], *, limit: float | None = None, counted: bool = True
    ) -> dict[str, Any]:
        async with self._lock:
            if self._dead:
                raise SandboxError("the sandbox container is gone", code="sandbox_closed")
            timeout = self._budget if limit is None else limit
            if counted and self._budget <= 0:
                await self._kill()
                raise SandboxTerminated(TerminationReason.SANDBOX_DEADLINE)
            self._next_id += 1
            req_id = self._next_id
            line = json.dumps({**msg, "id": req_id}).encode("utf-8") + b"\n"
            started = time.monotonic()
            try:
                answer = await asyncio.to_thread(self._roundtrip, line, timeout)
            except TimeoutError:
                await self._kill()
                if counted:
                    raise SandboxTerminated(
                        TerminationReason.SANDBOX_DEADLINE,
                        f"the world took longer than {self._sb.wall_time_s:g} s; container killed",
                    ) from None
                raise SandboxError(
                    f"the sandbox did not answer {msg['op']!r} in {timeout:g} s",
                    code="sandbox_timeout",
                ) from None
            except (_Eof, OSError):
                raise await self._died() from None
            finally:
                if counted:
                    self._budget -= time.monotonic() - started
            if answer.get("id") != req_id:
                await self._kill()
                raise SandboxError("sandbox protocol out of step", code="sandbox_protocol")
            if answer.get("ok"):
                return answer
            reason = answer.get("terminated")
            if reason is not None:
                await self._kill()
                term = _TERMINATIONS.get(str(reason))
                if term is None:
                    raise SandboxError(f"unknown termination {reason!r}", code="sandbox_protocol")
                raise SandboxTerminated(term, str(answer.get("message", "")))
            code = str(answer.get("code", "error"))
            raise SandboxError(str(answer.get("message", code)), code=f"sandbox_{code}")

    def _roundtrip(self, line: bytes, timeout: float) -> dict[str, Any]:
        """Sends one request and reads stdout frames until one full answer line (blocking)."""
        deadline = time.monotonic() + max(timeout, 0.001)
        self._sock.settimeout(max(timeout, 0.001))
        self._sock.sendall(line)
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                raw = bytes(self._buf[:nl])
                del self._buf[: nl + 1]
                try:
                    answer = json.loads(raw)
                except ValueError:
                    raise SandboxError(
                        "sandbox sent a malformed answer", code="sandbox_protocol"
                    ) from None
                if not isinstance(answer, dict):
                    raise SandboxError("sandbox sent a malformed answer", code="sandbox_protocol")
                return answer
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self._sock.settimeout(left)
            stream, payload = self._read_frame()
            if stream == 2:
                self._stderr = (self._stderr + payload)[-4096:]
            else:
                self._buf += payload

    def _read_frame(self) -> tuple[int, bytes]:
        header = self._read_exactly(8)
        stream, size = struct.unpack(">BxxxL", header)
        return stream, self._read_exactly(size)

    def _read_exactly(self, n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            try:
                chunk = self._sock.recv(n - len(out))
            except TimeoutError:
                raise
            except OSError:
                raise _Eof from None
            if not chunk:
                raise _Eof
            out += chunk
        return bytes(out)

    async def _died(self) -> Exception:
        """Why the server went away: an OOM kill is the agent's doing, anything else is ours."""
        state = await asyncio.to_thread(self._final_state)
        await self._kill()
        if state.get("OOMKilled") or state.get("ExitCode") == 137:
            return SandboxTerminated(TerminationReason.SANDBOX_OOM, "world server killed (memory)")
        tail = self._stderr.decode("utf-8", errors="replace").strip()[-500:]
        return SandboxError(
            f"world server exited (code {state.get('ExitCode')}): {tail or 'no output'}",
            code="sandbox_crashed",
        )

    def _final_state(self) -> dict[str, Any]:
        try:
            self._sb.api.wait(self.container_id, timeout=10)
            state = self._sb.api.inspect_container(self.container_id).get("State") or {}
            return dict(state)
        except Exception:
            return {}

    async def _kill(self) -> None:
        if not self._dead:
            self._dead = True
            await asyncio.to_thread(self._dispose)

    def _dispose(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
        try:
            self._sb._remove(self.container_id)
        except Exception:  # the run's close() / the next run's cleanup removes it by label
            pass

    async def _close(self) -> None:
        await self._kill()


def _docker_module(name: str) -> Any:
    """The docker SDK, imported on first use (the repo's docker/ folder shadows it for mypy)."""
    return importlib.import_module(name)


def _start_time(pid: int) -> str:
    """When the process started (clock ticks since boot, /proc/<pid>/stat field 22), or ""."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
