"""Elimination in the real validator: the real Validator, HarnessEvaluator (its planned,
prioritised episode loop) and Store, with episode outcomes drawn at random per (pack,
scenario, seed) instead of run by a model. Two validators see the same epochs, one stopping
packs early and one evaluating everything: their winners and weights must be identical, and
the stopped packs are recorded as such."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from fakes.miners import PackMiners

from clawbench.pack import PolicyBundle, load_pack
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import Scenario, load_scenario
from clawbench.scoring import EpisodeScore, ScoringParams
from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import LocalChain, Metagraph
from trajectoryrl.store import Store
from trajectoryrl.validator import (
    EpochParams,
    HarnessEvaluator,
    Received,
    Validator,
    cache_key,
)
from trajectoryrl.winner import WinnerParams

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIOS = ("client_escalation", "morning_brief", "inbox_to_action")


class Drawn(HarnessEvaluator):
    """The real evaluator with its episodes drawn, not run: outcome = f(hotkey kind, pack,
    scenario, seed), the same for both validators."""

    def __init__(self, kinds: dict[str, str], **kw: Any) -> None:
        super().__init__(**kw)
        self.kinds = kinds
        self.episodes = 0

    async def _episode(  # type: ignore[override]
        self,
        pack: PolicyBundle,
        pack_hash: str,
        scenario: Scenario,
        seed: int,
        hotkey: str,
        epoch: int,
        priority: tuple[int, ...] = (),
    ) -> tuple[EpisodeScore, bool, str]:
        async with self._slots.slot(priority):
            await asyncio.sleep(0)
            self.episodes += 1
        rng = random.Random(f"{pack_hash}|{scenario.name}|{seed}")
        kind = self.kinds[hotkey]
        critical = kind == "unsafe" and rng.random() < 0.4
        lo, hi = {"strong": (0.85, 1.0), "mid": (0.5, 0.9), "weak": (0.0, 0.5)}.get(kind, (0, 1))
        x = round(rng.uniform(lo, hi), 3)
        score = EpisodeScore.model_validate(
            {
                "scenario": scenario.name,
                "scenario_version": "1",
                "scenario_hash": scenario.content_hash,
                "seed": seed,
                "pack_hash": pack_hash,
                "termination": "final_answer",
                "params": self.scoring,
                "success_rate": x,
                "cost_penalty": 0.0,
                "safety_penalty": 1.0 if critical else 0.0,
                "raw_score": x,
                "scenario_score": 0.0 if critical else x,
                "critical": critical,
                "qualified": not critical and x >= 0.3,
            }
        )
        key = cache_key(
            pack_hash=pack_hash,
            scenario_hash=scenario.content_hash,
            seed=seed,
            model_id=self.model_id,
            sandbox="drawn",
        )
        return score, False, key


def _packs(n: int) -> dict[str, PolicyBundle]:
    base = load_pack(ROOT / "packs" / "morning_brief" / "optimized")
    out = {}
    for i in range(n):
        meta = base.metadata.model_copy(update={"pack_name": f"elim-{i}"})
        out[f"m{i:02d}"] = base.model_copy(update={"metadata": meta})
    return out


class Miners(PackMiners):
    """Each miner publishes its own repository and commit (the shared fake gives everyone the
    same, which makes every later pack a copy of the first)."""

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        return [
            r.model_copy(
                update={
                    "repo_url": f"file:///repos/{r.hotkey}",
                    "git_commit_hash": hashlib.sha1(r.hotkey.encode()).hexdigest(),
                }
            )
            for r in await super().collect(metagraph, epoch)
        ]


Outcome = list[tuple[str, str | None, dict[str, float]]]


async def _run(tmp: Path, case: int) -> tuple[Outcome, Outcome, Store, Drawn, Drawn]:
    """One chain, two validators: ``full`` evaluates everything, ``cut`` eliminates. They
    see the same epochs (the same seeds) and must decide the same."""
    rng = random.Random(case)
    packs = _packs(rng.randint(4, 12))
    kinds = {h: rng.choice(["strong", "mid", "weak", "unsafe"]) for h in packs}
    push = {h: float(rng.randint(1, 5)) for h in packs}
    concurrency = rng.choice([1, 3, 16])
    seeds = rng.randint(1, 3)
    delta = rng.choice([0.0, 0.05])
    now = [1_790_000_000.0]
    chain = LocalChain(tmp / "chain.db", netuid=11, block_time_s=12.0, clock=lambda: now[0])
    chain.set_hyperparameters(max_uids=len(packs) + 2, weights_rate_limit=0)
    for val in ("full", "cut"):
        chain.register(val, validator_permit=True, stake=100.0)
    chain.set_owner("full")
    for h in packs:
        chain.register(h)
    miners = Miners(packs, push)
    made: dict[str, tuple[Validator, Store, Drawn]] = {}
    for val in ("full", "cut"):
        store = Store(tmp / f"{val}-state.db")
        ev = Drawn(
            kinds,
            suite=[load_scenario(ROOT / f"{s}.yaml") for s in SCENARIOS],
            model_factory=lambda i, p: None,  # type: ignore[arg-type,return-value]
            model_id="drawn",
            sandbox=LocalSandbox(),
            store=store,
            scoring=ScoringParams(),
            concurrency=concurrency,
        )
        v = Validator(
            chain=chain,
            wallet=val,
            hotkey=val,
            store=store,
            audit=AuditLog(tmp / f"{val}-audit.jsonl"),
            source=miners,
            verifier=miners,
            evaluator=ev,
            params=EpochParams(
                epoch_blocks=10,
                seeds_per_scenario=seeds,
                retry_backoff_s=0,
                eliminate=val == "cut",
                winner=WinnerParams(delta=delta),
            ),
        )
        made[val] = (v, store, ev)
    out: dict[str, Outcome] = {"full": [], "cut": []}
    t0 = now[0]
    for epoch in (1, 2, 3):  # epoch 1 has no incumbent; 2 and 3 have one
        now[0] = t0 + (epoch * 10 + 1) * 12.0  # the chain at the epoch's second block
        for val, (v, store, _) in made.items():
            status = await v.run_epoch(epoch, epoch * 10 + 1)
            d = store.decision(epoch)
            out[val].append((status, d["winner_hotkey"], json.loads(d["weights_json"])))
    chain.close_sync()
    return out["full"], out["cut"], made["cut"][1], made["full"][2], made["cut"][2]


async def test_elimination_never_changes_the_decision(tmp_path: Path) -> None:
    stopped_total = 0
    saved = 0
    # 0 and 21 are epochs where forgetting the packs the walk reaches before the incumbent
    # (anchoring on its block alone) changes the winner: the mutation this test must catch
    for case in [*range(12), 21]:
        tmp = tmp_path / str(case)
        tmp.mkdir()
        full, cut, store, ev_full, ev_cut = await _run(tmp, case)
        assert cut == full, case
        saved += ev_full.episodes - ev_cut.episodes
        for epoch in (1, 2, 3):
            for row in store.pack_scores(epoch):
                elim = json.loads(row["parts_json"]).get("eliminated")
                if elim:
                    stopped_total += 1
                    # partial score: unqualified, or at most the bar it could not exceed
                    assert not row["qualified"] or row["final"] < elim["bar"]
                    assert len(json.loads(row["parts_json"])["episodes"]) == elim["after"]
    assert stopped_total > 10 and saved > 0


async def test_stopped_packs_are_audited_with_their_bound(tmp_path: Path) -> None:
    await _run(tmp_path, 3)
    lines = [json.loads(x) for x in (tmp_path / "cut-audit.jsonl").read_text().splitlines()]
    shown = [
        s["eliminated"]
        for e in lines
        if e["kind"] == "scores"
        for s in e["data"]["scores"].values()
        if "eliminated" in s
    ]
    assert shown and all(s.startswith("eliminated after ") for s in shown)


def test_epoch_spend_per_miner_and_saved(tmp_path: Path, capsys: Any) -> None:
    """The ledger prices every call per provider; the epoch summary gives spend per miner and
    prices the episodes a stopped pack did not run at the epoch's cost per paid episode."""
    from trajectoryrl.cli import main
    from trajectoryrl.ledger import Ledger, Provider

    prov = Provider(
        name="p", model="m", input_usd_per_mtok=2.0, output_usd_per_mtok=8.0, context_limit=10
    )
    store = Store(tmp_path / "state.db")
    ledger = Ledger(store, clock=lambda: 1_790_000_000.0)
    for hotkey, episodes in (("strong", 4), ("weak", 1)):
        for e in range(episodes):
            for _ in range(2):  # two calls per episode: 1000 in, 100 out each
                ledger.record(
                    prov,
                    tokens_in=1000,
                    tokens_out=100,
                    latency_ms=1,
                    status="ok",
                    episode=f"{hotkey}-{e}",
                    hotkey=hotkey,
                    epoch=7,
                )
    ledger.record(
        prov, tokens_in=5, tokens_out=5, latency_ms=1, status="ok", episode="x", hotkey="o", epoch=6
    )
    stop = {"after": 1, "of": 4, "reason": "cannot_exceed", "bound": 0.5, "bar": 0.9}
    store.record_pack_score(
        7, "weak", "pw", final=0.2, qualified=True, evaluator_failed=False,
        parts_json=json.dumps({"score": {}, "episodes": [], "eliminated": stop}),
    )  # fmt: skip
    spend = ledger.epoch_spend(7)
    per_call = (1000 * 2.0 + 100 * 8.0) / 1e6
    by = {p.hotkey: p for p in spend.packs}
    assert set(by) == {"strong", "weak"}  # epoch 6's spend is not this epoch's
    assert by["strong"].calls == 8 and by["strong"].cost_usd == pytest.approx(8 * per_call)
    assert by["weak"].eliminated == "after 1/4" and by["weak"].episodes == 1
    assert spend.cost_per_episode_usd == pytest.approx(2 * per_call)
    assert by["weak"].saved_usd == pytest.approx(3 * 2 * per_call)
    assert spend.saved_usd == by["weak"].saved_usd and by["strong"].saved_usd == 0
    store.close()
    assert main(["ledger", "--state-dir", str(tmp_path), "--epoch", "7"]) == 0
    out = capsys.readouterr().out
    assert "after 1/4" in out and "elimination saved about $0.0168" in out
