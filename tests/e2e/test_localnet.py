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
        assert rows["copycat"].decision == "copy of strong"  # ... committed later: a copy
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


def test_the_validator_neuron_runs_by_hand_against_the_localnet_chain(tmp_path: Path) -> None:
    """`python neurons/validator.py --subtensor.network local ...` as a separate process, with
    a fresh state, started after the localnet: it loads the wallet, opens the shared chain file,
    reads the claims committed there (the localnet's miners are gone by now: nobody answers
    SubmitPack, and that costs them nothing), verifies them against the local forge, evaluates
    and pays the same first mover the localnet's validator paid, then exits after one epoch."""
    import os
    import subprocess
    import sys

    from trajectoryrl.chain import LocalChain

    root = tmp_path / "net"
    result = asyncio.run(
        run_localnet(root=root, epochs=1, suite_dir=SUITE, console=Console(file=io.StringIO()))
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAJECTORYRL_")}
    proc = subprocess.run(
        [
            sys.executable,
            str(SUITE.parent / "neurons" / "validator.py"),
            "--env-file",
            "/nonexistent",
            "--subtensor.network",
            "local",
            "--local_chain.db",
            str(root / "chain.db"),
            "--wallet.path",
            str(root / "wallets"),
            "--wallet.name",
            "validator",
            "--state.dir",
            str(tmp_path / "fresh-state"),
            "--suite.dir",
            str(SUITE),
            "--model",
            f"scripted:{SUITE / 'scripts'}",
            "--sandbox",
            "local",
            "--forge",
            "local",
            "--local_network",
            "--epoch.blocks",
            "10",
            "--query_timeout_s",
            "2",
            "--epochs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    chain = LocalChain(root / "chain.db", netuid=11)
    weights = asyncio.run(chain.weights_of(result.validator_hotkey))
    uids = {n.hotkey: n.uid for n in asyncio.run(chain.metagraph()).neurons}
    assert weights == {uids[result.hotkeys["strong"]]: 1.0}
    assert result.epochs[0].winner == "strong"
    assert '"event": "decided"' in proc.stdout and '"burned": false' in proc.stdout
    chain.close_sync()


def test_three_epochs_of_the_first_mover_rule_with_real_parts(tmp_path: Path) -> None:
    """Issue 6's daemon test on the local chain with local miners, a local forge and the
    scripted model: the first mover wins; its copy pushed later loses; a later pack better by
    less than delta does not take over; one better by more than delta does; the invalid pack
    is rejected with its reason; the weights on the chain match every epoch."""
    from trajectoryrl.localnet import THREE_EPOCH_MINERS

    result = asyncio.run(
        run_localnet(
            root=tmp_path / "net",
            epochs=3,
            suite_dir=SUITE,
            miners=THREE_EPOCH_MINERS,
            console=Console(file=io.StringIO(), width=200),
        )
    )
    e0, e1, e2 = result.epochs
    winners = [e.winner for e in result.epochs]
    assert winners == ["leader", "leader", "much-better"]
    r0, r1, r2 = ({r.miner: r for r in e.rows} for e in result.epochs)
    assert r0["copycat"].final == r0["leader"].final and r0["copycat"].decision == (
        "copy of leader"
    )
    assert r0["badhash"].verification == "pack_hash_mismatch"
    assert r1["slightly-better"].final > r1["leader"].final  # better ...
    assert r1["slightly-better"].final < r1["leader"].final + 0.05  # ... but by less than delta
    assert r1["slightly-better"].decision.startswith("below_threshold")
    assert r2["much-better"].final > r2["leader"].final + 0.05 and r2[
        "much-better"
    ].decision.startswith("takes_over")
    for e, rows in ((e0, r0), (e1, r1), (e2, r2)):
        assert e.chain_weights == {rows[e.winner].uid: 1.0}  # type: ignore[index]
