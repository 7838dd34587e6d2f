"""The sandbox's world server: JSON lines on stdin, JSON lines on stdout (standard library only).

It runs as PID 1 of a locked container (sandbox.Dockerfile beside it) and answers one episode:

    {"id": n, "op": "init", "world_input": {...}, "real_workspace": {path: text} | null,
     "exec_timeout_s": 30}
    {"id": n, "op": "plan" | "call", "tool": "exec", "args": {...}}
    {"id": n, "op": "verify", "command": "...", "timeout_s": 60}
    {"id": n, "op": "check", "kind": "manifest" | "values" | "unittest", "spec": {...},
     "restore_roots": ["tests"], "restore": {path: text}, "timeout_s": 30}
    {"id": n, "op": "shutdown"}

Every answer echoes ``id`` and carries ``ok``; a failure carries ``code`` and ``message``, a
containment outcome carries ``terminated`` ("pids_limit" or "oom"). Mock tools go to the world
engine; in a real-shell episode ``exec`` runs ``/bin/sh -c`` in the workspace instead.

Hardening that only this process can do: it is not dumpable (commands running under the same
uid cannot ptrace it or open /proc/1/fd/*, so they cannot forge answers), commands never inherit
its stdin/stdout, and, as PID 1, it kills every other process after each command so nothing the
agent started outlives that command.

Hidden checks (``check``) trust nothing the agent left: the first one kills every process and
reads the final workspace into this process's memory (``manifest``: its files' hashes, taken
before any agent code runs again); each check then runs on a fresh copy of that snapshot with
the scenario's test files written over it (and hashed), in ``python3 -I``, and its answer is
the values the check program computed (see ``VALUES_PROGRAM`` / ``UNITTEST_PROGRAM``), which
the host compares with the expected values it alone holds; the program's exit code is ignored.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath
from typing import Any

PROTOCOL_VERSION = 1
MAX_OUTPUT_BYTES = 64 * 1024
TIMEOUT_EXIT_CODE = 124
FILE_MTIME = 1767225600  # 2026-01-01T00:00Z: workspace files look the same in every run
_CMD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
}
# cgroup counters (v1 and v2 layouts) that tell a fork bomb or an OOM kill apart from a crash.
_PIDS_EVENTS = ("/sys/fs/cgroup/pids/pids.events", "/sys/fs/cgroup/pids.events")
_OOM_EVENTS = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _counter(paths: tuple[str, ...], key: str) -> int | None:
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
                return int(parts[1])
    return None


def _harden_self() -> None:
    """Not dumpable: same-uid processes can no longer ptrace us or open /proc/<pid>/fd."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass
    if os.getpid() == 1:
        # As init, only signals with a handler are delivered; make sure none has one.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_IGN)


# seccomp: the agent's commands may not trace or read/write other processes' memory (a traced
# shell can stall a hidden check: its parent never sees it exit). (arch, nr...) per ABI.
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_DENIED_SYSCALLS = {
    "x86_64": (101, 310, 311),  # ptrace, process_vm_readv, process_vm_writev
    "aarch64": (117, 270, 271),
}
_EPERM = 1


def _deny_ptrace_filter(machine: str) -> bytes | None:
    """A classic-BPF seccomp program returning EPERM for the denied syscalls (and for the
    x32 ABI on x86_64, which would otherwise dodge the numbers); None on other machines."""
    import struct

    arch, denied = _AUDIT_ARCH.get(machine), _DENIED_SYSCALLS.get(machine)
    if arch is None or denied is None:
        return None
    n = len(denied)
    ld_w_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, errno = 0x7FFF0000, 0x00050000 | _EPERM
    prog = [
        (ld_w_abs, 0, 0, 4),  # seccomp_data.arch
        (jeq, 0, n + 2, arch),  # another ABI: allow (docker's own profile still applies)
        (ld_w_abs, 0, 0, 0),  # seccomp_data.nr
        (jge, n + 1, 0, 0x40000000),  # x32 syscalls: deny
        *[(jeq, n - k, 0, nr) for k, nr in enumerate(denied)],
        (ret, 0, 0, allow),
        (ret, 0, 0, errno),
    ]
    return b"".join(struct.pack("HBBI", *insn) for insn in prog)


def _install_seccomp() -> None:
    import ctypes

    program = _deny_ptrace_filter(os.uname().machine)
    if program is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(program, len(program))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = _Prog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS (also set by docker's no-new-privileges)
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        os._exit(126)  # never run an agent command without the filter


def _child_setup() -> None:
    # Volunteer the agent's commands to the OOM killer before this server.
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass
    _install_seccomp()


def _clear_ipc() -> None:
    """Remove every SysV IPC object and POSIX message queue left in the container's IPC
    namespace: they outlive the processes that made them, so state could pass between
    commands (or into a hidden check) outside the workspace."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for kind, remove in (
        ("shm", lambda i: libc.shmctl(i, ipc_rmid, None)),
        ("msg", lambda i: libc.msgctl(i, ipc_rmid, None)),
        ("sem", lambda i: libc.semctl(i, 0, ipc_rmid)),
    ):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 1 and fields[1].isdigit():
                remove(int(fields[1]))
    try:
        queues = os.listdir("/dev/mqueue")
    except OSError:
        return
    for name in queues:
        try:
            os.unlink(os.path.join("/dev/mqueue", name))
        except OSError:
            pass


class Server:
    """One episode's state. ``engine_module`` names the world engine package to import."""

    def __init__(self, engine_module: str, workspace: str) -> None:
        self._engine_module = engine_module
        self._workspace = Path(workspace)
        self._engine: Any = None
        self._real_shell = False
        self._exec_timeout = 30.0
        self._snapshot: dict[str, Any] | None = None  # the final workspace, taken once
        self._pids_max = _counter(_PIDS_EVENTS, "max")
        self._oom_kills = _counter(_OOM_EVENTS, "oom_kill")

    # -- ops -----------------------------------------------------------------------------
    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        if op == "init":
            return self._init(req)
        if op in ("plan", "call", "verify") and self._engine is None:
            raise ProtocolError("not_initialised", f"{op!r} before 'init'")
        if op == "plan":
            return {"result": self._plan(_str(req, "tool"), req.get("args"))}
        if op == "call":
            return self._call(_str(req, "tool"), req.get("args"))
        if op == "verify":
            timeout = _positive(req.get("timeout_s", 60.0), "timeout_s")
            if self._snapshot is not None:  # after a hidden check: the final state again
                self._sweep()
                try:
                    materialise(self._workspace, self._snapshot, [], {})
                except OSError:  # the agent filled the workspace
                    return {"exit_code": 125}
            code, _, _ = self._run(_str(req, "command"), timeout)
            return {"exit_code": code}
        if op == "check":
            return self._check(req)
        raise ProtocolError("unknown_op", f"unknown op {op!r}")

    # -- hidden checks -----------------------------------------------------------------------
    def _check(self, req: dict[str, Any]) -> dict[str, Any]:
        if not self._real_shell:
            raise ProtocolError("bad_request", "'check' needs a real workspace")
        kind = req.get("kind")
        if kind not in ("manifest", "values", "unittest"):
            raise ProtocolError("bad_request", f"unknown check kind {kind!r}")
        if self._snapshot is None:
            self._sweep()  # nothing the agent started runs from here on
            self._snapshot = snapshot_tree(self._workspace)
        if kind == "manifest":
            paths = (req.get("spec") or {}).get("paths", [])
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise ProtocolError("bad_request", "spec.paths must be a list of paths")
            return {"status": "reported", "restored": {}, "report": manifest(self._snapshot, paths)}
        timeout = _positive(req.get("timeout_s", 30.0), "timeout_s")
        roots, files = req.get("restore_roots", []), req.get("restore", {})
        spec = req.get("spec")
        if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
            raise ProtocolError("bad_request", "restore_roots must be a list of paths")
        if not isinstance(files, dict) or not isinstance(spec, dict):
            raise ProtocolError("bad_request", "restore and spec must be objects")
        self._sweep()
        try:
            restored = materialise(self._workspace, self._snapshot, roots, files)
        except ValueError as exc:
            raise ProtocolError("bad_workspace_path", str(exc)) from None
        except OSError:  # the agent filled the workspace: no fresh copy, a failed check
            return {"status": "not_restored", "restored": {}, "report": None}
        program = VALUES_PROGRAM if kind == "values" else UNITTEST_PROGRAM
        stdin = json.dumps({**spec, "workspace": str(self._workspace)}).encode()
        argv = ["python3", "-I", "-B", "-c", program]
        _, out, timed_out = self._run_argv(argv, timeout, stdin)
        if timed_out:
            return {"status": "timeout", "restored": restored, "report": None}
        report = parse_report(out)
        status = "reported" if report is not None else "no_report"
        return {"status": status, "restored": restored, "report": report}

    def _init(self, req: dict[str, Any]) -> dict[str, Any]:
        if self._engine is not None:
            raise ProtocolError("already_initialised", "'init' sent twice")
        module = importlib.import_module(self._engine_module)
        try:
            engine = module.WorldEngine(req.get("world_input"))
        except module.FixtureError as exc:
            raise ProtocolError(getattr(exc, "code", "fixture_invalid"), str(exc)) from None
        files = req.get("real_workspace")
        self._exec_timeout = _positive(req.get("exec_timeout_s", 30.0), "exec_timeout_s")
        if files is not None:
            if not isinstance(files, dict):
                raise ProtocolError("bad_request", "real_workspace must be an object")
            for rel, text in sorted(files.items()):
                self._write_workspace_file(rel, text)
            for folder, _, _ in os.walk(self._workspace):
                try:
                    os.utime(folder, (FILE_MTIME, FILE_MTIME))
                except OSError:
                    pass  # the workspace root itself belongs to root
            self._real_shell = True
        self._engine = engine
        return {"protocol": PROTOCOL_VERSION, "real_shell": self._real_shell}

    def _write_workspace_file(self, rel: Any, text: Any) -> None:
        if not isinstance(rel, str) or not isinstance(text, str):
            raise ProtocolError("bad_request", "real_workspace maps a path to its text")
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or any(p in ("..", ".") for p in parts):
            raise ProtocolError("bad_workspace_path", f"workspace path {rel!r} is not relative")
        dest = self._workspace.joinpath(*parts)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            os.utime(dest, (FILE_MTIME, FILE_MTIME))
        except OSError as exc:
            raise ProtocolError("workspace_unwritable", f"{rel}: {exc.strerror}") from None

    def _plan(self, tool: str, args: Any) -> dict[str, Any]:
        if self._real_shell and tool == "exec":
            return {"effects": [], "irreversible": False}
        return dict(self._engine.plan(tool, args))

    def _call(self, tool: str, args: Any) -> dict[str, Any]:
        if not (self._real_shell and tool == "exec"):
            return {"result": self._engine.call(tool, args)}
        command = args.get("command") if isinstance(args, dict) else None
        if not isinstance(command, str):
            result = _result("exec: 'command' must be a string", 2)
            return {"result": result}
        code, out, timed_out = self._run(command, self._exec_timeout)
        if timed_out:
            out += f"\n[command timed out after {self._exec_timeout:g} s]"
        return {"result": _result(out, code)}

    # -- real commands ---------------------------------------------------------------------
    def _run(self, command: str, timeout: float) -> tuple[int, str, bool]:
        """Runs ``command`` in the workspace; returns (exit code, bounded output, timed out)."""
        return self._run_argv(["/bin/sh", "-c", command], timeout)

    def _run_argv(
        self, argv: list[str], timeout: float, stdin: bytes | None = None
    ) -> tuple[int, str, bool]:
        env = dict(_CMD_ENV, HOME=str(self._workspace), TMPDIR=str(self._workspace))
        try:
            proc = subprocess.Popen(
                argv,
                cwd=self._workspace,
                env=env,
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                preexec_fn=_child_setup,  # the server is single-threaded
            )
        except OSError as exc:
            self._contained()
            return 126, f"sh: cannot start command: {exc.strerror}", False
        assert proc.stdout is not None
        if stdin is not None and proc.stdin is not None:
            try:  # the check program reads all of it before any agent code runs
                proc.stdin.write(stdin)
                proc.stdin.close()
            except OSError:
                pass
        # One deadline for the whole command: reading its output and waiting for it to exit.
        deadline = time.monotonic() + timeout
        buf, timed_out = _read_bounded(proc.stdout.fileno(), deadline)
        proc.stdout.close()
        code = None
        if not timed_out:
            try:
                code = proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
        if timed_out:
            # Kill everything, not only the command's group: a process that escaped the group
            # and traces the shell would otherwise keep the shell's exit from ever reaching us.
            _kill_group(proc.pid)
            self._sweep()
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = TIMEOUT_EXIT_CODE
        self._sweep()
        self._contained()
        assert code is not None
        if timed_out:
            code = TIMEOUT_EXIT_CODE
        elif code < 0:
            code = 128 - code
        return code, buf.decode("utf-8", errors="replace"), timed_out

    def _sweep(self) -> None:
        """As PID 1, kill every other process (nothing outlives a command), reap them, and
        clear the IPC objects they left."""
        if os.getpid() != 1:
            return
        try:
            self._kill_and_reap()
        finally:
            _clear_ipc()

    def _kill_and_reap(self) -> None:
        for _ in range(200):
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass  # nobody left to signal; reap what remains
            while True:
                try:
                    pid, _ = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    return
                if pid == 0:
                    break
            time.sleep(0.01)

    def _contained(self) -> None:
        """Raises Terminated when the last command hit the pids or memory limit."""
        pids_max = _counter(_PIDS_EVENTS, "max")
        if pids_max is not None and pids_max != self._pids_max:
            raise Terminated("pids_limit", f"process limit reached {pids_max} time(s)")
        oom = _counter(_OOM_EVENTS, "oom_kill")
        if oom is not None and oom != self._oom_kills:
            raise Terminated("oom", "a process was killed for exceeding the memory limit")


class Terminated(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _result(content: str, exit_code: int) -> dict[str, Any]:
    return {
        "content": content,
        "is_error": exit_code != 0,
        "exit_code": exit_code,
        "side_effects": [],
    }


def _read_bounded(fd: int, deadline: float) -> tuple[bytearray, bool]:
    """Reads until EOF or ``deadline``, keeping at most MAX_OUTPUT_BYTES (the rest is drained,
    so a command printing forever cannot grow this process)."""
    buf = bytearray()
    truncated = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return _mark(buf, truncated), True
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return _mark(buf, truncated), False
        room = MAX_OUTPUT_BYTES - len(buf)
        buf += chunk[:room]
        truncated = truncated or len(chunk) > room


def _mark(buf: bytearray, truncated: bool) -> bytearray:
    if truncated:
        buf += f"\n[output truncated to {MAX_OUTPUT_BYTES} bytes]".encode()
    return buf


# -- hidden checks: the final workspace, fresh copies of it, and the check programs ---------
MAX_SNAPSHOT_BYTES = 96 * 1024 * 1024
MAX_MANIFEST_ENTRIES = 5000
REPORT_KEY = "clawbench_check"

# Both programs read their whole spec from stdin before any agent code runs, keep a private
# copy of stdout for the report and point fds 1 and 2 at /dev/null (the agent's prints cannot
# mix into it), put the workspace AFTER the standard library on sys.path (it cannot shadow
# json or unittest), and report what they computed; their exit code means nothing. Agent code
# runs in the same process and can write anything, so the report is only ever compared with
# values the host holds: to pass, it must hold the right answers to inputs it first sees here.
_PROGRAM_HEAD = """
import json, os, sys
spec = json.loads(sys.stdin.read())
_out = os.fdopen(os.dup(1), "w")
_null = os.open(os.devnull, os.O_WRONLY)
os.dup2(_null, 1)
os.dup2(_null, 2)
sys.path.append(spec["workspace"])
os.chdir(spec["workspace"])
def report(body):
    body["clawbench_check"] = 1
    _out.write("\\n" + json.dumps(body) + "\\n")
    _out.flush()
    os._exit(0)
"""
VALUES_PROGRAM = (
    _PROGRAM_HEAD
    + """
import importlib
def _value(v):
    try:
        text = json.dumps(v, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return {"type": type(v).__name__}
    if len(text) > 4096:
        return {"type": type(v).__name__, "too_large": True}
    return {"value": json.loads(text)}
module, _, name = spec["function"].partition(":")
try:
    fn = getattr(importlib.import_module(module), name)
except BaseException as exc:
    report({"import_error": type(exc).__name__})
results = []
for args in spec["cases"]:
    try:
        results.append(_value(fn(*args)))
    except BaseException as exc:
        results.append({"raises": type(exc).__name__})
report({"results": results})
"""
)
UNITTEST_PROGRAM = (
    _PROGRAM_HEAD
    + """
import unittest
outcomes = {}
class _Result(unittest.TestResult):
    def addSuccess(self, test):
        outcomes[test.id()] = "pass"
    def addFailure(self, test, err):
        outcomes[test.id()] = "fail"
    def addError(self, test, err):
        outcomes[test.id()] = "error"
    def addSkip(self, test, reason):
        outcomes[test.id()] = "skip"
    def addExpectedFailure(self, test, err):
        outcomes[test.id()] = "fail"
    def addUnexpectedSuccess(self, test):
        outcomes[test.id()] = "pass"
# Canaries: tests that must fail. A runner or assertion patched to pass everything passes them.
nonce = spec["canary_nonce"]
def _assert(self):
    self.assertEqual(nonce, nonce + 1)
def _raise(self):
    raise AssertionError(nonce)
canary = type(spec["canary_class"], (unittest.TestCase,), {
    spec["canary_methods"][0]: _assert, spec["canary_methods"][1]: _raise,
})
canary.__module__ = "clawbench_canary"
suite = unittest.TestSuite()
try:
    suite.addTests(unittest.TestLoader().discover(os.path.join(spec["workspace"], spec["start_dir"])))
except BaseException as exc:
    report({"import_error": type(exc).__name__})
suite.addTests(unittest.TestLoader().loadTestsFromTestCase(canary))
try:
    suite.run(_Result())
except BaseException as exc:
    outcomes["<run>"] = "error:" + type(exc).__name__
report({"tests": outcomes})
"""
)


def snapshot_tree(root: Path) -> dict[str, Any]:
    """The tree under ``root`` in memory: relative path -> {"type": dir|file|link|special,
    "mode", "data" (file bytes), "target" (link)}. Unreadable directories and files are
    opened up first (the agent's processes are gone; they belong to our uid)."""
    entries: dict[str, Any] = {}
    total = 0
    for folder, dirs, files in os.walk(root, onerror=None, followlinks=False):
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                entries[rel] = {"type": "link", "target": os.readlink(path)}
                if name in dirs:
                    dirs.remove(name)  # never followed
            elif stat.S_ISDIR(st.st_mode):
                _open_up(path, 0o700)
                entries[rel] = {"type": "dir", "mode": stat.S_IMODE(st.st_mode)}
            elif stat.S_ISREG(st.st_mode):
                _open_up(path, 0o600)
                with open(path, "rb") as fh:
                    data = fh.read(MAX_SNAPSHOT_BYTES - total + 1)
                total += len(data)
                if total > MAX_SNAPSHOT_BYTES:
                    raise Terminated("oom", "the workspace is larger than a check can copy")
                entries[rel] = {"type": "file", "mode": stat.S_IMODE(st.st_mode), "data": data}
            else:
                entries[rel] = {"type": "special"}
    return entries


def _open_up(path: str, bits: int) -> None:
    try:
        st = os.lstat(path)
        if stat.S_IMODE(st.st_mode) & bits != bits:
            os.chmod(path, stat.S_IMODE(st.st_mode) | bits)
    except OSError:
        pass


def manifest(entries: dict[str, Any], paths: list[str]) -> dict[str, str]:
    """Path -> "sha256:<hex>" (files), "link:<target>", "dir" or "special", for every entry
    under ``paths``."""
    import hashlib

    out: dict[str, str] = {}
    for rel, e in sorted(entries.items()):
        if not _under(rel, paths):
            continue
        if len(out) >= MAX_MANIFEST_ENTRIES:
            out["<truncated>"] = "special"
            break
        if e["type"] == "file":
            out[rel] = "sha256:" + hashlib.sha256(e["data"]).hexdigest()
        elif e["type"] == "link":
            out[rel] = "link:" + e["target"]
        else:
            out[rel] = e["type"]
    return out


def _under(rel: str, roots: list[str]) -> bool:
    return any(rel == r or rel.startswith(r.rstrip("/") + "/") for r in roots)


def _clear(root: Path) -> None:
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if os.path.isdir(path) and not os.path.islink(path):
            _open_up(path, 0o700)  # a locked folder (mode 000) is emptied all the same
            for folder, dirs, _ in os.walk(path):
                for name in dirs:
                    _open_up(os.path.join(folder, name), 0o700)
            shutil.rmtree(path)
        else:
            os.unlink(path)


def materialise(
    root: Path, entries: dict[str, Any], roots: list[str], files: dict[str, Any]
) -> dict[str, str]:
    """Makes ``root`` a fresh copy of the snapshot in which every path under ``roots`` is
    replaced by ``files`` (the scenario's own), and returns each written file's sha256 as
    read back from disk before anything runs. Raises ValueError for a path outside a root."""
    import hashlib

    for rel in list(files) + roots:
        parts = PurePosixPath(rel).parts
        if not isinstance(rel, str) or not parts or rel.startswith("/") or ".." in parts:
            raise ValueError(f"restore path {rel!r} is not relative")
    for rel in files:
        if not _under(rel, roots):
            raise ValueError(f"restore file {rel!r} is under no restore root")
    _clear(root)
    for rel, e in sorted(entries.items()):
        if _under(rel, roots):
            continue  # restored from the scenario, never from the agent's workspace
        path = os.path.join(root, rel)
        if e["type"] == "dir":
            os.makedirs(path, exist_ok=True)
        elif e["type"] == "link":
            os.symlink(e["target"], path)
        elif e["type"] == "file":
            with open(path, "wb") as fh:
                fh.write(e["data"])
            os.chmod(path, e["mode"])
            os.utime(path, (FILE_MTIME, FILE_MTIME))
    for rel, e in sorted(entries.items(), reverse=True):  # modes last: a 0o500 dir is filled
        if e["type"] == "dir" and not _under(rel, roots):
            os.chmod(os.path.join(root, rel), e["mode"] | 0o700)
    restored: dict[str, str] = {}
    for rel, text in sorted(files.items()):
        if not isinstance(text, str):
            raise ValueError(f"restore file {rel!r} must be text")
        dest = root
        for part in PurePosixPath(rel).parts[:-1]:
            dest = dest / part
            if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
                dest.unlink()
            dest.mkdir(exist_ok=True)
        target = dest / PurePosixPath(rel).name
        target.write_bytes(text.encode("utf-8"))
        os.utime(target, (FILE_MTIME, FILE_MTIME))
        restored[rel] = hashlib.sha256(target.read_bytes()).hexdigest()
    return restored


def parse_report(output: str) -> dict[str, Any] | None:
    """The check program's report: the last output line that is a JSON object carrying
    ``REPORT_KEY`` (without it), or None."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            body = json.loads(line)
        except ValueError:
            continue
        if isinstance(body, dict) and body.pop(REPORT_KEY, None) == 1:
            return body
    return None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _str(req: dict[str, Any], key: str) -> str:
    value = req.get(key)
    if not isinstance(value, str):
        raise ProtocolError("bad_request", f"{key!r} must be a string")
    return value


def _positive(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ProtocolError("bad_request", f"{key!r} must be a positive number")
    return float(value)


def serve(server: Server, stdin: Any, stdout: Any) -> int:
    """The request loop: one answer line per request line, until shutdown or EOF."""
    for raw in stdin:
        req_id = None
        try:
            req = json.loads(raw)
            if not isinstance(req, dict):
                raise ProtocolError("bad_request", "a request is a JSON object")
            req_id = req.get("id")
            if req.get("op") == "shutdown":
                _answer(stdout, {"id": req_id, "ok": True})
                return 0
            answer = {"id": req_id, "ok": True, **server.handle(req)}
        except ProtocolError as exc:
            answer = {"id": req_id, "ok": False, "code": exc.code, "message": str(exc)}
        except Terminated as exc:
            answer = {"id": req_id, "ok": False, "terminated": exc.reason, "message": str(exc)}
        except ValueError as exc:  # json.JSONDecodeError included
            answer = {"id": req_id, "ok": False, "code": "bad_request", "message": str(exc)}
        except Exception as exc:  # an engine bug: report it, the host decides
            answer = {
                "id": req_id,
                "ok": False,
                "code": "engine_error",
                "message": f"{type(exc).__name__}: {exc}",
            }
        _answer(stdout, answer)
    return 0


def _answer(stdout: Any, answer: dict[str, Any]) -> None:
    stdout.write(json.dumps(answer).encode("utf-8") + b"\n")
    stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="clawbench_engine", help="world engine package")
    parser.add_argument("--workspace", default="/workspace")
    opts = parser.parse_args(argv)
    _harden_self()
    return serve(Server(opts.engine, opts.workspace), sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
