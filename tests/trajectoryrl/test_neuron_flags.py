"""Both neurons as processes: Bittensor-conventional flags, help with allowed values, and
every start-up problem one line with exit 2 (a typo'd chain file, an unreachable chain, a
busy port, a misspelled .env key), never a traceback or a silent empty chain."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.wallets import make_wallet

from clawbench.pack import PolicyBundle
from trajectoryrl.chain import LocalChain
from trajectoryrl.miner import publish_pack
from trajectoryrl.verify import create_local_forge_repo

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = [sys.executable, str(ROOT / "neurons" / "validator.py")]
MINER = [sys.executable, str(ROOT / "neurons" / "miner.py")]


def run(cmd: list[str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd, check=False
    )


def one_line_exit_2(out: subprocess.CompletedProcess[str], prefix: str) -> list[str]:
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith(prefix)]
    assert lines, out.stderr
    return lines


@pytest.fixture(scope="module")
def wallets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wallets")
    make_wallet(root, "v")
    make_wallet(root, "m")
    return root


def validator_args(wallets: Path, tmp: Path) -> list[str]:
    return [
        "--wallet.path", str(wallets), "--wallet.name", "v", "--wallet.hotkey", "hk",
        "--model", f"scripted:{ROOT / 'scenarios' / 'scripts'}", "--sandbox", "local",
        "--suite.dir", str(ROOT / "scenarios"), "--state.dir", str(tmp / "state"),
        "--env-file", str(tmp / "none.env"),
    ]  # fmt: skip


def test_validator_help_describes_every_flag_with_its_allowed_values() -> None:
    out = run(VALIDATOR, "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    for want in (
        "--subtensor.chain_endpoint",
        "--logging.trace",
        "--logging.info",
        "--local_chain.db LOCAL_CHAIN_DB, --chain.db LOCAL_CHAIN_DB",
        "finney | test | local | ws://host:port",
        "docker | local",
        "burn | skip",
        "accept | reject",
        "2 cannot start",
    ):
        assert want in text, want


def test_validator_accepts_other_subnets_flags_and_gives_up_on_an_unreachable_chain(
    wallets: Path, tmp_path: Path
) -> None:
    out = run(
        VALIDATOR,
        *validator_args(wallets, tmp_path),
        "--subtensor.chain_endpoint", "ws://127.0.0.1:9",
        "--logging.trace", "--logging.info",
    )  # fmt: skip
    (line,) = one_line_exit_2(out, "validator: cannot start:")
    assert "chain 'ws://127.0.0.1:9' not reachable within 30 s" in line


def test_a_typo_in_the_chain_file_is_an_error_not_an_empty_chain(
    wallets: Path, tmp_path: Path
) -> None:
    typo = tmp_path / "chian.db"
    out = run(
        VALIDATOR,
        *validator_args(wallets, tmp_path),
        "--subtensor.network", "local", "--chain.db", str(typo), "--local_network",
        "--forge", "local",
    )  # fmt: skip
    (line,) = one_line_exit_2(out, "validator: cannot start:")
    assert f"no local chain file at {typo}" in line
    assert not typo.exists()


def test_every_start_up_problem_is_its_own_line(tmp_path: Path) -> None:
    out = run(
        VALIDATOR,
        "--wallet.path", str(tmp_path / "nowallets"), "--suite.dir", str(tmp_path / "nosuite"),
        "--model", "scripted:/nonexistent", "--env-file", str(tmp_path / "none.env"),
    )  # fmt: skip
    lines = one_line_exit_2(out, "validator: cannot start:")
    assert len(lines) >= 3
    assert any("wallet:" in ln for ln in lines) and any("suite:" in ln for ln in lines)


def test_a_misspelled_env_file_key_is_reported(wallets: Path, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TRAJECTORYRL_NETUD=7\n", encoding="utf-8")
    args = validator_args(wallets, tmp_path)
    args[args.index("--env-file") + 1] = str(env)
    out = run(VALIDATOR, *args)
    (line,) = one_line_exit_2(out, "validator:")
    assert "unknown key TRAJECTORYRL_NETUD (did you mean TRAJECTORYRL_NETUID?)" in line


# --- miner -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pack")
    bare = create_local_forge_repo(root / "forge" / "pack.git")
    pack = PolicyBundle.model_validate(
        {
            "files": {"AGENTS.md": "Ask first."},
            "metadata": {"pack_name": "p", "pack_version": "1.0.0"},
        }
    )
    publish_pack(pack, root / "repo", remote_url=str(bare))
    return root / "repo", bare


def miner_args(wallets: Path, published: tuple[Path, Path]) -> list[str]:
    repo, bare = published
    return [
        "--wallet.path", str(wallets), "--wallet.name", "m", "--wallet.hotkey", "hk",
        "--pack.repo_dir", str(repo), "--pack.repo_url", str(bare), "--axon.ip", "127.0.0.1",
        "--no_commit",
    ]  # fmt: skip


def test_miner_help_has_the_conventional_flags() -> None:
    out = run(MINER, "--help")
    assert out.returncode == 0
    for flag in ("--subtensor.chain_endpoint", "--local_chain.db", "--chain.db", "--logging.trace"):
        assert flag in out.stdout


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        (["--subtensor.network", "fnney"], "--subtensor.network 'fnney': expected finney"),
        (["--subtensor.network", "local", "--local_chain.db", "/no/chian.db"], "no local chain"),
        (
            ["--subtensor.chain_endpoint", "ws://127.0.0.1:9", "--logging.info"],
            "chain 'ws://127.0.0.1:9' not reachable within 30 s",
        ),
    ],
)
def test_miner_start_up_errors_are_one_line(
    wallets: Path, published: tuple[Path, Path], extra: list[str], expect: str
) -> None:
    out = run(MINER, *miner_args(wallets, published), *extra)
    (line,) = one_line_exit_2(out, "miner:")
    assert expect in line


def test_miner_refuses_a_busy_port_in_one_line(
    wallets: Path, published: tuple[Path, Path], tmp_path: Path
) -> None:
    chain = LocalChain(tmp_path / "chain.db", 11)
    chain.close_sync()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run(
            MINER,
            *miner_args(wallets, published),
            "--subtensor.network", "local", "--local_chain.db", str(tmp_path / "chain.db"),
            "--axon.port", str(port),
        )  # fmt: skip
    (line,) = one_line_exit_2(out, "miner:")
    assert f"--axon.port {port}: cannot listen" in line
