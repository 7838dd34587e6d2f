"""The hostile-subnet soak at CI size: a localnet with honest miners and one miner per attack
(lone-surrogate tool arguments, a flood of tool output, a duplicate-key pack.json, junk in the
forge's push log, slow-loris connections held against the honest miner) for five epochs.
Weights are set every epoch, the honest best pack is paid, and no attacker blocks or wins.
benchmarks/soak.py runs the same at larger scale and prints the figures."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from rich.console import Console

from trajectoryrl.cli import main as cli
from trajectoryrl.localnet import HOSTILE_MINERS, run_localnet

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
EPOCHS = 5


def test_a_hostile_subnet_sets_weights_every_epoch_and_pays_the_honest_pack(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    root = tmp_path / "net"
    result = asyncio.run(
        run_localnet(
            root=root,
            epochs=EPOCHS,
            suite_dir=SUITE,
            miners=HOSTILE_MINERS,
            console=Console(file=out, width=220),
        )
    )
    text = out.getvalue()
    assert len(result.epochs) == EPOCHS
    assert "holds" in text and "slow connections to honest" in text  # the flood really ran
    for rep in result.epochs:
        rows = {r.miner: r for r in rep.rows}
        assert rep.status == "weights_set", (rep.epoch, rep.status)
        assert rep.winner == "honest"
        assert rep.chain_weights == {rows["honest"].uid: 1.0}
        # The slow-loris target was still asked, answered and verified.
        assert rows["honest"].verification == "ok" and rows["honest"].weight == 1.0
        # Each attack is the attacker's outcome: scored (not left out) or refused by reason.
        assert rows["surrogate"].final is not None and rows["surrogate"].weight == 0.0
        assert rows["flood"].final is not None and rows["flood"].weight == 0.0
        assert rows["dupkeys"].verification == "pack_duplicate_key"
        assert rows["junk"].verification == "ok" and rows["junk"].weight == 0.0
        assert rows["loris"].weight == 0.0
    assert cli(["audit", "verify", "--state-dir", str(root / "validator")]) == 0
