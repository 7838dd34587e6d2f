"""neurons/miner.py as a process: --help, startup errors, and the whole path on a localnet
(publish -> serve -> signed query -> verification)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from fakes.net import free_port
from fakes.wallets import make_wallet

from clawbench.pack import PolicyBundle
from trajectoryrl.chain import LocalChain
from trajectoryrl.miner import publish_pack
from trajectoryrl.protocol import SubmitPack, query_miner
from trajectoryrl.verify import (
    GitCache,
    LocalForge,
    Submission,
    VerifyContext,
    create_local_forge_repo,
    verify_submission,
)

ROOT = Path(__file__).resolve().parents[2]
MINER = [sys.executable, str(ROOT / "neurons" / "miner.py")]


def test_help_works_without_chain_or_wallet() -> None:
    out = subprocess.run([*MINER, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for flag in (
        "--netuid",
        "--wallet.name",
        "--wallet.hotkey",
        "--wallet.path",
        "--subtensor.network",
        "--axon.port",
        "--pack.dir",
        "--pack.repo_url",
    ):
        assert flag in out.stdout


def test_startup_errors_are_named(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            *MINER,
            "--pack.repo_dir",
            str(tmp_path / "none"),
            "--pack.repo_url",
            "https://github.com/a/b",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "not_published" in out.stderr
    assert "Traceback" not in out.stderr


async def test_localnet_publish_serve_query_verify(tmp_path: Path) -> None:
    wallets = tmp_path / "wallets"
    miner_w, validator_w = make_wallet(wallets, "miner"), make_wallet(wallets, "validator")
    chain = LocalChain(tmp_path / "chain.db", 11)
    chain.register(miner_w.hotkey.ss58_address)
    chain.register(validator_w.hotkey.ss58_address, stake=2000.0, validator_permit=True)
    chain.close_sync()
    bare = create_local_forge_repo(tmp_path / "forge" / "pack.git")
    pack = PolicyBundle.model_validate(
        {
            "files": {"AGENTS.md": "Ask before sending."},
            "metadata": {"pack_name": "p", "pack_version": "1.0.0"},
        }
    )
    await asyncio.to_thread(publish_pack, pack, tmp_path / "repo", remote_url=str(bare))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "pack.json").write_text(
        pack.model_copy(update={"files": {"AGENTS.md": "v2"}}).model_dump_json()
    )
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        *MINER,
        "--netuid",
        "11",
        "--wallet.name",
        "miner",
        "--wallet.hotkey",
        "hk",
        "--wallet.path",
        str(wallets),
        "--subtensor.network",
        "local",
        "--chain.db",
        str(tmp_path / "chain.db"),
        "--axon.ip",
        "127.0.0.1",
        "--axon.port",
        str(port),
        "--pack.repo_dir",
        str(tmp_path / "repo"),
        "--pack.repo_url",
        str(bare),
        "--pack.dir",
        str(tmp_path / "src"),
        "--publish",
        "--min_stake",
        "1000",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with aiohttp.ClientSession() as session:
            out = None
            for _ in range(100):
                out = await query_miner(
                    session,
                    f"127.0.0.1:{port}",
                    validator_w.hotkey,
                    miner_w.hotkey.ss58_address,
                    SubmitPack(validator_hotkey=validator_w.hotkey.ss58_address, epoch=1),
                    5.0,
                )
                if out.kind != "unreachable" or proc.returncode is not None:
                    break
                await asyncio.sleep(0.1)
        assert out is not None and out.kind == "answer", (out, proc.returncode)
        ans = out.answer
        assert ans is not None and ans.repo_url == str(bare)
        ctx = VerifyContext(
            cache=GitCache(tmp_path / "cache", local_network=True), forge=LocalForge()
        )
        result = await verify_submission(
            Submission(
                repo_url=ans.repo_url or "",
                git_commit_hash=ans.git_commit_hash or "",
                pack_hash=ans.pack_hash or "",
                submitted_at=time.time() + 60,
            ),
            ctx,
        )
        assert result.ok, result
        assert result.pack is not None and result.pack.files == {"AGENTS.md": "v2"}
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(10):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()
    stderr = (await proc.stderr.read()).decode() if proc.stderr else ""
    assert proc.returncode == 0, stderr
    # the start-up banner, and each request logged (JSON lines: stderr is not a terminal)
    assert "TrajectoryRL miner" in stderr and f"hotkey     {miner_w.hotkey.ss58_address}" in stderr
    assert '"event": "request POST /SubmitPack from 127.0.0.1 hotkey=' in stderr
