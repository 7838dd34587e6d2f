"""End to end: `trajectoryrl localnet` for two epochs, then `audit verify` and `reconcile`.

Real parts throughout: bittensor wallets and btauth/1 over loopback HTTP, git repositories
with a post-receive push-time hook, the embedded chain, the harness and scoring. Only the
model is scripted."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from rich.console import Console

from trajectoryrl.cli import main as cli
from trajectoryrl.localnet import run_localnet

SUITE = Path(__file__).resolve().parents[2] / "scenarios"


def test_localnet_two_epochs(tmp_path: Path) -> None:
    out = io.StringIO()
    root = tmp_path / "net"
    result = asyncio.run(
        run_localnet(root=root, epochs=2, suite_dir=SUITE, console=Console(file=out, width=200))
    )
    assert len(result.epochs) == 2
    strong_uid = None
    for rep in result.epochs:
        rows = {r.miner: r for r in rep.rows}
        assert rep.status == "weights_set" and rep.winner == "strong"
        assert rows["strong"].decision == "first" and rows["strong"].weight == 1.0
        assert rows["copycat"].final == rows["strong"].final  # the same pack, the same score ...
        assert rows["copycat"].decision.startswith(
            "below_threshold"
        )  # ... but later: it loses by delta
        assert rows["copycat"].weight == 0.0
        assert (
            rows["badhash"].verification == "pack_hash_mismatch" and rows["badhash"].final is None
        )
        assert rows["weak"].qualified is False and rows["weak"].weight == 0.0
        strong_uid = rows["strong"].uid
        assert rep.chain_weights == {strong_uid: 1.0}  # what the chain holds matches the winner
    text = out.getvalue()
    assert "scripted model" in text and "pack_hash_mismatch" in text
    assert sorted(p.name for p in (root / "reports").iterdir())[0].startswith("epoch")

    state = str(root / "validator")
    assert cli(["audit", "verify", "--state-dir", state]) == 0
    last = result.epochs[-1].epoch
    assert (
        cli(
            [
                "reconcile",
                "--epoch",
                str(last),
                "--state-dir",
                state,
                "--suite-dir",
                str(SUITE),
                "--chain-db",
                str(root / "chain.db"),
                "--validator-hotkey",
                result.validator_hotkey,
            ]
        )
        == 0
    )
