"""neurons/miner.py's serve and commit logic against the embedded chain: an endpoint nobody can
reach is refused on a real network, an endpoint already on chain is not served again, a
serving rate limit is a warning, and the claim is committed once (re-committing would re-date
the hotkey's latest commitment)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from trajectoryrl.chain import ChainError, LocalChain
from trajectoryrl.miner import CurrentPack
from trajectoryrl.protocol import decode_claim

ROOT = Path(__file__).resolve().parents[2]


def _neuron() -> ModuleType:
    spec = importlib.util.spec_from_file_location("miner_neuron", ROOT / "neurons" / "miner.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["miner_neuron"] = module
    spec.loader.exec_module(module)
    return module


miner = _neuron()


class Wallet:
    class hotkey:  # the shape of bt.Wallet().hotkey
        ss58_address = "5Miner"


def _args(**kw: Any) -> argparse.Namespace:
    args = miner.build_parser().parse_args([])
    for k, v in kw.items():
        setattr(args, k, v)
    return args


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "127.0.0.1", "::1"])
def test_an_unreachable_endpoint_is_refused_on_a_real_network(host: str) -> None:
    with pytest.raises(miner.StartupError, match="cannot be reached"):
        miner._endpoint_host(_args(network="finney", axon_ip="0.0.0.0", external_ip=host))
    # The default (no --axon.external_ip) publishes the listen address 0.0.0.0: refused too.
    with pytest.raises(miner.StartupError):
        miner._endpoint_host(_args(network="finney", axon_ip="0.0.0.0", external_ip=None))
    assert miner._endpoint_host(_args(network="local", external_ip=host)) == host
    assert miner._endpoint_host(_args(network="finney", external_ip="203.0.113.7")) == (
        "203.0.113.7"
    )


class CountingChain(LocalChain):
    served = 0
    rate_limited = False

    async def serve_endpoint(self, hotkey_wallet: object, host: str, port: int) -> None:
        if self.rate_limited:
            raise ChainError("serving too fast", code="rate_limited")
        self.served += 1
        await super().serve_endpoint(hotkey_wallet, host, port)


async def test_serving_is_skipped_when_on_chain_and_a_rate_limit_is_a_warning(
    tmp_path: Path,
) -> None:
    chain = CountingChain(tmp_path / "c.db", 11)
    chain.register("5Miner")
    args = _args(network="local", external_ip="10.0.0.5")
    await miner._publish_endpoint(args, Wallet, chain, 8091)
    await miner._publish_endpoint(args, Wallet, chain, 8091)  # a restart: already there
    assert chain.served == 1
    chain.rate_limited = True
    await miner._publish_endpoint(args, Wallet, chain, 8092)  # a new port inside the limit
    chain.rate_limited = False
    await miner._publish_endpoint(args, Wallet, chain, 8092)
    assert chain.served == 2
    chain.close_sync()


async def test_the_claim_is_committed_once(tmp_path: Path) -> None:
    chain = LocalChain(tmp_path / "c.db", 11)
    chain.register("5Miner")
    current = CurrentPack(
        repo_url="https://github.com/me/pack", git_commit_hash="a" * 40, pack_hash="b" * 64
    )
    await miner._commit(_args(), Wallet, chain, current)
    chain.advance(5)
    await miner._commit(_args(), Wallet, chain, current)  # restarted: not re-dated
    history = await chain.commitment_history()
    assert len(history) == 1 and history[0].block == 0
    claim = decode_claim(history[0].value)
    assert claim is not None and claim.model_dump() == current.model_dump()
    chain.close_sync()


def test_only_a_pushed_commit_bound_to_this_hotkey_is_committed(tmp_path: Path) -> None:
    from clawbench.pack import PolicyBundle
    from trajectoryrl.miner import PublishError, publish_pack, pushed_claim
    from trajectoryrl.verify import create_local_forge_repo

    pack = PolicyBundle.model_validate(
        {"files": {"AGENTS.md": "x"}, "metadata": {"pack_name": "p", "pack_version": "1.0.0"}}
    )
    url = create_local_forge_repo(tmp_path / "f.git").as_uri()
    work = tmp_path / "w"
    publish_pack(pack, work, remote_url=url, push=False, hotkey="5Me")
    with pytest.raises(PublishError) as err:
        pushed_claim(work, url, hotkey="5Me")
    assert err.value.code == "not_pushed"
    res = publish_pack(pack, work, remote_url=url, hotkey="5Me")
    assert pushed_claim(work, url, hotkey="5Me").git_commit_hash == res.commit
    with pytest.raises(PublishError) as err:
        pushed_claim(work, url, hotkey="5SomeoneElse")
    assert err.value.code == "not_bound"
