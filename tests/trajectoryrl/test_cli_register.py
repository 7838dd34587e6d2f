"""``trajectoryrl register``: a miner registers a hotkey on a local chain file from the command
line (real subprocess, real bittensor wallet files, the embedded chain), and every wrong
input is one line with a reason code and exit 2 that creates nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trajectoryrl.chain import ChainError, LocalChain


def trajectoryrl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajectoryrl.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def chain_db(tmp_path: Path) -> Path:
    db = tmp_path / "chain.db"
    chain = LocalChain(db, 11)
    chain.register("5Owner", "5OwnerCold", stake=1000.0, validator_permit=True)
    chain.close_sync()
    return db


def _neurons(db: Path) -> dict[str, int]:
    chain = LocalChain(db, 11, create=False)
    try:
        return {n.hotkey: n.uid for n in asyncio.run(chain.metagraph()).neurons}
    finally:
        chain.close_sync()


def test_register_creates_the_wallet_and_the_chain_sees_the_hotkey(
    chain_db: Path, tmp_path: Path
) -> None:
    wallets = tmp_path / "wallets"
    args = ("register", "--local_chain.db", str(chain_db), "--wallet.path", str(wallets))
    r = trajectoryrl(*args, "--wallet.name", "miner", "--create", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["wallet_created"] is True and out["already_registered"] is False
    hotkey_file = wallets / "miner" / "hotkeys" / "default"
    assert json.loads(hotkey_file.read_text())["ss58Address"] == out["hotkey"]
    assert _neurons(chain_db)[out["hotkey"]] == out["uid"] == 1  # uid 0 is the owner

    again = trajectoryrl(*args, "--wallet.name", "miner")  # same hotkey: same UID, no new key
    assert again.returncode == 0, again.stderr
    assert f"already registered: hotkey {out['hotkey']} is uid 1 on subnet 11" in again.stdout
    assert "serve: python neurons/miner.py --subtensor.network local" in again.stdout
    serve = [ln for ln in again.stdout.splitlines() if ln.startswith("serve:")][0]
    assert f"--local_chain.db {chain_db}" in serve  # one line, whole: it can be pasted
    assert _neurons(chain_db) == {"5Owner": 0, out["hotkey"]: 1}


def _one_line_error(r: subprocess.CompletedProcess[str], code: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"trajectoryrl: error [{code}]: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


def test_a_mistyped_chain_file_or_netuid_creates_nothing(chain_db: Path, tmp_path: Path) -> None:
    wallets = tmp_path / "wallets"
    typo = tmp_path / "chian.db"
    line = _one_line_error(
        trajectoryrl(
            "register", "--chain.db", str(typo), "--wallet.path", str(wallets), "--create"
        ),
        "chain_not_found",
    )
    assert "no local chain file" in line
    assert not typo.exists() and not wallets.exists()  # no empty chain, no key made
    line = _one_line_error(
        trajectoryrl(
            "register",
            "--chain.db",
            str(chain_db),
            "--netuid",
            "12",
            "--wallet.path",
            str(wallets),
            "--create",
        ),  # fmt: skip
        "chain_not_found",
    )
    assert "no subnet 12 on this chain (it has: 11)" in line
    with pytest.raises(ChainError):
        LocalChain(chain_db, 12, create=False)  # still no subnet 12
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    _one_line_error(trajectoryrl("register", "--chain.db", str(garbage)), "chain_invalid")
    assert garbage.read_bytes() == b"not a database at all" * 100


def test_no_wallet_without_create_and_no_network_but_local(chain_db: Path, tmp_path: Path) -> None:
    line = _one_line_error(
        trajectoryrl(
            "register",
            "--chain.db",
            str(chain_db),
            "--wallet.path",
            str(tmp_path / "w"),
            "--wallet.name",
            "nobody",
        ),  # fmt: skip
        "no_wallet",
    )
    assert "add --create" in line and "btcli wallet new_hotkey --wallet.name nobody" in line
    assert _neurons(chain_db) == {"5Owner": 0}
    line = _one_line_error(
        trajectoryrl("register", "--subtensor.network", "test", "--netuid", "7"), "not_local"
    )
    assert "btcli subnets register --netuid 7 --network test" in line
    _one_line_error(trajectoryrl("register"), "usage")


def test_a_full_subnet_of_permitted_validators_refuses_with_exit_1(
    chain_db: Path, tmp_path: Path
) -> None:
    chain = LocalChain(chain_db, 11)
    chain.set_hyperparameters(max_uids=1)
    chain.close_sync()
    r = trajectoryrl(
        "register", "--chain.db", str(chain_db), "--wallet.path", str(tmp_path / "w"), "--create"
    )
    assert r.returncode == 1 and "error [subnet_full]" in r.stderr, r.stderr
