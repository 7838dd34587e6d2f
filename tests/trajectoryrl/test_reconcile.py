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


async def _run(tmp_path: Path) -> tuple[Validator, LocalChain, list]:  # type: ignore[type-arg]
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
            "reference" if "optimized" in p.metadata.pack_name else "bad_keyword_stuffed"
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
    assert await v.run_epoch(0, await chain.block()) == "weights_set"
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
