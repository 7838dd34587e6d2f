"""BittensorChain against an in-memory chain at the SDK's ``substrate=`` seam.

The real SDK code runs on top of the fake: ``Client``, the metagraph decoder, the commitment
decoder, the ``SetWeights`` preflight (registration, rate limit) and normalisation, the
executor's plan/submit path and ``ServeAxon``. The fake stores what the submitted calls write
(weights, LastUpdate, axon, commitment) so reads observe the writes. What it cannot prove: that
a live node accepts the exact call encodings (no network here). Keep these few and focused:
``substrate=`` is an SDK-internal seam.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bittensor as bt
import pytest
from bittensor.result import ChainError as SdkChainError
from bittensor.result import ExtrinsicResult, RpcConnectionError

from trajectoryrl.chain import BittensorChain, ChainError, Endpoint
from trajectoryrl.protocol import PackClaim, decode_claim, encode_claim

NETUID = 7
RAO = 10**9


class FakeSubstrate:
    """Just enough of a subtensor node, in memory."""

    def __init__(self, validator: str) -> None:
        self.token_symbols: dict[int, str] = {}
        self.head = 1000
        self.rate_limit = 100
        self.owner = "5Owner"
        self.neurons: list[dict[str, Any]] = [
            {"hotkey": validator, "coldkey": "5ColdV", "permit": True, "stake": 900 * RAO},
            {"hotkey": "5MinerA", "coldkey": "5ColdA", "permit": False, "stake": RAO // 2},
            {"hotkey": "5MinerB", "coldkey": "5ColdB", "permit": False, "stake": 0},
        ]
        for i, n in enumerate(self.neurons):
            n.update(registered=10 * i, axon=None, last_update=0)
        self.neurons[1]["axon"] = {"ip": 0x7F000001, "port": 8091, "ip_type": 4}
        self.neurons[2]["axon"] = {"ip": 1, "port": 9000, "ip_type": 6}  # ::1
        self.weights: dict[int, list[tuple[int, int]]] = {}
        self.commitments: dict[str, dict[str, Any]] = {}
        self.fail_next_submit: SdkChainError | None = None
        self.version_key = 0
        self.commit_reveal = False
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.crash_compose: Exception | None = None
        self.fail_reads: Exception | None = None
        self.closed = 0
        self.submitted: list[str] = []

    # lifecycle and chain metadata
    def balance(self, rao: int, netuid: int = 0) -> bt.Balance:
        return bt.Balance.from_rao(rao, netuid)

    async def connect(self) -> None: ...

    async def close(self) -> None:
        self.closed += 1

    async def block_number(self) -> int:
        self._maybe_fail()
        return self.head

    async def block_hash(self, block: int | None = None) -> str:
        return f"0x{block or self.head:064x}"

    async def block_time(self) -> float:
        return 12.0

    def _maybe_fail(self) -> None:
        if self.fail_reads is not None:
            raise self.fail_reads

    def _uid(self, hotkey: str) -> int | None:
        for uid, n in enumerate(self.neurons):
            if n["hotkey"] == hotkey:
                return uid
        return None

    # reads
    async def query(self, module: str, item: str, params: list | None = None, block_hash=None):
        self._maybe_fail()
        params = params or []
        values: dict[str, Any] = {
            "Uids": lambda: self._uid(params[1]),
            "CommitRevealWeightsEnabled": lambda: self.commit_reveal,
            "WeightsVersionKey": lambda: self.version_key,
            "Tempo": lambda: 360,
            "RevealPeriodEpochs": lambda: 1,
            "WeightsSetRateLimit": lambda: self.rate_limit,
            "LastUpdate": lambda: [n["last_update"] for n in self.neurons],
            "MinAllowedWeights": lambda: 0,
            "MaxWeightsLimit": lambda: 65535,
            "SubnetEpochConsensus": lambda: None,
            "ValidatorPermit": lambda: [n["permit"] for n in self.neurons],
            "Weights": lambda: self.weights.get(params[1], []),
            # Timestamp.Now in ms at the block whose hash is asked for (12 s blocks).
            "Now": lambda: 1_700_000_000_000 + int(block_hash or "0x0", 16) * 12_000,
        }
        return values[item]() if item in values else None

    async def query_map(self, module: str, item: str, params: list | None = None, block_hash=None):
        self._maybe_fail()
        if item == "CommitmentOf":
            return list(self.commitments.items())
        if item == "Uids":
            return [(n["hotkey"], uid) for uid, n in enumerate(self.neurons)]
        return []

    async def query_batch(self, module, item, param_sets, block_hash=None):
        return [await self.query(module, item, p) for p in param_sets]

    async def runtime_call(self, api: str, method: str, params: list, block_hash=None):
        self._maybe_fail()
        assert (api, method, params) == ("SubnetInfoRuntimeApi", "get_metagraph", [NETUID])
        ns = self.neurons
        return {
            "hotkeys": [n["hotkey"] for n in ns],
            "coldkeys": [n["coldkey"] for n in ns],
            "validator_permit": [n["permit"] for n in ns],
            "total_stake": [n["stake"] for n in ns],
            "axons": [n["axon"] for n in ns],
            "last_update": [n["last_update"] for n in ns],
            "block_at_registration": [n["registered"] for n in ns],
            "block": self.head,
            "tempo": 360,
            "last_step": 0,
            "blocks_since_last_step": 1,
            "owner_hotkey": self.owner,
            "owner_coldkey": "5OwnerCold",
            "network_registered_at": 1,
        }

    # writes
    async def compose(self, call: Any) -> Any:
        if self.crash_compose is not None:
            raise self.crash_compose
        return call

    async def estimate_fee(self, call: Any, keypair: Any) -> bt.Balance:
        return bt.Balance.from_rao(0)

    async def submit(self, call: Any, keypair: Any, **_: Any) -> ExtrinsicResult:
        self.submitted.append(call.function)
        self.calls.append((call.function, dict(call.params)))
        if self.fail_next_submit is not None:
            error, self.fail_next_submit = self.fail_next_submit, None
            return ExtrinsicResult(success=False, message=error.message, error=error)
        uid = self._uid(keypair.ss58_address)
        assert uid is not None
        p = call.params
        if call.function == "set_mechanism_weights":
            self.weights[uid] = list(zip(p["dests"], p["weights"], strict=True))
            self.neurons[uid]["last_update"] = self.head
        elif call.function == "commit_timelocked_mechanism_weights":
            pass  # stored as a commit; the chain reveals it at the drand round
        elif call.function == "serve_axon":
            self.neurons[uid]["axon"] = {"ip": p["ip"], "port": p["port"], "ip_type": p["ip_type"]}
        elif call.function == "set_commitment":
            record = {"block": self.head, "deposit": 0, "info": p["info"]}
            self.commitments[keypair.ss58_address] = record
        else:
            raise AssertionError(call.function)
        return ExtrinsicResult(success=True, message="included", extrinsic_id=f"{self.head}-3")


@pytest.fixture(scope="module")
def wallet(tmp_path_factory: pytest.TempPathFactory) -> bt.Wallet:
    path: Path = tmp_path_factory.mktemp("wallets")
    w = bt.Wallet("validator", "default", path=str(path))
    w.create_new_coldkey(use_password=False, suppress=True)
    w.create_new_hotkey(use_password=False, suppress=True)
    return w


@pytest.fixture
def node(wallet: bt.Wallet) -> FakeSubstrate:
    return FakeSubstrate(wallet.hotkey.ss58_address)


async def test_metagraph_maps_stakes_endpoints_permits_and_owner(
    node: FakeSubstrate, wallet: bt.Wallet
) -> None:
    chain = BittensorChain("local", NETUID, substrate=node)
    graph = await chain.metagraph()
    assert (graph.netuid, graph.block, graph.owner_hotkey) == (NETUID, 1000, "5Owner")
    v, a, b = graph.neurons
    assert (v.uid, v.hotkey, v.coldkey) == (0, wallet.hotkey.ss58_address, "5ColdV")
    assert v.validator_permit and v.stake == 900.0 and v.endpoint is None
    assert (a.stake, a.endpoint, a.registered_block) == (
        0.5,
        Endpoint(host="127.0.0.1", port=8091),
        10,
    )
    assert not a.validator_permit
    assert b.endpoint == Endpoint(host="::1", port=9000) and b.registered_block == 20
    assert await chain.block() == 1000
    await chain.close()
    await chain.close()
    assert node.closed == 1


async def test_set_weights_runs_the_sdk_preflight_and_checks_the_result(
    node: FakeSubstrate, wallet: bt.Wallet
) -> None:
    chain = BittensorChain("local", NETUID, substrate=node)
    result = await chain.set_weights(wallet, {1: 1.0, 2: 3.0})
    assert result.success and result.block == 1000
    assert node.weights[0] == [(1, 21845), (2, 65535)]  # the SDK's u16 quantisation
    weights = await chain.weights_of(wallet.hotkey.ss58_address)
    assert weights == pytest.approx({1: 0.25, 2: 0.75}, abs=1e-4)
    assert await chain.weights_rate_limit() == 100

    node.head += 40  # inside the rate limit: the SDK's preflight refuses before signing
    refused = await chain.set_weights(wallet, {1: 1.0})
    assert (refused.success, refused.code) == (False, "rate_limited")
    assert "40 blocks ago" in refused.message
    assert node.submitted == ["set_mechanism_weights"]
    assert await chain.blocks_since_last_update(0) == 40

    node.head += 60  # since == limit: allowed; the chain then reports a dispatch failure
    node.fail_next_submit = SdkChainError(
        "weight vec length mismatch", name="WeightVecNotEqualSize"
    )
    failed = await chain.set_weights(wallet, {1: 1.0})
    assert not failed.success and "mismatch" in failed.message  # never taken as success
    assert node.weights[0] == [(1, 21845), (2, 65535)]

    zero = await chain.set_weights(wallet, {1: 0.0})
    assert (zero.success, zero.code) == (False, "invalid_weights")
    assert (await chain.set_weights(wallet, {2: 1.0})).success
    assert await chain.weights_of(wallet.hotkey.ss58_address) == {2: 1.0}
    await chain.close()


async def test_an_unregistered_hotkey_is_refused(node: FakeSubstrate, wallet: bt.Wallet) -> None:
    node.neurons[0]["hotkey"] = "5SomeoneElse"
    chain = BittensorChain("local", NETUID, substrate=node)
    result = await chain.set_weights(wallet, {1: 1.0})
    assert (result.success, result.code) == (False, "not_registered")
    assert node.submitted == []
    assert await chain.weights_of(wallet.hotkey.ss58_address) == {}
    with pytest.raises(ChainError, match="bt.Wallet") as err:
        await chain.set_weights(wallet.hotkey.ss58_address, {1: 1.0})  # a string cannot sign
    assert err.value.code == "invalid_wallet"
    await chain.close()


async def test_weights_carry_the_subnets_version_key(
    node: FakeSubstrate, wallet: bt.Wallet
) -> None:
    # Attack on the old adapter: version_key 0 is refused forever by a subnet whose key is > 0.
    node.version_key = 4021
    chain = BittensorChain("local", NETUID, substrate=node)
    assert (await chain.set_weights(wallet, {1: 1.0})).success
    function, params = node.calls[-1]
    assert function == "set_mechanism_weights" and params["version_key"] == 4021
    await chain.close()


async def test_commit_reveal_is_reported_as_a_commit_with_its_round(
    node: FakeSubstrate, wallet: bt.Wallet
) -> None:
    node.commit_reveal = True
    chain = BittensorChain("local", NETUID, substrate=node)
    result = await chain.set_weights(wallet, {1: 1.0, 2: 1.0})
    assert result.success and result.reveal_round is not None and result.reveal_round > 0
    assert "revealed at drand round" in result.message
    assert node.submitted == ["commit_timelocked_mechanism_weights"]
    assert node.weights == {}  # nothing set yet: the chain reveals it later
    await chain.close()


async def test_any_failure_inside_set_weights_is_a_chain_error(
    node: FakeSubstrate, wallet: bt.Wallet
) -> None:
    # Attack on the old adapter: a non-SDK exception escaped and killed the validator loop.
    chain = BittensorChain("local", NETUID, substrate=node)
    node.crash_compose = KeyError("metadata has no call set_mechanism_weights")
    with pytest.raises(ChainError) as err:
        await chain.set_weights(wallet, {1: 1.0})
    assert err.value.code == "rejected" and "KeyError" in str(err.value)
    await chain.close()


async def test_a_serving_rate_limit_has_its_own_code(
    node: FakeSubstrate, wallet: bt.Wallet
) -> None:
    chain = BittensorChain("local", NETUID, substrate=node)
    # The pallet's error name; the SDK maps it to its RATE_LIMITED code.
    node.fail_next_submit = SdkChainError("serving too fast", name="ServingRateLimitExceeded")
    with pytest.raises(ChainError) as err:
        await chain.serve_endpoint(wallet, "10.1.2.3", 8444)
    assert err.value.code == "rate_limited"
    await chain.close()


async def test_endpoint_and_commitment_round_trip(node: FakeSubstrate, wallet: bt.Wallet) -> None:
    chain = BittensorChain("local", NETUID, substrate=node)
    await chain.serve_endpoint(wallet, "10.1.2.3", 8443)
    assert (await chain.metagraph()).neurons[0].endpoint == Endpoint(host="10.1.2.3", port=8443)
    await chain.commit(wallet, "pack:" + "ab" * 20)
    got = await chain.commitments()
    assert got[wallet.hotkey.ss58_address].value == "pack:" + "ab" * 20
    assert got[wallet.hotkey.ss58_address].block == 1000
    # The block's time is the chain's Timestamp.Now at that block, not block * 12 s.
    assert got[wallet.hotkey.ss58_address].committed_at == 1_700_000_000 + 1000 * 12
    # A claim longer than one Raw field goes as several <= 128-byte fields, read back whole.
    claim = encode_claim(
        PackClaim(
            repo_url="https://github.com/" + "o" * 39 + "/" + "r" * 60,
            git_commit_hash="c" * 40,
            pack_hash="d" * 64,
        )
    )
    assert len(claim) > 128
    await chain.commit(wallet, claim)
    fields = node.commitments[wallet.hotkey.ss58_address]["info"]["fields"]
    assert len(fields) == 2 and all(
        len(bytes.fromhex(next(iter(f.values()))[2:])) <= 128 for f in fields
    )
    assert decode_claim((await chain.commitment_history())[0].value) == decode_claim(claim)
    assert await chain.block_hash(999) == f"0x{999:064x}"
    with pytest.raises(ChainError) as future:
        await chain.block_hash(1001)
    assert future.value.code == "not_found"
    with pytest.raises(ValueError, match="3 Raw fields"):
        await chain.commit(wallet, "x" * 385)
    with pytest.raises(ValueError, match="not an IP"):
        await chain.serve_endpoint(wallet, "example.com", 80)
    node.fail_next_submit = SdkChainError("serving too fast", name="ServingRateLimitExceeded")
    with pytest.raises(ChainError, match="serving too fast"):
        await chain.serve_endpoint(wallet, "10.1.2.3", 8444)
    await chain.close()


async def test_sdk_failures_become_chain_errors(node: FakeSubstrate) -> None:
    chain = BittensorChain("local", NETUID, substrate=node)
    await chain.connect()
    node.fail_reads = RpcConnectionError("all endpoints failed")
    for call in (chain.block(), chain.metagraph(), chain.commitments(), chain.weights_rate_limit()):
        with pytest.raises(ChainError) as err:
            await call
        assert err.value.code == "unreachable"
    node.fail_reads = None
    with pytest.raises(ChainError) as missing:
        await chain.blocks_since_last_update(99)
    assert missing.value.code == "not_found"
    await chain.close()
    with pytest.raises(ChainError) as closed:
        await chain.block()
    assert closed.value.code == "closed"


async def test_no_node_means_a_chain_error_quickly() -> None:
    chain = BittensorChain("ws://127.0.0.1:9", NETUID, timeout_s=5.0)  # nothing listens there
    with pytest.raises(ChainError) as err:
        await chain.connect()
    assert err.value.code in {"unreachable", "timeout", "rejected"}
    await chain.close()
