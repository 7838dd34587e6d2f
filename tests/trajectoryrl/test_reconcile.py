"""Reconcile: an honest epoch recomputes to what was recorded and set on chain; altered
weights on the chain and an edited stored score are each named."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fakes.miners import PackMiners

from clawbench.pack import PolicyBundle, load_pack
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import load_scenario
from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import LocalChain
from trajectoryrl.cli import main as cli_main
from trajectoryrl.store import Store
from trajectoryrl.validator import (
    EpochParams,
    HarnessEvaluator,
    ScriptedModels,
    Validator,
    reconcile_epoch,
)

ROOT = Path(__file__).resolve().parents[2] / "scenarios"


def _packs() -> dict[str, PolicyBundle]:
    base = load_pack(ROOT / "packs" / "morning_brief" / "optimized")
    weak = load_pack(ROOT / "packs" / "morning_brief" / "baseline")
    return {"alice": base, "bob": weak}


async def _run(
    tmp_path: Path, *, everyone_bad: bool = False, epochs: int = 1
) -> tuple[Validator, LocalChain, list]:  # type: ignore[type-arg]
    chain = LocalChain(
        tmp_path / "chain.db", netuid=11, block_time_s=12.0, clock=lambda: 1_000_000.0
    )
    chain.set_hyperparameters(weights_rate_limit=1)
    chain.register("val", validator_permit=True, stake=100.0)
    chain.set_owner("val")
    packs = _packs()
    for h in packs:
        chain.register(h)
    suite = [load_scenario(ROOT / "morning_brief.yaml")]
    # bob's baseline pack "plays" the keyword-stuffed script: it does not qualify.
    models = ScriptedModels(
        ROOT / "scripts",
        choose=lambda p: (
            "reference"
            if "optimized" in p.metadata.pack_name and not everyone_bad
            else "bad_keyword_stuffed"
        ),
    )
    store = Store(tmp_path / "state.db")
    ev = HarnessEvaluator(
        suite=suite,
        model_factory=models,
        model_id=models.model_id,
        sandbox=LocalSandbox(),
        store=store,
    )
    src = PackMiners(packs, push_times={"alice": 100.0, "bob": 200.0})
    v = Validator(
        chain=chain,
        wallet="val",
        hotkey="val",
        store=store,
        audit=AuditLog(tmp_path / "audit.jsonl"),
        source=src,
        verifier=src,
        evaluator=ev,
        params=EpochParams(epoch_blocks=10, retry_backoff_s=0),
    )
    for epoch in range(epochs):
        if epoch:
            chain.advance(10)
        assert await v.run_epoch(epoch, await chain.block()) == "weights_set"
    return v, chain, suite


async def test_an_honest_epoch_reconciles(tmp_path: Path) -> None:
    v, chain, suite = await _run(tmp_path)
    r = reconcile_epoch(v.store, 0, suite, chain_weights=await chain.weights_of("val"))
    assert r.ok, r.differences
    assert r.winner == "alice" and r.packs == 2 and r.episodes == 2


async def test_altered_chain_weights_and_an_edited_score_are_named(tmp_path: Path) -> None:
    v, chain, suite = await _run(tmp_path)
    chain.advance(5)
    bob_uid = {n.hotkey: n.uid for n in (await chain.metagraph()).neurons}["bob"]
    assert (await chain.set_weights("val", {bob_uid: 1.0})).success  # someone set other weights
    v.store.query("UPDATE pack_scores SET final = final + 0.5 WHERE hotkey = 'bob'")
    r = reconcile_epoch(v.store, 0, suite, chain_weights=await chain.weights_of("val"))
    assert {d.what for d in r.differences} == {"chain_weights", "pack_score"}
    assert next(d for d in r.differences if d.what == "pack_score").subject == "bob"


def test_reconcile_command_exit_codes(tmp_path: Path) -> None:
    v, chain, _ = asyncio.run(_run(tmp_path))  # the command runs its own event loop
    args = [
        "reconcile",
        "--epoch",
        "0",
        "--state-dir",
        str(tmp_path),
        "--suite-dir",
        str(ROOT),
        "--chain-db",
        str(tmp_path / "chain.db"),
        "--netuid",
        "11",
        "--validator-hotkey",
        "val",
    ]
    assert cli_main(args) == 0
    row = v.store.query("SELECT score_json FROM evaluations LIMIT 1")[0][0]
    edited = json.loads(row)
    edited["scenario_score"] = 0.123
    v.store.query("UPDATE evaluations SET score_json = ?", (json.dumps(edited),))
    assert cli_main(args) == 1


async def test_a_burn_reconciles_without_being_told_the_owner(tmp_path: Path) -> None:
    """Found: reconcile recomputed a burn with no owner UID (no weights) and reported the
    recorded burn as a difference."""
    v, chain, suite = await _run(tmp_path, everyone_bad=True)
    assert v.store.decision(0)["burned"]  # type: ignore[index]
    r = reconcile_epoch(v.store, 0, suite, chain_weights=await chain.weights_of("val"))
    assert r.ok, r.differences
    owner = {n.hotkey: n.uid for n in (await chain.metagraph()).neurons}["val"]
    assert r.weights == {owner: 1.0}


async def test_an_earlier_epoch_is_compared_with_what_was_set_then(tmp_path: Path) -> None:
    """Found: reconcile compared an old epoch with the chain's current weights (a later
    epoch's), naming a false difference; and a no-weights epoch as decision_missing."""
    v, chain, suite = await _run(tmp_path, epochs=2)
    bob_uid = {n.hotkey: n.uid for n in (await chain.metagraph()).neurons}["bob"]
    # Epoch 1 pays bob (edit its record and what was set): the chain holds epoch 1's weights.
    v.store.query(
        "UPDATE weight_sets SET weights_json = ? WHERE epoch = 1", (f'{{"{bob_uid}": 1.0}}',)
    )
    r = reconcile_epoch(v.store, 0, suite, chain_weights={bob_uid: 1.0})
    assert r.ok, r.differences
    assert any("epoch 1's weights" in n for n in r.notes)
    r1 = reconcile_epoch(v.store, 1, suite, chain_weights={bob_uid: 1.0})
    assert {d.what for d in r1.differences} == {"weights_set", "chain_weights"}

    v.store.query("DELETE FROM decisions WHERE epoch = 1")
    v.store.set_epoch_status(1, "no_weights", '{"alice": "evaluator_failed"}')
    v.store.query("DELETE FROM weight_sets WHERE epoch = 1")
    r1 = reconcile_epoch(v.store, 1, suite)
    assert "decision_missing" not in {d.what for d in r1.differences}
    assert r1.notes == ['epoch 1 set no weights: {"alice": "evaluator_failed"}']
