"""The epoch loop's rules with in-memory collaborators: first mover, copies, delta, rejected
packs, evaluator failures, set_weights retries, and resuming after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trajectoryrl.audit import AuditLog, verify_log
from trajectoryrl.chain import ChainError, Commitment, Metagraph, Neuron, WeightsResult
from trajectoryrl.store import Store
from trajectoryrl.validator import EpochParams, PackEvaluation, Received, Validator, Verified

EPOCH_BLOCKS = 10


class Killed(Exception):
    """Stands for the process dying mid-step."""


class FakeChain:
    netuid = 11

    def __init__(self) -> None:
        self.block_no = 0
        self.neurons: list[Neuron] = [
            Neuron(uid=0, hotkey="owner", validator_permit=True, stake=1000.0)
        ]
        self.weights: list[dict[int, float]] = []
        self.fail_set_weights = 0
        self.fail_code = ""
        self.since = 100
        self.reveal_round: int | None = None
        self.down = False

    def add(self, hotkey: str) -> int:
        uid = len(self.neurons)
        self.neurons.append(Neuron(uid=uid, hotkey=hotkey, registered_block=self.block_no))
        return uid

    def _check(self) -> None:
        if self.down:
            raise ChainError("connection refused")

    async def block(self) -> int:
        self._check()
        return self.block_no

    async def metagraph(self) -> Metagraph:
        self._check()
        return Metagraph(
            netuid=self.netuid, block=self.block_no, neurons=self.neurons, owner_hotkey="owner"
        )

    async def commitments(self) -> dict[str, Commitment]:
        return {}

    async def commitment_history(self) -> list[Commitment]:
        return []

    async def block_hash(self, block: int) -> str:
        self._check()
        return f"0x{block:064x}"

    async def set_weights(self, wallet: object, weights: dict[int, float]) -> WeightsResult:
        self._check()
        if self.fail_set_weights:
            self.fail_set_weights -= 1
            return WeightsResult(
                success=False, message="rate limited: last set 3 blocks ago", code=self.fail_code
            )
        self.weights.append(dict(weights))
        return WeightsResult(success=True, block=self.block_no, reveal_round=self.reveal_round)

    async def weights_rate_limit(self) -> int:
        return 5

    async def blocks_since_last_update(self, uid: int) -> int:
        return self.since

    async def serve_endpoint(self, wallet: object, host: str, port: int) -> None: ...
    async def commit(self, wallet: object, value: str) -> None: ...
    async def close(self) -> None: ...


class Miners:
    """Each miner's answer: (pack_hash, push_time, valid)."""

    def __init__(self, chain: FakeChain) -> None:
        self.chain = chain
        self.answers: dict[str, tuple[str, float, bool]] = {}
        self.forge_down = False

    def submit(self, hotkey: str, pack: str, push_time: float, valid: bool = True) -> None:
        if all(n.hotkey != hotkey for n in self.chain.neurons):
            self.chain.add(hotkey)
        self.answers[hotkey] = (pack, push_time, valid)

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        uids = {n.hotkey: n.uid for n in metagraph.neurons}
        return [
            Received(
                hotkey=h,
                uid=uids[h],
                repo_url=f"https://github.com/{h}/pack",
                git_commit_hash="a" * 40,
                pack_hash=p,
                commit_block=int(t) - 10**6,  # before the test's first epoch, in push order
                committed_at=t,
            )
            for h, (p, t, _) in sorted(self.answers.items())
        ]

    async def verify(self, sub: Received, submitted_at: float) -> Verified:
        pack, push, valid = self.answers[sub.hotkey]
        if self.forge_down:
            return Verified(ok=False, reason="forge_unavailable", validator_side=True)
        if not valid:
            return Verified(ok=False, reason="pack_hash_mismatch", detail="canonical hash differs")
        return Verified(ok=True, reason="ok", pack_json=json.dumps({"p": pack}), push_time=push)


class Scores:
    def __init__(self) -> None:
        self.by_pack: dict[str, float] = {}
        self.calls = 0
        self.fail = False
        self.fail_packs: set[str] = set()  # packs whose evaluation breaks on our side
        self.crash_after: int | None = None

    async def evaluate(
        self,
        *,
        pack_json: str,
        pack_hash: str,
        hotkey: str,
        epoch: int,
        seeds: list[int],
        plan: object = None,
    ) -> PackEvaluation:
        self.calls += 1
        if self.crash_after is not None and self.calls > self.crash_after:
            raise Killed("simulated kill")
        if self.fail or pack_hash in self.fail_packs:
            return PackEvaluation(
                pack_hash=pack_hash,
                final=0.0,
                qualified=False,
                evaluator_failed=True,
                failure="sandbox_unavailable: no Docker engine",
            )
        s = self.by_pack[pack_hash]
        return PackEvaluation(
            pack_hash=pack_hash, final=s, qualified=s > 0.3, evaluator_failed=False
        )


async def _no_sleep(_: float) -> None:
    return None


def make(
    tmp_path: Path, chain: FakeChain, miners: Miners, scores: Scores, **kw: object
) -> Validator:
    return Validator(
        chain=chain,
        wallet=object(),
        hotkey="owner",
        store=Store(tmp_path / "state.db"),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        source=miners,
        verifier=miners,
        evaluator=scores,
        params=EpochParams(epoch_blocks=EPOCH_BLOCKS, retry_backoff_s=0),
        **{"sleep": _no_sleep, **kw},  # type: ignore[arg-type]
    )


async def _epoch(v: Validator, chain: FakeChain) -> str:
    status = await v.run_epoch(chain.block_no // EPOCH_BLOCKS, chain.block_no)
    chain.block_no += EPOCH_BLOCKS
    return status


async def test_three_epochs_first_mover_copy_and_delta(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.80, "weak": 0.40, "better_small": 0.83, "better_big": 0.90}
    miners.submit("alice", "strong", push_time=100)
    miners.submit("bob", "weak", push_time=150)
    miners.submit("copycat", "strong", push_time=200)  # a later copy of alice's pack
    miners.submit("mallory", "strong", push_time=120, valid=False)  # wrong pack hash
    assert await _epoch(v, chain) == "weights_set"
    alice_uid = chain.neurons[1].uid
    assert chain.weights[-1] == {alice_uid: 1.0}
    rejected = {r["hotkey"]: r["reason"] for r in v.store.verifications(0) if not r["ok"]}
    assert rejected == {"mallory": "pack_hash_mismatch"}

    miners.submit("dave", "better_small", push_time=300)  # 0.83 < 0.80 + 0.05
    assert await _epoch(v, chain) == "weights_set"
    assert chain.weights[-1] == {alice_uid: 1.0}

    miners.submit("erin", "better_big", push_time=400)  # 0.90 > 0.85
    assert await _epoch(v, chain) == "weights_set"
    erin_uid = [n.uid for n in chain.neurons if n.hotkey == "erin"][0]
    assert chain.weights[-1] == {erin_uid: 1.0}
    decision = json.loads(json.dumps(v.audit.entries(2)[-2].data))
    assert decision["winner_hotkey"] == "erin"
    assert verify_log(v.audit.path, expected_head=v.audit.head) == []


async def test_evaluator_failure_sets_no_weights_and_zeroes_nobody(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8}
    miners.submit("alice", "strong", push_time=100)
    assert await _epoch(v, chain) == "weights_set"
    scores.fail = True
    assert await _epoch(v, chain) == "no_weights"
    assert len(chain.weights) == 1  # nothing new from the failed epoch
    assert v.store.pack_scores(1) == []  # no zero recorded for alice
    assert "evaluator_failed" in v.store.epoch(1)["detail"]  # type: ignore[index]


async def test_one_pack_failing_on_our_side_never_stops_the_epoch(tmp_path: Path) -> None:
    """Attack: a pack that (by a way not yet attributed to it) breaks the evaluator must not
    void everyone's weights. It is left out; an incumbent whose evaluation broke keeps its
    last score (carried over) instead of being unseated by our failure."""
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8, "weak": 0.5, "breaker": 0.99}
    miners.submit("alice", "strong", push_time=100)
    miners.submit("bob", "weak", push_time=150)
    assert await _epoch(v, chain) == "weights_set"
    alice_uid = chain.neurons[1].uid

    miners.submit("mallory", "breaker", push_time=200)
    scores.fail_packs = {"breaker"}
    for epoch in (1, 2, 3):  # the same pack every epoch: never blocks an epoch
        assert await _epoch(v, chain) == "weights_set"
        assert chain.weights[-1] == {alice_uid: 1.0}
        assert {r["hotkey"] for r in v.store.pack_scores(epoch)} == {"alice", "bob"}
        entry = [e for e in v.audit.entries(epoch) if e.kind == "scores"][0]
        assert entry.data["left_out"] == {
            "mallory/breaker": "sandbox_unavailable: no Docker engine"
        }
        assert not any(k.startswith("mallory") for k in entry.data["scores"])  # no zero

    scores.fail_packs = {"strong", "breaker"}  # our side also breaks on the incumbent's
    assert await _epoch(v, chain) == "weights_set"
    assert chain.weights[-1] == {alice_uid: 1.0}
    alice = [r for r in v.store.pack_scores(4) if r["hotkey"] == "alice"][0]
    assert alice["final"] == 0.8
    assert json.loads(alice["parts_json"])["carried_over"]["from_epoch"] == 3
    assert verify_log(v.audit.path, expected_head=v.audit.head) == []


async def test_nobody_qualifies_burns_to_the_owner(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"bad": 0.1}
    miners.submit("zed", "bad", push_time=1)
    miners.submit("mallory", "x", push_time=1, valid=False)
    assert await _epoch(v, chain) == "weights_set"
    assert chain.weights[-1] == {0: 1.0}


async def test_set_weights_failing_then_succeeding(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8}
    miners.submit("alice", "strong", push_time=100)
    chain.fail_set_weights = 2
    assert await _epoch(v, chain) == "weights_set"
    attempts = v.store.query("SELECT success FROM weight_sets ORDER BY id")
    assert [a[0] for a in attempts] == [0, 0, 1]


async def test_weights_keep_failing_leaves_the_epoch_decided_for_a_retry(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8}
    miners.submit("alice", "strong", push_time=100)
    chain.fail_set_weights = 10
    assert await v.run_epoch(0, 0) == "decided"
    chain.fail_set_weights = 0
    assert await v.run_epoch(0, 1) == "weights_set"  # the loop resumes at the weights step
    assert scores.calls == 1  # without evaluating again


async def test_a_rate_limited_set_waits_the_blocks_left(tmp_path: Path) -> None:
    # The old loop retried 3x every few seconds inside a 100-block limit: all wasted.
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)
        chain.since += int(s // 12)  # the chain moves on while we wait

    v = make(tmp_path, chain, miners, scores, sleep=sleep)
    scores.by_pack = {"strong": 0.8}
    miners.submit("alice", "strong", push_time=100)
    chain.fail_set_weights, chain.fail_code, chain.since = 1, "rate_limited", 2  # limit is 5
    assert await _epoch(v, chain) == "weights_set"
    assert slept == [3 * 12.0]  # three blocks left, at the chain's block time


async def test_commit_reveal_is_recorded_as_a_commit_with_its_round(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8}
    miners.submit("alice", "strong", push_time=100)
    chain.reveal_round = 777
    assert await _epoch(v, chain) == "weights_set"
    entry = [e for e in v.audit.entries(0) if e.kind == "weights"][-1]
    assert entry.data["reveal_round"] == 777
    assert v.metrics.weights_set.labels(result="committed")._value.get() == 1


async def test_resent_weights_follow_the_winners_hotkey_not_its_old_uid(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8}
    miners.submit("alice", "strong", push_time=100)
    assert await _epoch(v, chain) == "weights_set"
    assert chain.weights[-1] == {1: 1.0}
    # alice deregisters; her UID 1 is recycled to a newcomer: re-sending must not pay it.
    chain.neurons[1] = Neuron(uid=1, hotkey="newcomer", registered_block=chain.block_no)
    await v.maybe_reset_weights(1)
    assert chain.weights[-1] == {0: 1.0}  # the winner is gone: burn to the owner
    chain.neurons.append(Neuron(uid=2, hotkey="alice", registered_block=chain.block_no))
    await v.maybe_reset_weights(1)
    assert chain.weights[-1] == {2: 1.0}  # the winner's hotkey, wherever it is now


async def test_a_crash_mid_evaluation_resumes_without_duplicates(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    scores.by_pack = {"a": 0.5, "b": 0.7, "c": 0.9}
    for i, p in enumerate("abc"):
        miners.submit(f"m{p}", p, push_time=100 + i)
    scores.crash_after = 1
    with pytest.raises(Killed):
        await make(tmp_path, chain, miners, scores).run_epoch(0, 0)
    scores.crash_after = None
    v = make(tmp_path, chain, miners, scores)
    assert await v.run_epoch(0, 0) == "weights_set"
    assert len(v.store.submissions(0)) == 3
    assert [e.kind for e in v.audit.entries(0)].count("submissions") == 1
    assert verify_log(v.audit.path) == []


async def test_the_loop_survives_an_unreachable_chain(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    scores.by_pack = {"a": 0.8}
    miners.submit("ma", "a", push_time=1)
    v = make(tmp_path, chain, miners, scores)
    chain.down = True
    calls = 0

    async def sleep(_: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            chain.down = False

    v.sleep = sleep
    await v.run(max_epochs=1)
    assert v.metrics.chain_errors._value.get() == 3  # type: ignore[attr-defined]
    assert chain.weights == [{1: 1.0}]


async def test_epochs_on_the_embedded_local_chain(tmp_path: Path) -> None:
    """The same rules against the real LocalChain: permits, rate limit, quantised weights."""
    from trajectoryrl.chain import LocalChain

    now = [1_000_000.0]
    chain = LocalChain(tmp_path / "chain.db", netuid=11, block_time_s=12.0, clock=lambda: now[0])
    chain.set_hyperparameters(weights_rate_limit=15)
    chain.register("owner", validator_permit=True, stake=1000.0)
    chain.set_owner("owner")
    scores = Scores()
    scores.by_pack = {"strong": 0.8, "better": 0.9}

    class LocalMiners(Miners):
        def submit(self, hotkey: str, pack: str, push_time: float, valid: bool = True) -> None:
            chain.register(hotkey)
            self.answers[hotkey] = (pack, push_time, valid)

    miners = LocalMiners(chain)  # type: ignore[arg-type]
    v = Validator(
        chain=chain,
        wallet="owner",
        hotkey="owner",
        store=Store(tmp_path / "s.db"),
        audit=AuditLog(tmp_path / "a.jsonl"),
        source=miners,
        verifier=miners,
        evaluator=scores,
        params=EpochParams(epoch_blocks=EPOCH_BLOCKS, retry_backoff_s=0),
        sleep=_no_sleep,
    )
    miners.submit("alice", "strong", push_time=100)
    miners.submit("copy", "strong", push_time=200)
    assert await v.run_epoch(0, await chain.block()) == "weights_set"
    uids = {n.hotkey: n.uid for n in (await chain.metagraph()).neurons}
    assert await chain.weights_of("owner") == {uids["alice"]: 1.0}

    chain.advance(EPOCH_BLOCKS)  # inside the rate limit: the chain refuses, stays decided
    miners.submit("bob", "better", push_time=300)
    assert await v.run_epoch(1, await chain.block()) == "decided"
    assert await chain.weights_of("owner") == {uids["alice"]: 1.0}
    chain.advance(EPOCH_BLOCKS)
    assert await v.run_epoch(1, await chain.block()) == "weights_set"
    uids = {n.hotkey: n.uid for n in (await chain.metagraph()).neurons}
    assert await chain.weights_of("owner") == {uids["bob"]: 1.0}
    refused = v.store.query("SELECT message FROM weight_sets WHERE success = 0")
    assert refused and all("rate" in r[0] for r in refused)
    chain.close_sync()


async def test_a_forge_outage_never_costs_a_verified_miner_its_standing(tmp_path: Path) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8, "new": 0.99}
    miners.submit("alice", "strong", push_time=100)
    assert await _epoch(v, chain) == "weights_set"
    miners.forge_down = True
    miners.submit("newcomer", "new", push_time=50)  # cannot be verified while the forge is down
    assert await _epoch(v, chain) == "weights_set"
    assert chain.weights[-1] == {1: 1.0}  # alice keeps winning on her earlier verification
    reasons = {r["hotkey"]: (r["ok"], r["reason"]) for r in v.store.verifications(1)}
    assert reasons == {"alice": (1, "ok_carried_over"), "newcomer": (0, "forge_unavailable")}


async def test_a_stop_request_ends_after_the_current_step_and_a_restart_resumes(
    tmp_path: Path,
) -> None:
    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    scores.by_pack = {"a": 0.8}
    miners.submit("ma", "a", push_time=1)
    v = make(tmp_path, chain, miners, scores)

    class StopDuringCollect(Miners):
        async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
            v.stop()  # SIGTERM arrives while the miners are being asked
            return await miners.collect(metagraph, epoch)

    v.source = StopDuringCollect(chain)
    assert await v.run_epoch(0, 0) == "collected"
    assert scores.calls == 0 and chain.weights == []
    again = make(tmp_path, chain, miners, scores)
    assert await again.run_epoch(0, 0) == "weights_set"
    assert len(again.store.submissions(0)) == 1


def _rewrite(path: Path, lines: list[str]) -> None:
    """A forger's rewrite: entries edited and every hash and link recomputed."""
    from trajectoryrl.audit._log import GENESIS, AuditEntry

    prev, out = GENESIS, []
    for seq, raw in enumerate(lines):
        entry = AuditEntry.model_validate_json(raw)
        entry = entry.model_copy(update={"seq": seq, "prev": prev, "hash": ""})
        entry = entry.model_copy(update={"hash": entry.compute_hash()})
        out.append(entry.model_dump_json() + "\n")
        prev = entry.hash
    path.write_text("".join(out))


async def test_the_audit_head_is_anchored_so_a_cut_or_rewritten_log_is_caught(
    tmp_path: Path,
) -> None:
    """Attack: cutting the log to its first lines, or rewriting a decision and recomputing
    every hash, passed `audit verify` (the chain alone is self-consistent)."""
    from trajectoryrl.cli import main as cli_main

    chain, scores = FakeChain(), Scores()
    miners = Miners(chain)
    v = make(tmp_path, chain, miners, scores)
    scores.by_pack = {"strong": 0.8, "weak": 0.5}
    miners.submit("alice", "strong", push_time=100)
    miners.submit("bob", "weak", push_time=150)
    for _ in range(2):
        assert await _epoch(v, chain) == "weights_set"
    anchor = v.store.audit_anchor()
    assert anchor == (v.audit.last_seq, v.audit.head)  # the last committed step's entry
    path = v.audit.path
    lines = path.read_text().splitlines(keepends=True)
    args = ["audit", "verify", "--state-dir", str(tmp_path)]
    assert verify_log(path, anchor=anchor) == [] and cli_main(args) == 0

    path.write_text("".join(lines[:3]))  # cut the tail
    assert [p.code for p in verify_log(path, anchor=anchor)] == ["anchor_missing"]
    assert cli_main(args) == 1

    forged = [ln.replace('"winner_hotkey":"alice"', '"winner_hotkey":"bob"') for ln in lines]
    assert forged != lines
    _rewrite(path, forged)
    assert verify_log(path) == []  # the chain alone is fooled
    assert [p.code for p in verify_log(path, anchor=anchor)] == ["anchor_mismatch"]
    assert cli_main(args) == 1


async def test_verifications_are_capped_and_a_stalled_one_costs_only_itself(
    tmp_path: Path,
) -> None:
    """Attack: a submission whose verification never ends (a forge or repository that stalls)
    held the whole collection stage; all verifications also started at once."""
    import asyncio

    chain, scores = FakeChain(), Scores()

    class Slow(Miners):
        def __init__(self, chain: FakeChain) -> None:
            super().__init__(chain)
            self.in_flight = self.peak = 0

        async def verify(self, sub: Received, submitted_at: float) -> Verified:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                await asyncio.sleep(3600 if sub.hotkey == "staller" else 0.01)
                return await super().verify(sub, submitted_at)
            finally:
                self.in_flight -= 1

    miners = Slow(chain)
    v = Validator(
        chain=chain,
        wallet=object(),
        hotkey="owner",
        store=Store(tmp_path / "state.db"),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        source=miners,
        verifier=miners,
        evaluator=scores,
        params=EpochParams(
            epoch_blocks=EPOCH_BLOCKS,
            retry_backoff_s=0,
            verify_concurrency=3,
            verify_deadline_s=0.5,
        ),
        sleep=_no_sleep,
    )
    scores.by_pack = {f"p{i}": 0.5 + i / 100 for i in range(10)} | {"s": 0.99}
    for i in range(10):
        miners.submit(f"m{i}", f"p{i}", push_time=100 + i)
    miners.submit("staller", "s", push_time=1)
    assert await _epoch(v, chain) == "weights_set"
    assert miners.peak <= 3
    reasons = {r["hotkey"]: r["reason"] for r in v.store.verifications(0)}
    assert reasons["staller"] == "verify_timeout" and reasons["m0"] == "ok"
