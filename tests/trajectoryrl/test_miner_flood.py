"""Attacks on a rival's miner without a key: slow-loris connections, trickled bodies and a
flood from several addresses must not keep the validator's query from being answered."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest
from fakes.wallets import make_wallet

from trajectoryrl.chain import Metagraph, Neuron
from trajectoryrl.miner import AccessPolicy, ConnectionLimits, CurrentPack, MinerServer
from trajectoryrl.protocol import SubmitPack, hotkey_of, query_miner

CURRENT = CurrentPack(
    repo_url="https://github.com/owner/repo", git_commit_hash="c" * 40, pack_hash="d" * 64
)


@pytest.fixture(scope="module")
def wallets(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("wallets")
    return {n: make_wallet(root, n) for n in ("miner", "validator")}


async def _serve(wallets, limits: ConnectionLimits) -> tuple[MinerServer, int]:  # type: ignore[no-untyped-def]
    async def provider() -> Metagraph:
        return Metagraph(
            netuid=1,
            block=100,
            neurons=[
                Neuron(uid=0, hotkey=hotkey_of(wallets["miner"].hotkey)),
                Neuron(
                    uid=1,
                    hotkey=hotkey_of(wallets["validator"].hotkey),
                    validator_permit=True,
                    stake=5000.0,
                ),
            ],
        )

    server = MinerServer(
        wallets["miner"].hotkey,
        provider,
        current=CURRENT,
        policy=AccessPolicy(rate_capacity=50, rate_per_s=10),
        limits=limits,
    )
    return server, await server.start("127.0.0.1", 0)


async def _query(wallets, server: MinerServer, port: int) -> str:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        out = await query_miner(
            session,
            f"127.0.0.1:{port}",
            wallets["validator"].hotkey,
            server.hotkey,
            SubmitPack(validator_hotkey=hotkey_of(wallets["validator"].hotkey), epoch=7),
            20.0,
        )
    return out.kind


async def _loris(port: int, source: str, n: int) -> list[asyncio.StreamWriter]:
    """n connections from ``source`` that send half a request line and then nothing."""
    writers = []
    for _ in range(n):
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        except OSError:
            continue
        w.write(b"POST /SubmitPack HTTP/1.1\r\nHost: x\r\n")
        writers.append(w)
    await asyncio.sleep(0.2)
    return writers


def _close(writers: list[asyncio.StreamWriter]) -> None:
    for w in writers:
        with contextlib.suppress(Exception):
            w.close()


async def test_a_slow_loris_flood_from_one_address_leaves_the_validator_answered(wallets) -> None:  # type: ignore[no-untyped-def]
    server, port = await _serve(wallets, ConnectionLimits(per_peer=16, max_connections=64))
    writers = await _loris(port, "127.0.0.2", 300)
    try:
        assert server.limiter.total <= 16 + 1  # the flood holds at most its share
        assert server.limiter.refused >= 300 - 16
        assert await _query(wallets, server, port) == "answer"
    finally:
        _close(writers)
        await server.stop()


async def test_a_flood_from_many_addresses_cannot_fill_the_server(wallets) -> None:  # type: ignore[no-untyped-def]
    server, port = await _serve(wallets, ConnectionLimits(per_peer=8, max_connections=32))
    writers: list[asyncio.StreamWriter] = []
    try:
        for i in range(2, 12):  # 10 addresses x 8 connections > 32
            writers += await _loris(port, f"127.0.0.{i}", 8)
        assert server.limiter.total <= 32 and server.limiter.evicted > 0
        assert await _query(wallets, server, port) == "answer"
    finally:
        _close(writers)
        await server.stop()


async def test_a_held_connection_is_closed_at_the_end_of_its_lifetime(wallets) -> None:  # type: ignore[no-untyped-def]
    server, port = await _serve(wallets, ConnectionLimits(lifetime_s=0.5, body_timeout_s=0.3))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /SubmitPack HTTP/1.1\r\nHost: x\r\n")  # headers never end
        with contextlib.suppress(ConnectionError):
            assert await asyncio.wait_for(reader.read(), 30) == b""  # closed by the miner
        assert server.limiter.total == 0

        # A body promised and trickled: refused once the body deadline passes.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /SubmitPack HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        answer = await asyncio.wait_for(reader.read(), 30)
        assert b" 408 " in answer.split(b"\r\n")[0] and b"body_timeout" in answer
        writer.close()
    finally:
        await server.stop()
