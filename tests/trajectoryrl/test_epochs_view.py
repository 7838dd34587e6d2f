"""``trajectoryrl epochs``: the validator's per-epoch table, read back from the store a real
``Validator`` wrote (its chain, miners and evaluator are the epoch tests' stand-ins), run as
a subprocess: table at 80 columns and piped, ``--json``, and a clean error without state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_validator_epochs import EPOCH_BLOCKS, FakeChain, Miners, Scores, make

from trajectoryrl.ledger import Ledger, Provider
from trajectoryrl.validator import PackEvaluation, epoch_summaries


class EliminatingScores(Scores):
    """Stops the "weak" pack early against the bar the daemon hands it, as the real
    evaluator records it."""

    async def evaluate(self, **kw: Any) -> PackEvaluation:
        ev = await super().evaluate(**kw)
        plan = kw.get("plan")
        bar = getattr(plan, "bar", None)
        if kw["pack_hash"] != "weak" or ev.evaluator_failed or bar is None:
            return ev
        elim = {
            "after": 3,
            "of": 12,
            "reason": "cannot_exceed",
            "bound": 0.7,
            "bar": float(bar),
            "bar_exact": str(bar),
            "detail": f"best reachable 0.700 <= bar {float(bar):.3f}",
        }
        return ev.model_copy(update={"elimination": elim})


def trajectoryrl(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trajectoryrl.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(columns)},
        timeout=120,
        check=False,
    )


@pytest.fixture
async def state(tmp_path: Path) -> Path:
    """Epoch 0: alice wins, mallory's pack is rejected at verification. Epoch 1: bob is
    stopped early under alice's bar; trent's new pack breaks on our side and is left out.
    Epoch 2: alice's evaluation breaks too and her score is carried over. Epoch 3: trent's
    pack is evaluated and wins, but the weights never get set."""
    chain, scores = FakeChain(), EliminatingScores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8, "weak": 0.5, "breaker": 0.99}
    miners.submit("alice", "strong", push_time=100)
    miners.submit("bob", "weak", push_time=150)
    miners.submit("mallory", "strong", push_time=120, valid=False)

    async def epoch() -> str:
        status = await v.run_epoch(chain.block_no // EPOCH_BLOCKS, chain.block_no)
        chain.block_no += EPOCH_BLOCKS
        return status

    assert await epoch() == "weights_set"
    miners.submit("trent", "breaker", push_time=200)
    scores.fail_packs = {"breaker"}
    assert await epoch() == "weights_set"
    scores.fail_packs = {"breaker", "strong"}
    assert await epoch() == "weights_set"
    scores.fail_packs = set()
    chain.fail_set_weights = 10
    assert await epoch() == "decided"
    gpt = Provider(
        name="openai", model="m", input_usd_per_mtok=2.0, output_usd_per_mtok=8.0,
        context_limit=128_000,
    )  # fmt: skip
    ledger = Ledger(v.store, clock=lambda: 1_700_000_000.0)
    for _ in range(3):
        ledger.record(
            gpt, tokens_in=1000, tokens_out=500, latency_ms=10, status="ok",
            episode="morning_brief/0", hotkey="alice", epoch=1,
        )  # fmt: skip
    v.store.close()
    return tmp_path


def test_each_epoch_says_what_became_of_every_claim(state: Path) -> None:
    r = trajectoryrl("epochs", "--state-dir", str(state), "--json")
    assert r.returncode == 0, r.stderr
    rows = {e["epoch"]: e for e in json.loads(r.stdout)["epochs"]}
    assert sorted(rows) == [0, 1, 2, 3]
    counts = ("claims", "rejected", "evaluated", "eliminated", "carried_over", "left_out")
    got = {k: tuple(rows[k][c] for c in counts) for k in rows}
    assert got[0] == (3, 1, 2, 0, 0, 0)  # no incumbent yet: no bar, bob evaluated in full
    assert got[1] == (4, 1, 1, 1, 0, 1)  # bob stopped under alice's bar; trent left out
    assert got[2] == (4, 1, 1, 0, 1, 1)  # alice carried over: no bar, bob in full
    assert got[3] == (4, 1, 2, 1, 0, 0)  # trent's pack evaluated at last, and it wins
    assert [rows[k]["winner"] for k in (0, 1, 2, 3)] == ["alice", "alice", "alice", "trent"]
    assert [rows[k]["status"] for k in (0, 1, 2, 3)] == ["weights_set"] * 3 + ["decided"]
    # the block read right after each successful set; epoch 3's set failed every attempt
    for k in (0, 1, 2):
        assert rows[k]["weights_set"] and rows[k]["weights"] == f"block {rows[k]['weights_block']}"
        assert rows[k]["weights_block"] >= k * EPOCH_BLOCKS
    assert rows[3]["weights_block"] is None and rows[3]["weights"].startswith("failed x")
    # 3 calls of 1000 in / 500 out at $2 / $8 per million tokens
    assert rows[1]["spend_usd"] == pytest.approx(3 * (1000 * 2 + 500 * 8) / 1e6)
    assert rows[1]["calls"] == 3 and rows[0]["spend_usd"] == 0


def test_the_table_fits_80_columns_and_keeps_ids_whole(state: Path) -> None:
    for columns in (80, 200):
        r = trajectoryrl("epochs", "--state-dir", str(state), columns=columns)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert all(len(ln) <= columns for ln in lines), r.stdout
        assert "…" not in r.stdout
        body = [ln.split() for ln in lines if ln.strip()[:1].isdigit()]
        assert [b[:2] for b in body] == [
            ["0", "weights_set"],
            ["1", "weights_set"],
            ["2", "weights_set"],
            ["3", "decided"],
        ]
    wide = trajectoryrl("epochs", "--state-dir", str(state), columns=200).stdout
    assert " alice " in wide and "uid " not in wide
    narrow = trajectoryrl("epochs", "--state-dir", str(state), "--last", "2").stdout
    assert [ln.split()[0] for ln in narrow.splitlines() if ln.strip()[:1].isdigit()] == ["2", "3"]


def test_the_view_matches_the_store_api(state: Path) -> None:
    from trajectoryrl.store import Store

    store = Store(state / "state.db")
    try:
        (only,) = epoch_summaries(store, epochs=[2])
    finally:
        store.close()
    assert (only.epoch, only.carried_over, only.left_out) == (2, 1, 1)


def test_no_state_is_a_one_line_error_not_an_empty_table(tmp_path: Path) -> None:
    r = trajectoryrl("epochs", "--state-dir", str(tmp_path / "nowhere"))
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"trajectoryrl: error [no_state]: {tmp_path / 'nowhere'}: no validator state here "
        "(no state.db)"
    )
    assert not (tmp_path / "nowhere" / "state.db").exists()  # nothing created
