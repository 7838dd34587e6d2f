"""The miner: publishing with GitPython, and SubmitPack served to validators over loopback."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from fakes.gitrepos import git
from fakes.net import free_port, stalling_server
from fakes.wallets import make_wallet

from clawbench.pack import PolicyBundle, pack_hash
from trajectoryrl.chain import Metagraph, Neuron
from trajectoryrl.miner import (
    AccessPolicy,
    CachedMetagraph,
    CurrentPack,
    MinerServer,
    PublishError,
    TokenBucket,
    publish_pack,
    published_claim,
)
from trajectoryrl.protocol import SubmitPack, hotkey_of, query_miner, sign_request
from trajectoryrl.verify import PUSH_LOG, create_local_forge_repo

CURRENT = CurrentPack(
    repo_url="https://github.com/owner/repo", git_commit_hash="c" * 40, pack_hash="d" * 64
)


def _pack(agents: str = "Be careful.", **files: str) -> PolicyBundle:
    return PolicyBundle.model_validate(
        {
            "files": {"AGENTS.md": agents, **files},
            "metadata": {"pack_name": "p", "pack_version": "1.0.0"},
        }
    )


# -- publishing ------------------------------------------------------------------------------
def test_publish_pushes_canonical_pack_and_hash_matches_published_object(tmp_path: Path) -> None:
    bare = create_local_forge_repo(tmp_path / "forge.git")
    pack = _pack(**{"SOUL.md": "calm"})
    res = publish_pack(pack, tmp_path / "work", remote_url=str(bare))
    assert res.pushed and git(bare, "rev-parse", "refs/heads/main") == res.commit
    published = json.loads(git(bare, "show", f"{res.commit}:pack.json"))
    assert pack_hash(published) == res.pack_hash == pack_hash(pack)
    assert git(bare, "show", f"{res.commit}:SOUL.md") == "calm"
    assert res.commit in (bare / PUSH_LOG).read_text()
    # a new pack without SOUL.md removes it; the claim read back matches
    res2 = publish_pack(_pack("Be very careful."), tmp_path / "work")
    assert res2.commit != res.commit
    assert "SOUL.md" not in git(bare, "ls-tree", "--name-only", res2.commit)
    assert published_claim(tmp_path / "work") == (res2.commit, res2.pack_hash)
    # publishing the same pack again makes no empty commit
    assert publish_pack(_pack("Be very careful."), tmp_path / "work").commit == res2.commit


def test_publish_errors_have_codes_and_no_credentials(tmp_path: Path) -> None:
    with pytest.raises(PublishError) as err:
        publish_pack(_pack(), tmp_path / "w1")
    assert err.value.code == "no_remote"
    with pytest.raises(PublishError) as err:
        publish_pack(
            _pack(), tmp_path / "w2", remote_url=f"http://user:s3cret@127.0.0.1:{free_port()}/x.git"
        )
    assert err.value.code == "push_failed" and "s3cret" not in str(err.value)


# -- access machinery ------------------------------------------------------------------------
def test_token_bucket_refills_with_injected_clock() -> None:
    now = [0.0]
    bucket = TokenBucket(2, 0.5, clock=lambda: now[0])
    assert bucket.take("a") and bucket.take("a") and not bucket.take("a")
    assert bucket.take("b")  # per caller
    now[0] = 2.0
    assert bucket.take("a") and not bucket.take("a")


async def test_cached_metagraph_refreshes_on_interval_and_survives_failures() -> None:
    now = [0.0]
    calls = {"n": 0, "fail": False}

    async def provider() -> Metagraph:
        calls["n"] += 1
        if calls["fail"]:
            raise RuntimeError("chain down")
        return Metagraph(netuid=1, block=calls["n"])

    cache = CachedMetagraph(provider, refresh_s=10, clock=lambda: now[0])
    assert (await cache.get()).block == 1 and (await cache.get()).block == 1
    now[0] = 11
    assert (await cache.get()).block == 2
    calls["fail"], now[0] = True, 30
    assert (await cache.get()).block == 2  # stale but known beats nothing


# -- loopback exchange -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def wallets(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("wallets")
    return {
        n: make_wallet(root, n)
        for n in ("miner", "validator", "nopermit", "stranger", "poor", "impostor")
    }


def _metagraph(wallets) -> Metagraph:
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
            Neuron(uid=2, hotkey=hotkey_of(wallets["nopermit"].hotkey), stake=9000.0),
            Neuron(
                uid=3, hotkey=hotkey_of(wallets["poor"].hotkey), validator_permit=True, stake=10.0
            ),
        ],
    )


@pytest.fixture
async def miner(wallets):
    async def provider() -> Metagraph:
        return _metagraph(wallets)

    server = MinerServer(
        wallets["miner"].hotkey,
        provider,
        current=CURRENT,
        policy=AccessPolicy(min_stake=1000.0, rate_capacity=3, rate_per_s=0.001),
    )
    port = await server.start("127.0.0.1", 0)
    async with aiohttp.ClientSession() as session:
        yield server, port, session
    await server.stop()


def _req(wallet) -> SubmitPack:
    return SubmitPack(validator_hotkey=hotkey_of(wallet.hotkey), epoch=7)


async def test_validator_gets_signed_answer(miner, wallets) -> None:
    server, port, session = miner
    out = await query_miner(
        session,
        f"127.0.0.1:{port}",
        wallets["validator"].hotkey,
        server.hotkey,
        _req(wallets["validator"]),
        5.0,
    )
    assert out.kind == "answer" and out.answer is not None
    assert out.answer.is_answered() and out.answer.git_commit_hash == CURRENT.git_commit_hash
    assert out.answer.repo_url == CURRENT.repo_url and out.answer.pack_hash == CURRENT.pack_hash
    # a Wallet object signs too (not only a Keypair)
    out = await query_miner(
        session,
        f"127.0.0.1:{port}",
        wallets["validator"],
        server.hotkey,
        _req(wallets["validator"]),
        5.0,
    )
    assert out.kind == "answer"


@pytest.mark.parametrize(
    "who,code,status",
    [
        ("stranger", "not_registered", 403),
        ("nopermit", "no_permit", 403),
        ("poor", "insufficient_stake", 403),
    ],
)
async def test_callers_without_standing_are_refused(miner, wallets, who, code, status) -> None:
    server, port, session = miner
    out = await query_miner(
        session, f"127.0.0.1:{port}", wallets[who].hotkey, server.hotkey, _req(wallets[who]), 5.0
    )
    assert (out.kind, out.code, out.status) == ("refused", code, status)


async def _raw_post(session, port, body: bytes, headers: dict[str, str]):
    async with session.post(
        f"http://127.0.0.1:{port}/SubmitPack", data=body, headers=headers
    ) as resp:
        return resp.status, await resp.json()


async def test_replayed_and_tampered_requests_are_refused(miner, wallets) -> None:
    server, port, session = miner
    v = wallets["validator"].hotkey
    body = _req(wallets["validator"]).to_body()
    headers = sign_request(v, body, miner_hotkey=server.hotkey)
    assert (await _raw_post(session, port, body, headers))[0] == 200
    status, data = await _raw_post(session, port, body, headers)
    assert (status, data["error"]) == (401, "replayed_request")
    headers = sign_request(v, body, miner_hotkey=server.hotkey)
    tampered = body.replace(b'"epoch":7', b'"epoch":8')
    status, data = await _raw_post(session, port, tampered, headers)
    assert (status, data["error"]) == (401, "bad_signature")
    status, data = await _raw_post(session, port, body, {})
    assert (status, data["error"]) == (401, "malformed_auth")
    other = sign_request(v, body, miner_hotkey=hotkey_of(wallets["impostor"].hotkey))
    status, data = await _raw_post(session, port, body, other)
    assert (status, data["error"]) == (401, "wrong_receiver")


async def test_rate_limit_and_error_bodies_leak_nothing(miner, wallets) -> None:
    server, port, session = miner
    v = wallets["validator"]
    kinds = [
        (await query_miner(session, f"127.0.0.1:{port}", v.hotkey, server.hotkey, _req(v), 5.0))
        for _ in range(4)
    ]
    assert [k.kind for k in kinds] == ["answer"] * 3 + ["refused"]
    assert kinds[-1].code == "rate_limited"
    # junk bodies: fixed error texts only
    headers = sign_request(wallets["stranger"].hotkey, b"x" * 100_000, miner_hotkey=server.hotkey)
    async with session.post(
        f"http://127.0.0.1:{port}/SubmitPack", data=b"x" * 100_000, headers=headers
    ) as resp:
        text = await resp.text()
        assert resp.status == 413
    for secret in ("/", str(Path.home()), "Traceback", "hotkeys"):
        assert secret not in json.loads(text)["detail"]


async def test_validator_hotkey_must_match_signer_and_no_pack(miner, wallets) -> None:
    server, port, session = miner
    v = wallets["validator"]
    out = await query_miner(
        session,
        f"127.0.0.1:{port}",
        v.hotkey,
        server.hotkey,
        SubmitPack(validator_hotkey="5Fsomeoneelse", epoch=1),
        5.0,
    )
    assert (out.kind, out.code) == ("refused", "hotkey_mismatch")
    server.current = None
    out = await query_miner(session, f"127.0.0.1:{port}", v.hotkey, server.hotkey, _req(v), 5.0)
    assert (out.kind, out.code) == ("refused", "no_pack")


async def test_impostor_serving_at_the_endpoint_is_refused(miner, wallets) -> None:
    server, _, session = miner
    v = wallets["validator"]
    impostor = MinerServer(wallets["impostor"].hotkey, server._metagraph._provider, current=CURRENT)
    iport = await impostor.start()
    try:  # the request is addressed to the real miner's hotkey; the impostor cannot use it
        out = await query_miner(
            session, f"127.0.0.1:{iport}", v.hotkey, server.hotkey, _req(v), 5.0
        )
        assert (out.kind, out.code) == ("refused", "wrong_receiver")
    finally:
        await impostor.stop()


@pytest.mark.parametrize(
    "mode,kind,code",
    [
        ("other_signer", "bad_signature", "wrong_sender"),
        ("unsigned", "bad_signature", "malformed_auth"),
        ("stale_nonce_binding", "bad_signature", "bad_signature"),
        ("junk_body", "malformed", "invalid_message"),
        ("other_request", "malformed", "not_our_request"),
    ],
)
async def test_misbehaving_answers_are_typed_outcomes(wallets, mode, kind, code) -> None:
    from aiohttp import web
    from bittensor import http_auth

    from trajectoryrl.protocol import sign_response

    v, m, o = wallets["validator"], wallets["miner"], wallets["impostor"]

    async def handle(request: web.Request) -> web.Response:
        nonce = int(request.headers[http_auth.HEADER_NONCE])
        req = SubmitPack.from_body(await request.read())
        body = req.answered(
            git_commit_hash="c" * 40, repo_url="https://github.com/o/r", pack_hash="d" * 64
        ).to_body()
        signer = m.hotkey
        if mode == "other_signer":
            signer = o.hotkey
        elif mode == "stale_nonce_binding":
            nonce -= 1
        elif mode == "junk_body":
            body = b'{"hello": 1}'
        elif mode == "other_request":
            body = SubmitPack(validator_hotkey=req.validator_hotkey, epoch=99).to_body()
        headers = (
            {}
            if mode == "unsigned"
            else sign_response(
                signer, body, validator_hotkey=hotkey_of(v.hotkey), request_nonce=nonce
            )
        )
        return web.Response(body=body, headers=headers)

    app = web.Application()
    app.router.add_post("/SubmitPack", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as session:
            out = await query_miner(
                session, f"127.0.0.1:{port}", v.hotkey, hotkey_of(m.hotkey), _req(v), 5.0
            )
        assert (out.kind, out.code) == (kind, code)
    finally:
        await runner.cleanup()


async def test_timeouts_and_unreachable_are_outcomes(wallets) -> None:
    v = wallets["validator"]
    async with aiohttp.ClientSession() as session:
        with stalling_server() as port:
            out = await query_miner(session, f"127.0.0.1:{port}", v.hotkey, "5X", _req(v), 0.3)
            assert out.kind == "timeout"
        out = await query_miner(session, f"127.0.0.1:{free_port()}", v.hotkey, "5X", _req(v), 2.0)
        assert out.kind == "unreachable"
