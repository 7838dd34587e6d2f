"""Consensus: three validators on one chain agree on the weights of every epoch.

Real parts: the embedded chain (one file, a handle per validator), claims committed on it,
git repositories behind a local forge that records server-side push times, the real
``ChainClaims`` source, ``GitVerifier`` with persisted push times, the store and the epoch
loop. Scripted: the scores (a fixed score per pack) and the miners' live SubmitPack answers.

Over five epochs: a first mover; a copier that commits the first mover's exact claim before the
first mover does (front-running its public push); a copier
that republishes its pack in its own repository; a later pack better by less than delta; the
incumbent offline for an epoch; the incumbent committing an improved pack; a takeover; a
miner that answers SubmitPack with something else than it committed; a claim committed before
its push. The validators start at different times, collect at different blocks of the epoch,
hear the miners in different orders with different latencies (some not at all), and one of
them is killed mid-epoch and restarted. Every epoch, every validator sets the same weights,
and no copier ever gets weight.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from clawbench.pack import PolicyBundle
from trajectoryrl.audit import AuditLog
from trajectoryrl.chain import LocalChain, Metagraph
from trajectoryrl.miner import publish_pack
from trajectoryrl.protocol import PackClaim, encode_claim
from trajectoryrl.store import Store
from trajectoryrl.validator import (
    ChainClaims,
    EpochParams,
    GitVerifier,
    Metrics,
    PackEvaluation,
    Received,
    Validator,
)
from trajectoryrl.verify import (
    GitCache,
    LocalForge,
    PersistedForge,
    SubmissionVerifier,
    VerifyContext,
    create_local_forge_repo,
)

EPOCH_BLOCKS = 10
NETUID = 11


class Killed(Exception):
    """Stands for the validator process dying mid-step."""


def make_pack(name: str) -> PolicyBundle:
    return PolicyBundle.model_validate(
        {
            "files": {"AGENTS.md": f"Pack {name}: ask before sending."},
            "metadata": {"pack_name": name, "pack_version": "1.0.0"},
        }
    )


class World:
    """The chain, the forge and the miners' repositories."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.chain = LocalChain(root / "chain.db", NETUID, block_time_s=12.0)
        self.chain.set_hyperparameters(weights_rate_limit=1)
        self.chain.register("owner", validator_permit=True, stake=10.0)
        self.chain.set_owner("owner")
        self.scores: dict[str, float] = {}  # pack_hash -> score
        self.claims: dict[str, PackClaim] = {}  # hotkey -> latest claim
        self.names: dict[str, str] = {}  # pack_hash -> pack name

    def repo(self, miner: str) -> tuple[Path, str]:
        bare = self.root / "forge" / f"{miner}.git"
        if not bare.exists():
            create_local_forge_repo(bare)
        return self.root / "work" / miner, bare.as_uri()

    def publish(self, miner: str, name: str, score: float) -> PackClaim:
        """Push a pack to the miner's repository (the forge records the push time)."""
        work, url = self.repo(miner)
        res = publish_pack(
            make_pack(name), work, remote_url=url, message=f"{miner} {name}", hotkey=miner
        )
        self.scores[res.pack_hash] = score
        self.names[res.pack_hash] = name
        return PackClaim(repo_url=url, git_commit_hash=res.commit, pack_hash=res.pack_hash)

    async def commit(self, hotkey: str, claim: PackClaim) -> None:
        self.chain.register(hotkey)
        await self.chain.commit(hotkey, encode_claim(claim))
        self.claims[hotkey] = claim
        self.chain.advance(1)  # one claim per block: the story's order is the chain's


class Live:
    """The miners' SubmitPack answers as one validator hears them: its own order, its own
    latencies, and some miners not answering at all. Never decisive."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.offline: set[str] = set()
        self.lies: dict[str, PackClaim] = {}

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        uids = {n.hotkey: n.uid for n in metagraph.neurons}
        hotkeys = [h for h in self.world.claims if h not in self.offline]
        self.rng.shuffle(hotkeys)
        out = []
        for h in hotkeys:
            await asyncio.sleep(self.rng.uniform(0, 0.01))
            if h not in self.lies and self.rng.random() < 0.2:
                continue  # timed out for this validator
            c = self.lies.get(h, self.world.claims[h])
            out.append(
                Received(
                    hotkey=h,
                    uid=uids[h],
                    repo_url=c.repo_url,
                    git_commit_hash=c.git_commit_hash,
                    pack_hash=c.pack_hash,
                    commit_block=-1,
                    committed_at=0.0,
                )
            )
        return out


class Scores:
    """A fixed score per pack (the harness has tests of its own); ``kill_after`` raises mid-step."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.kill_after: int | None = None
        self.calls = 0

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
        if self.kill_after is not None and self.calls > self.kill_after:
            raise Killed
        score = self.world.scores[pack_hash]
        return PackEvaluation(
            pack_hash=pack_hash, final=score, qualified=True, evaluator_failed=False
        )


class Node:
    """One validator: its own chain handle, store, audit log, git cache and live channel."""

    def __init__(self, world: World, name: str, seed: int) -> None:
        self.world = world
        self.name = name
        world.chain.register(name, validator_permit=True, stake=100.0)
        self.live = Live(world, random.Random(seed))
        self.scores = Scores(world)
        self.validator: Validator | None = None
        self.start()

    def start(self) -> None:
        d = self.world.root / self.name
        chain = LocalChain(self.world.root / "chain.db", NETUID)
        store = Store(d / "state.db")
        ctx = VerifyContext(
            cache=GitCache(d / "repos", local_network=True),
            forge=PersistedForge(LocalForge(), store),
        )
        metrics = Metrics()
        self.validator = Validator(
            chain=chain,
            wallet=self.name,
            hotkey=self.name,
            store=store,
            audit=AuditLog(d / "audit.jsonl"),
            source=ChainClaims(chain, self.live, epoch_blocks=EPOCH_BLOCKS, metrics=metrics),
            verifier=GitVerifier(SubmissionVerifier(ctx)),
            evaluator=self.scores,
            params=EpochParams(epoch_blocks=EPOCH_BLOCKS, retry_backoff_s=0),
            metrics=metrics,
        )

    def restart(self) -> None:
        assert self.validator is not None
        self.validator.store.close()
        self.start()

    async def run(self, epoch: int) -> str:
        assert self.validator is not None
        return await self.validator.run_epoch(epoch, await self.validator.chain.block())


def _next_epoch(world: World) -> int:
    """Advance to the next epoch's first block; its number."""
    block = world.chain.current_block()
    world.chain.advance(EPOCH_BLOCKS - block % EPOCH_BLOCKS)
    return world.chain.current_block() // EPOCH_BLOCKS


async def _epoch(world: World, nodes: list[Node], rng: random.Random) -> int:
    """The next epoch, each validator run at a different block of it, in a random order."""
    epoch = _next_epoch(world)
    for node in rng.sample(nodes, len(nodes)):
        world.chain.advance(rng.randint(0, 2))
        assert await node.run(epoch) == "weights_set", node.name
    await _same_weights(world, nodes)
    return epoch


async def _same_weights(world: World, nodes: list[Node]) -> None:
    """Every validator's weights on the chain are the same, and never a copier's."""
    weights = [await world.chain.weights_of(n.name) for n in nodes]
    assert all(w == weights[0] for w in weights), weights
    paid = {n.hotkey for n in (await world.chain.metagraph()).neurons if n.uid in weights[0]}
    assert not paid & {"mallory", "trudy"}


def _winner(node: Node, epoch: int) -> str | None:
    assert node.validator is not None
    row = node.validator.store.decision(epoch)
    assert row is not None
    return row["winner_hotkey"]


async def test_three_validators_agree_every_epoch_and_no_copier_is_paid(tmp_path: Path) -> None:
    world = World(tmp_path)
    rng = random.Random(7)
    uid: dict[str, int] = {}

    # Before epoch 1: alice pushes; mallory, watching her repository, commits alice's exact claim
    # before alice does (front-running); alice commits; bob is later and worse; liar commits one
    # claim and answers SubmitPack with another.
    a1 = world.publish("alice", "a1", 0.70)
    await world.commit("mallory", a1)  # the copier of the measured attack, even a block early
    await world.commit("alice", a1)
    await world.commit("bob", world.publish("bob", "b", 0.60))
    await world.commit("liar", world.publish("liar", "l", 0.20))
    for h in ("alice", "mallory", "bob", "liar"):
        uid[h] = world.chain.register(h)

    v1, v2 = Node(world, "v1", 1), Node(world, "v2", 2)
    for node in (v1, v2):
        node.live.lies["liar"] = a1  # tells validators it serves alice's pack: never used
    e1 = await _epoch(world, [v1, v2], rng)
    assert _winner(v1, e1) == _winner(v2, e1) == "alice"
    for node in (v1, v2):  # the liar's SubmitPack answer was heard, counted, and changed nothing
        assert node.validator is not None
        counter = node.validator.metrics.rejections.labels(reason="submitpack_disagrees")
        assert counter._value.get() == 1

    # Before epoch 2: alice goes offline; dave commits a pack better by less than delta.
    await world.commit("dave", world.publish("dave", "d", 0.74))
    uid["dave"] = world.chain.register("dave")
    for node in (v1, v2):
        node.live.offline.add("alice")
    e2 = await _epoch(world, [v1, v2], rng)
    assert _winner(v1, e2) == _winner(v2, e2) == "alice"  # absent, still the incumbent

    # Before epoch 3: alice is back with an improved pack (a new claim: the old one keeps its
    # date); trudy republishes it in her own repository; a late validator v3 starts with an
    # empty state; v2 is killed mid-evaluation and restarted.
    for node in (v1, v2):
        node.live.offline.discard("alice")
    a2 = world.publish("alice", "a2", 0.77)
    await world.commit("alice", a2)
    trudy_work, trudy_url = world.repo("trudy")
    trudy = publish_pack(make_pack("a2"), trudy_work, remote_url=trudy_url, hotkey="trudy")
    assert trudy.pack_hash == a2.pack_hash and trudy.commit != a2.git_commit_hash
    await world.commit(
        "trudy", PackClaim(repo_url=trudy_url, git_commit_hash=trudy.commit, pack_hash=a2.pack_hash)
    )
    uid["trudy"] = world.chain.register("trudy")
    v3 = Node(world, "v3", 3)
    v2.scores.kill_after = 1
    e3 = _next_epoch(world)
    with pytest.raises(Killed):
        await v2.run(e3)
    v2.scores.kill_after = None
    v2.restart()
    for node in (v3, v1, v2):
        world.chain.advance(1)
        assert await node.run(e3) == "weights_set"
    await _same_weights(world, [v1, v2, v3])
    assert _winner(v1, e3) == _winner(v2, e3) == _winner(v3, e3) == "alice"

    # Before epoch 4: erin takes over (0.90 > 0.77 + 0.05). A claim committed before its push is
    # refused; a claim committed during epoch 4 waits for epoch 5.
    await world.commit("erin", world.publish("erin", "e", 0.90))
    uid["erin"] = world.chain.register("erin")
    early = world.publish("eager", "x", 0.99)
    work, url = world.repo("eager")
    unpushed = publish_pack(make_pack("x2"), work, remote_url=url, push=False, hotkey="eager")
    world.scores[unpushed.pack_hash] = 0.99
    await world.commit(
        "eager",
        PackClaim(repo_url=url, git_commit_hash=unpushed.commit, pack_hash=unpushed.pack_hash),
    )
    uid["eager"] = world.chain.register("eager")
    assert early.pack_hash != unpushed.pack_hash
    e4 = _next_epoch(world)
    for node in (v1, v2, v3):
        world.chain.advance(1)
        if node is v2:  # frank commits mid-epoch: after v1 collected, before v2 and v3 do
            await world.commit("frank", world.publish("frank", "f", 0.99))
            uid["frank"] = world.chain.register("frank")
        assert await node.run(e4) == "weights_set"
    await _same_weights(world, [v1, v2, v3])
    assert _winner(v1, e4) == _winner(v2, e4) == _winner(v3, e4) == "erin"

    # Epoch 5: frank's claim counts now (0.99 > 0.90 + 0.05); eager pushes its commit only now,
    # after its commitment: still refused.
    await asyncio.sleep(1.1)  # push times have one-second resolution: this push is later
    publish_pack(make_pack("x2"), work, remote_url=url, hotkey="eager")
    e5 = await _epoch(world, [v1, v2, v3], rng)
    assert _winner(v1, e5) == _winner(v2, e5) == _winner(v3, e5) == "frank"

    # Every epoch: identical decisions, seeds and weights; no copier ever won.
    for epoch in (e3, e4, e5):
        rows = [n.validator.store.decision(epoch) for n in (v1, v2, v3)]  # type: ignore[union-attr]
        assert len({(r["weights_json"], r["steps_json"]) for r in rows}) == 1  # type: ignore[index]
        seeds = {n.validator.store.epoch(epoch)["seed"] for n in (v1, v2, v3)}  # type: ignore[union-attr,index]
        assert len(seeds) == 1
    for n in (v1, v2, v3):
        assert n.validator is not None
        for epoch in (e1, e2, e3, e4, e5):
            row = n.validator.store.decision(epoch)
            if row is None:
                assert n is v3 and epoch < e3  # v3 started at e3
                continue
            assert row["winner_hotkey"] not in {"mallory", "trudy"}
            steps = {(s["hotkey"], s["pack_hash"]): s for s in json.loads(row["steps_json"])}
            # mallory's claim names alice's commit, bound to alice: it never verifies, so it
            # owns nothing even though it was committed first.
            assert ("mallory", a1.pack_hash) not in steps
            assert steps[("alice", a1.pack_hash)]["outcome"] == "first"
            reasons = {
                r["hotkey"]: r["reason"]
                for r in n.validator.store.verifications(epoch)
                if r["hotkey"] == "mallory"
            }
            assert reasons == {"mallory": "hotkey_not_bound"}
            if epoch >= e3:
                assert steps[("trudy", a2.pack_hash)]["outcome"] == "copy"
        reasons = {
            r["hotkey"]: r["reason"]
            for r in n.validator.store.verifications(e5)
            if r["hotkey"] == "eager"
        }
        assert reasons == {"eager": "push_after_submission"}
    assert await world.chain.weights_of("v3") == {uid["frank"]: 1.0}
