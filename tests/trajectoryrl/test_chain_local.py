"""LocalChain: registration and UID recycling, stakes, permits, endpoints, commitments, weights
(normalisation, rate limit, refusals), the block clock, two processes at once, fault seams."""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from trajectoryrl.chain import ChainError, Endpoint, LocalChain


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def chain(tmp_path: Path, clock: FakeClock) -> Iterator[LocalChain]:
    c = LocalChain(tmp_path / "chain.db", 11, block_time_s=12.0, clock=clock)
    yield c
    c.close_sync()


# -- the block clock -----------------------------------------------------------------------


async def test_block_follows_the_clock_and_advance(chain: LocalChain, clock: FakeClock) -> None:
    assert await chain.block() == 0
    clock.now += 11.9
    assert await chain.block() == 0
    clock.now += 0.1
    assert await chain.block() == 1
    clock.now += 12 * 10 + 5
    assert await chain.block() == 11
    assert chain.advance(100) == 111
    assert await chain.block() == 111


async def test_clock_and_offset_are_shared_through_the_file(
    tmp_path: Path, clock: FakeClock
) -> None:
    first = LocalChain(tmp_path / "c.db", 1, block_time_s=2.0, clock=clock)
    clock.now += 20
    later = FakeClock(clock.now)
    second = LocalChain(tmp_path / "c.db", 1, clock=later)  # block time comes from the file
    assert second.block_time_s == 2.0
    assert await first.block() == await second.block() == 10
    first.advance(5)
    assert await second.block() == 15
    with pytest.raises(ValueError, match="runs 2.0 s blocks"):
        LocalChain(tmp_path / "c.db", 1, block_time_s=12.0, clock=clock)
    await first.close()
    await second.close()


def test_bad_block_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        LocalChain(tmp_path / "c.db", 1, block_time_s=0)


# -- registration ----------------------------------------------------------------------------


async def test_registration_assigns_uids_and_records_the_block(chain: LocalChain) -> None:
    assert chain.register("val", "cold-v", stake=1000.0, validator_permit=True) == 0
    chain.advance(3)
    assert chain.register("m1", "cold-1") == 1
    assert chain.register("m1", "other") == 1  # already registered: same UID, unchanged
    graph = await chain.metagraph()
    assert graph.netuid == 11 and graph.block == 3
    by_hotkey = graph.by_hotkey()
    assert by_hotkey["val"].validator_permit and by_hotkey["val"].stake == 1000.0
    assert by_hotkey["val"].coldkey == "cold-v" and by_hotkey["val"].registered_block == 0
    assert by_hotkey["m1"].coldkey == "cold-1" and by_hotkey["m1"].registered_block == 3
    assert not by_hotkey["m1"].validator_permit and by_hotkey["m1"].endpoint is None


async def test_full_subnet_recycles_the_lowest_stake_non_validator(chain: LocalChain) -> None:
    chain.set_hyperparameters(max_uids=4, weights_rate_limit=0)
    chain.register("val", stake=1.0, validator_permit=True)  # lowest stake, but a validator
    chain.register("rich", stake=50.0)
    chain.register("poor", stake=2.0)
    chain.register("poor-later", stake=2.0)
    # "poor" once held a permit and set weights: that record must go with its UID.
    chain.set_permit("poor", True)
    assert (await chain.set_weights("poor", {1: 1.0})).success
    chain.set_permit("poor", False)
    chain.advance(7)
    uid = chain.register("newcomer", stake=5.0)
    assert uid == 2  # "poor": lowest stake, earliest registration among the ties
    graph = await chain.metagraph()
    assert "poor" not in graph.by_hotkey()
    assert graph.by_uid()[2].hotkey == "newcomer"
    assert graph.by_uid()[2].registered_block == 7  # a recycled UID is a new registration
    assert await chain.weights_of("poor") == {}
    # Re-registering gives a new UID and a new registration block.
    chain.advance(1)
    again = chain.register("poor", stake=0.0)
    assert again == 3  # "poor-later" (2.0) now has the lowest stake
    assert (await chain.metagraph()).by_uid()[3].registered_block == 8
    assert "poor-later" not in (await chain.metagraph()).by_hotkey()


async def test_a_subnet_full_of_validators_refuses_registration(chain: LocalChain) -> None:
    chain.set_hyperparameters(max_uids=2)
    chain.register("v1", validator_permit=True)
    chain.register("v2", validator_permit=True)
    with pytest.raises(ChainError, match="full") as err:
        chain.register("m")
    assert err.value.code == "subnet_full"


async def test_stakes_permits_and_owner(chain: LocalChain) -> None:
    chain.register("a")
    chain.set_stake("a", 42.5)
    chain.set_permit("a", True)
    chain.set_owner("a")
    graph = await chain.metagraph()
    assert graph.owner_hotkey == "a"
    assert graph.by_hotkey()["a"].stake == 42.5 and graph.by_hotkey()["a"].validator_permit
    chain.set_permit("a", False)
    assert not (await chain.metagraph()).by_hotkey()["a"].validator_permit
    with pytest.raises(ChainError) as err:
        chain.set_stake("ghost", 1.0)
    assert err.value.code == "not_registered"
    with pytest.raises(ValueError, match="stake"):
        chain.set_stake("a", -1.0)
    with pytest.raises(ValueError, match="stake"):
        chain.register("b", stake=math.nan)


# -- endpoints and commitments ---------------------------------------------------------------


async def test_serve_endpoint(chain: LocalChain) -> None:
    chain.register("m")
    await chain.serve_endpoint("m", "127.0.0.1", 8091)
    assert (await chain.metagraph()).by_hotkey()["m"].endpoint == Endpoint(
        host="127.0.0.1", port=8091
    )
    await chain.serve_endpoint(SimpleNamespace(hotkey=SimpleNamespace(ss58_address="m")), "::1", 9)
    assert (await chain.metagraph()).by_hotkey()["m"].endpoint == Endpoint(host="::1", port=9)
    with pytest.raises(ValueError, match="not an IP"):
        await chain.serve_endpoint("m", "localhost; rm -rf", 80)
    with pytest.raises(ValueError, match="port"):
        await chain.serve_endpoint("m", "127.0.0.1", 70000)
    with pytest.raises(ChainError) as err:
        await chain.serve_endpoint("ghost", "127.0.0.1", 80)
    assert err.value.code == "not_registered"


async def test_commitments_carry_their_block(chain: LocalChain) -> None:
    chain.register("m1")
    chain.register("m2")
    chain.advance(5)
    await chain.commit("m1", "pack:abc")
    chain.advance(2)
    await chain.commit("m2", "é" * 192)  # 384 bytes exactly: three Raw fields
    got = await chain.commitments()
    assert (got["m1"].value, got["m1"].block) == ("pack:abc", 5)
    assert (got["m2"].value, got["m2"].block) == ("é" * 192, 7)
    assert got["m1"].committed_at is not None
    chain.advance(1)
    await chain.commit("m1", "pack:def")  # a new commitment dates from its own block
    assert (await chain.commitments())["m1"].block == 8
    # The history keeps the replaced commitment, oldest first.
    history = [(c.hotkey, c.value, c.block) for c in await chain.commitment_history()]
    assert history == [("m1", "pack:abc", 5), ("m2", "é" * 192, 7), ("m1", "pack:def", 8)]
    with pytest.raises(ValueError, match="385 bytes"):
        await chain.commit("m1", "é" * 192 + "x")
    with pytest.raises(ChainError) as err:
        await chain.commit("ghost", "x")
    assert err.value.code == "not_registered"
    assert (await chain.commitments())["m1"].value == "pack:def"


# -- weights ---------------------------------------------------------------------------------


@pytest.fixture
def subnet(chain: LocalChain) -> LocalChain:
    chain.set_hyperparameters(weights_rate_limit=10)
    chain.register("val", stake=100.0, validator_permit=True)
    for name in ("m1", "m2", "m3"):
        chain.register(name)
    return chain


async def test_set_weights_normalises_like_the_chain(subnet: LocalChain) -> None:
    result = await subnet.set_weights("val", {1: 1.0, 2: 3.0, 3: 0.0})
    assert result.success and result.code == "" and result.block == 0
    weights = await subnet.weights_of("val")
    assert set(weights) == {1, 2}  # zeros are dropped
    assert math.isclose(sum(weights.values()), 1.0)
    assert weights[1] == pytest.approx(0.25, abs=1e-4) and weights[2] == pytest.approx(
        0.75, abs=1e-4
    )
    subnet.advance(10)
    assert (await subnet.set_weights("val", {3: 7.0})).success
    assert await subnet.weights_of("val") == {3: 1.0}  # a new set replaces the old one
    assert await subnet.weights_of("m1") == {}


async def test_rate_limit_is_checked_before_writing(subnet: LocalChain) -> None:
    assert (await subnet.set_weights("val", {1: 1.0})).success
    assert await subnet.weights_rate_limit() == 10
    assert await subnet.blocks_since_last_update(0) == 0
    subnet.advance(9)
    refused = await subnet.set_weights("val", {2: 1.0})
    assert not refused.success and refused.code == "rate_limited"
    assert "9 blocks ago" in refused.message and "10 blocks" in refused.message
    assert await subnet.weights_of("val") == {1: 1.0}  # unchanged
    assert await subnet.blocks_since_last_update(0) == 9
    subnet.advance(1)  # since == limit is allowed, as on the chain
    assert (await subnet.set_weights("val", {2: 1.0})).success
    assert await subnet.weights_of("val") == {2: 1.0}
    subnet.set_hyperparameters(weights_rate_limit=0)
    assert (await subnet.set_weights("val", {3: 1.0})).success


async def test_refusals_carry_reason_codes(subnet: LocalChain) -> None:
    cases = [
        ("ghost", {1: 1.0}, "not_registered"),
        ("m1", {2: 1.0}, "no_permit"),
        ("val", {}, "invalid_weights"),
        ("val", {1: 0.0, 2: 0.0}, "invalid_weights"),
        ("val", {1: -1.0}, "invalid_weights"),
        ("val", {1: math.nan}, "invalid_weights"),
        ("val", {1: math.inf}, "invalid_weights"),
        ("val", {99: 1.0}, "invalid_weights"),
    ]
    for wallet, weights, code in cases:
        result = await subnet.set_weights(wallet, weights)
        assert (result.success, result.code) == (False, code), (wallet, weights, result)
    assert await subnet.weights_of("val") == {}
    assert await subnet.blocks_since_last_update(0) == 0  # never set: the current block
    with pytest.raises(ChainError) as err:
        await subnet.blocks_since_last_update(42)
    assert err.value.code == "not_found"
    with pytest.raises(ValueError, match="hotkey"):
        await subnet.set_weights(object(), {1: 1.0})


async def test_wallet_objects_are_accepted(subnet: LocalChain) -> None:
    wallet = SimpleNamespace(hotkey=SimpleNamespace(ss58_address="val"))
    assert (await subnet.set_weights(wallet, {1: 1.0})).success
    assert await subnet.weights_of("val") == {1: 1.0}


# -- fault injection -------------------------------------------------------------------------


async def test_fail_next_set_weights(subnet: LocalChain) -> None:
    subnet.fail_next_set_weights(2)
    for _ in range(2):
        result = await subnet.set_weights("val", {1: 1.0})
        assert not result.success and result.code == "injected"
    assert await subnet.weights_of("val") == {}
    assert (await subnet.set_weights("val", {1: 1.0})).success


async def test_unreachable_raises_on_every_protocol_method(subnet: LocalChain) -> None:
    subnet.unreachable(True)
    calls = [
        subnet.block(),
        subnet.metagraph(),
        subnet.commitments(),
        subnet.set_weights("val", {1: 1.0}),
        subnet.weights_rate_limit(),
        subnet.blocks_since_last_update(0),
        subnet.serve_endpoint("m1", "127.0.0.1", 1),
        subnet.commit("m1", "x"),
        subnet.weights_of("val"),
    ]
    for call in calls:
        with pytest.raises(ChainError) as err:
            await call
        assert err.value.code == "unreachable"
    subnet.unreachable(False)
    assert (await subnet.set_weights("val", {1: 1.0})).success


async def test_a_closed_handle_raises_chain_error(tmp_path: Path) -> None:
    c = LocalChain(tmp_path / "c.db", 1)
    await c.close()
    await c.close()  # idempotent
    with pytest.raises(ChainError) as err:
        await c.block()
    assert err.value.code == "closed"


# -- several processes -----------------------------------------------------------------------

PER_PROCESS = 40


def _worker(db: str, name: str, start: float) -> None:
    chain = LocalChain(db, 11, clock=lambda: start)
    for i in range(PER_PROCESS):
        hotkey = f"{name}-{i}"
        chain.register(hotkey, stake=float(i))
        chain.set_stake(hotkey, float(i) + 0.5)
        chain.advance(1)

    async def write() -> None:
        for i in range(PER_PROCESS):
            await chain.commit(f"{name}-{i}", f"{name}:{i}")
        chain.set_permit(f"{name}-0", True)
        result = await chain.set_weights(f"{name}-0", {0: 1.0})
        assert result.success, result
        await chain.close()

    asyncio.run(write())


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    setup = LocalChain(db, 11, block_time_s=12.0, clock=lambda: 5_000.0)
    setup.set_hyperparameters(max_uids=4096, weights_rate_limit=0)
    setup.close_sync()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(db, name, 5_000.0)) for name in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]

    check = LocalChain(db, 11, clock=lambda: 5_000.0)
    graph = asyncio.run(check.metagraph())
    hotkeys = sorted(n.hotkey for n in graph.neurons)
    assert hotkeys == sorted(f"{n}-{i}" for n in ("a", "b") for i in range(PER_PROCESS))
    assert sorted(n.uid for n in graph.neurons) == list(range(2 * PER_PROCESS))
    assert all(n.stake == float(n.hotkey.split("-")[1]) + 0.5 for n in graph.neurons)
    commitments = asyncio.run(check.commitments())
    assert {h: c.value for h, c in commitments.items()} == {
        f"{n}-{i}": f"{n}:{i}" for n in ("a", "b") for i in range(PER_PROCESS)
    }
    assert check.current_block() == 2 * PER_PROCESS  # every advance landed exactly once
    assert asyncio.run(check.weights_of("a-0")) == {0: 1.0}
    assert asyncio.run(check.weights_of("b-0")) == {0: 1.0}
    check.close_sync()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_block_hashes_differ_between_chains_and_not_before_the_block(tmp_path: Path) -> None:
    a = LocalChain(tmp_path / "a.db", 11)
    b = LocalChain(tmp_path / "b.db", 11)
    a.advance(20)
    b.advance(20)
    assert await a.block_hash(10) == await a.block_hash(10)
    assert await a.block_hash(10) != await b.block_hash(10)
    assert await a.block_hash(10) != await a.block_hash(11)
    with pytest.raises(ChainError) as err:
        await a.block_hash(10_000)  # the future block's hash cannot be known today
    assert err.value.code == "not_found"
    reopened = LocalChain(tmp_path / "a.db", 11)
    assert await reopened.block_hash(10) == await a.block_hash(10)
