"""Neuron logs: readable lines on a terminal, one JSON object per line otherwise (what log
collectors and pm2 read). The real neurons/miner.py and neurons/validator.py run as
processes, once on a pseudo-terminal and once piped, and their first log line is checked."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.wallets import make_wallet

from clawbench.pack import PolicyBundle
from trajectoryrl.chain import LocalChain
from trajectoryrl.miner import publish_pack
from trajectoryrl.verify import create_local_forge_repo

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
WAIT_S = 90.0  # generous: the machine may be loaded; the test never asserts a duration


def _read_until(fd: int, done: Callable[[str], bool], proc: subprocess.Popen[bytes]) -> str:
    """Read ``fd`` until ``done(text)`` or the process ends or WAIT_S passes."""
    buf = b""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the pty closes when the process exits
                break
            if not chunk:
                break
            buf += chunk
            if done(buf.decode("utf-8", "replace")):
                break
        elif proc.poll() is not None:
            break
    return buf.decode("utf-8", "replace")


def _run(argv: list[str], stream: str, tty: bool, done: Callable[[str], bool]) -> str:
    """Start ``argv`` with ``stream`` ("stdout" or "stderr") on a pty or a pipe, read until
    ``done``, then stop it (SIGINT, as Ctrl-C; the process is ours)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    if tty:
        master, slave = pty.openpty()
        target: dict[str, int] = {stream: slave}
        other = "stderr" if stream == "stdout" else "stdout"
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, **target, **{other: subprocess.DEVNULL}
        )  # type: ignore[call-overload]
        os.close(slave)
        fd = master
    else:
        other = "stderr" if stream == "stdout" else "stdout"
        proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            **{stream: subprocess.PIPE, other: subprocess.DEVNULL},  # type: ignore[arg-type]
        )
        pipe = proc.stdout if stream == "stdout" else proc.stderr
        assert pipe is not None
        fd = pipe.fileno()
    try:
        return _read_until(fd, done, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if tty:
            os.close(master)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("logs")
    make_wallet(root / "wallets", "m")
    validator = make_wallet(root / "wallets", "v")
    bare = create_local_forge_repo(root / "forge" / "pack.git")
    pack = PolicyBundle.model_validate(
        {
            "files": {"AGENTS.md": "Ask first."},
            "metadata": {"pack_name": "p", "pack_version": "1.0.0"},
        }
    )
    publish_pack(pack, root / "repo", remote_url=str(bare))
    chain = LocalChain(root / "chain.db", 11)
    chain.register(
        validator.hotkey.ss58_address, validator.coldkey.ss58_address, stake=1000.0,
        validator_permit=True,
    )  # fmt: skip
    chain.close_sync()
    return {"root": root, "bare": bare}


def _miner(s: dict[str, Path]) -> list[str]:
    root = s["root"]
    return [
        sys.executable, str(ROOT / "neurons" / "miner.py"),
        "--wallet.path", str(root / "wallets"), "--wallet.name", "m", "--wallet.hotkey", "hk",
        "--pack.repo_dir", str(root / "repo"), "--pack.repo_url", str(s["bare"]),
        "--axon.ip", "127.0.0.1", "--axon.port", "0", "--no_commit",
        "--subtensor.network", "local", "--local_chain.db", str(root / "chain.db"),
    ]  # fmt: skip


def _validator(s: dict[str, Path], state: str) -> list[str]:
    root = s["root"]
    return [
        sys.executable, str(ROOT / "neurons" / "validator.py"),
        "--wallet.path", str(root / "wallets"), "--wallet.name", "v", "--wallet.hotkey", "hk",
        "--subtensor.network", "local", "--local_chain.db", str(root / "chain.db"),
        "--model", f"scripted:{ROOT / 'scenarios' / 'scripts'}", "--sandbox", "local",
        "--suite.dir", str(ROOT / "scenarios"), "--state.dir", str(root / state),
        "--env-file", str(root / "none.env"), "--forge", "local", "--local_network",
        "--epoch.blocks", "10",
    ]  # fmt: skip


def _log_lines(text: str, needle: str) -> list[str]:
    return [ln for ln in ANSI.sub("", text).replace("\r", "").splitlines() if needle in ln]


def test_miner_logs_are_readable_on_a_terminal_and_json_when_piped(
    setup: dict[str, Path],
) -> None:
    needle = "serving SubmitPack"
    on_tty = _run(_miner(setup), "stderr", True, lambda t: needle in t)
    (line,) = _log_lines(on_tty, needle)
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO +serving SubmitPack on ", line)
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)

    piped = _run(_miner(setup), "stderr", False, lambda t: needle in t)
    (line,) = _log_lines(piped, needle)
    record = json.loads(line)  # one JSON object per line
    assert record["level"].lower() == "info" and record["event"].startswith(needle)


def test_validator_logs_are_readable_on_a_terminal_and_json_when_piped(
    setup: dict[str, Path],
) -> None:
    # its first log lines come from the first epoch's work on the local chain
    def logged(text: str) -> bool:
        return any(ln.strip() for ln in _body(text))

    on_tty = _run(_validator(setup, "state-tty"), "stdout", True, logged)
    lines = _body(on_tty)
    assert lines, on_tty
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*Z \[(info|debug|warning) *\] ", lines[0])
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])

    piped = _run(_validator(setup, "state-pipe"), "stdout", False, logged)
    lines = _body(piped)
    assert lines, piped
    record = json.loads(lines[0])
    assert {"event", "level", "timestamp"} <= set(record)


def _body(text: str) -> list[str]:
    return [ln for ln in ANSI.sub("", text).replace("\r", "").splitlines() if ln.strip()]
