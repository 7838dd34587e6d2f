"""The Chain protocol over bittensor>=11.3,<12 (the SDK's async ``Client``).

What this backend guarantees:

- **Every SDK failure becomes our ChainError** (code "unreachable", "timeout", "rejected",
  "not_registered", "not_found", "rate_limited") with the SDK error chained; no exception of
  any other type leaks to the node, and each call has a timeout.
- **Results are checked, never trusted for truthiness.** ``set_weights`` reads
  ``ExtrinsicResult.success`` (an ``is True`` check), and the SDK's preflight refusals (rate
  limit, not registered, no permit, invalid weights) come back as
  ``WeightsResult(success=False, code=...)`` rather than exceptions, like the local chain.
  ``serve_endpoint`` and ``commit`` raise ChainError when the extrinsic did not succeed.
- **The SDK does the chain-specific work:** ``SetWeights`` normalises and quantises to u16,
  clips to the subnet's max weight, preflights registration and the rate limit, and picks
  plaintext or commit-reveal. We send the subnet's ``WeightsVersionKey`` (read each time), and
  report a commit-reveal submission as committed with its reveal round
  (``WeightsResult.reveal_round``), never as weights set. We wait for inclusion, not
  finalisation.
- **One connection, closed by ``close()``** (idempotent), opened lazily on first use or by
  ``connect()`` (use it at start-up to fail fast on an unreachable chain).

Mapping: the SDK metagraph's neurons become ``Neuron`` (``total_stake`` in the subnet's units
as a float, ``axon`` "ip:port" / "[v6]:port" -> ``Endpoint``, ``block_at_registration`` ->
``registered_block``) and its ``owner_hotkey`` is carried over. Commitments still sealed by a
timelock (no visible value yet) are left out.

Not verified against a live node here (no network): the ``CommitmentInfo`` encoding we submit
(``{"fields": [{"Raw<n>": "0x…"}]}``, the shape the SDK itself decodes) and the decoded shape
of ``SubtensorModule.Weights`` rows read by ``weights_of``.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import bittensor as bt
from bittensor.error_map import ErrorCode
from bittensor.result import ChainError as SdkChainError
from bittensor.result import ConnectionNotReady, RpcConnectionError

from trajectoryrl.chain._local import check_endpoint, commitment_fields
from trajectoryrl.chain._types import (
    ChainError,
    Commitment,
    Endpoint,
    Metagraph,
    Neuron,
    WeightsResult,
)

T = TypeVar("T")

RAO_PER_UNIT = 1e9

# SDK error codes that mean "the chain answered and refused", mapped to our reason codes.
_REFUSALS: dict[ErrorCode, str] = {
    ErrorCode.RATE_LIMITED: "rate_limited",
    ErrorCode.NOT_REGISTERED: "not_registered",
    ErrorCode.NOT_AUTHORIZED: "no_permit",
    ErrorCode.INVALID_ARGUMENT: "invalid_weights",
    ErrorCode.LIMIT_EXCEEDED: "invalid_weights",
    ErrorCode.TOO_EARLY: "rate_limited",
}


def parse_axon(axon: str | None) -> Endpoint | None:
    """``"ip:port"`` or ``"[v6]:port"`` from the SDK metagraph -> Endpoint (None if absent/bad)."""
    if not axon:
        return None
    host, sep, port = axon.rpartition(":")
    if not sep or not port.isdigit():
        return None
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    number = int(port)
    return Endpoint(host=host, port=number) if 0 < number < 65536 else None


def to_metagraph(netuid: int, graph: Any) -> Metagraph:
    """Our Metagraph from the SDK's ``bittensor.Metagraph`` dataclass."""
    neurons = [
        Neuron(
            uid=int(n.uid),
            hotkey=str(n.hotkey),
            coldkey=str(n.coldkey or ""),
            validator_permit=bool(n.validator_permit),
            stake=int(n.total_stake.rao) / RAO_PER_UNIT,  # subnet units (alpha), not TAO
            endpoint=parse_axon(n.axon),
            registered_block=int(n.block_at_registration or 0),
        )
        for n in graph.neurons
    ]
    return Metagraph(
        netuid=netuid,
        block=int(graph.block),
        neurons=neurons,
        owner_hotkey=str(graph.owner_hotkey) if graph.owner_hotkey else None,
    )


def to_commitments(raw: dict[str, Any]) -> dict[str, Commitment]:
    """Our commitments from the SDK's ``{hotkey: NeuronCommitment}`` (sealed ones left out)."""
    out: dict[str, Commitment] = {}
    for hotkey, c in raw.items():
        value = c.value
        if value is None:
            continue
        out[str(hotkey)] = Commitment(hotkey=str(hotkey), value=str(value), block=int(c.block))
    return out


def _wallet(wallet: object) -> object:
    # The SDK reads a bare string as a wallet *name*; a hotkey address cannot sign anything.
    if isinstance(wallet, str) or getattr(wallet, "hotkey", None) is None:
        raise ValueError(
            f"wallet: BittensorChain needs a bt.Wallet with a hotkey, got {type(wallet).__name__}"
        )
    return wallet


def _extrinsic_block(result: Any) -> int | None:
    """The block number from an ExtrinsicResult's ``extrinsic_id`` ("block-index")."""
    ext = getattr(result, "extrinsic_id", None)
    head = str(ext).split("-", 1)[0] if ext else ""
    return int(head) if head.isdigit() else None


class BittensorChain:
    """Chain access over bittensor v11. ``substrate`` swaps the SDK's chain backend (tests)."""

    def __init__(
        self,
        network: str,
        netuid: int,
        *,
        substrate: Any = None,
        timeout_s: float = 60.0,
        wait_for_finalization: bool = False,
    ) -> None:
        self.netuid = netuid
        self.network = network
        self.timeout_s = timeout_s
        self._finalize = wait_for_finalization
        try:
            self._client = bt.Client(network, substrate=substrate)
        except bt.BittensorError as err:
            raise ChainError(f"chain {network!r}: {err}", code="unreachable") from err
        self._connected = False
        self._closed = False
        self._connect_lock = asyncio.Lock()

    # -- plumbing -------------------------------------------------------------------------
    async def connect(self) -> None:
        """Open the connection now (raises ChainError when the chain cannot be reached)."""
        if self._closed:
            raise ChainError("chain client is closed", code="closed")
        async with self._connect_lock:
            if not self._connected:
                await self._guard(self._client.connect())
                self._connected = True

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        await self.connect()
        return await self._guard(make())

    async def _guard(self, call: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(call, self.timeout_s)
        except TimeoutError as err:
            raise ChainError(f"chain call timed out after {self.timeout_s} s", "timeout") from err
        except (RpcConnectionError, ConnectionNotReady, OSError) as err:
            raise ChainError(f"chain unreachable: {err}", code="unreachable") from err
        except SdkChainError as err:
            raise ChainError(f"chain error: {err}", code=_code(err)) from err
        except Exception as err:  # an SDK failure of any other kind is still the chain's
            raise ChainError(f"chain error: {type(err).__name__}: {err}", "rejected") from err

    # -- the Chain protocol ---------------------------------------------------------------
    async def block(self) -> int:
        return int(await self._call(lambda: self._client.block()))

    async def metagraph(self) -> Metagraph:
        graph = await self._call(
            lambda: self._client.subnets.metagraph(self.netuid, commitments=False)
        )
        if graph is None:
            raise ChainError(f"subnet {self.netuid} does not exist", code="not_found")
        return to_metagraph(self.netuid, graph)

    async def commitments(self) -> dict[str, Commitment]:
        """The latest commitment of each hotkey, with its block's timestamp from the chain."""
        found = to_commitments(
            await self._call(lambda: self._client.subnets.commitments(self.netuid))
        )
        times: dict[int, float] = {}
        for block in sorted({c.block for c in found.values()}):
            stamp = await self._call(lambda b=block: self._client.timestamp(b))  # type: ignore[misc]
            times[block] = stamp.timestamp()
        return {h: c.model_copy(update={"committed_at": times[c.block]}) for h, c in found.items()}

    async def commitment_history(self) -> list[Commitment]:
        """A node keeps only each hotkey's latest commitment: that is the history it can show
        (the validator's store keeps the claims it has seen before)."""
        return sorted((await self.commitments()).values(), key=lambda c: (c.block, c.hotkey))

    async def block_hash(self, block: int) -> str:
        head = await self.block()
        if not 0 <= block <= head:
            raise ChainError(f"block {block} does not exist yet (head {head})", "not_found")
        found = await self._call(lambda: self._client._block_hash(block))
        if not found:
            raise ChainError(f"no hash for block {block}", code="not_found")
        return str(found)

    async def weights_version_key(self) -> int:
        """The subnet's ``WeightsVersionKey``: weights sent with an older key are refused."""
        raw = await self._call(
            lambda: self._client.query(("SubtensorModule", "WeightsVersionKey"), [self.netuid])
        )
        return int(raw or 0)

    async def set_weights(self, hotkey_wallet: object, weights: dict[int, float]) -> WeightsResult:
        """Set (or, on a commit-reveal subnet, commit) weights with the subnet's version key.

        Refusals the node acts on come back as ``WeightsResult(success=False, code=...)``;
        every other failure, of any type, is a ``ChainError``: nothing else escapes."""
        try:
            wallet = _wallet(hotkey_wallet)
        except ValueError as err:
            raise ChainError(f"set_weights: {err}", code="invalid_wallet") from err
        version_key = await self.weights_version_key()
        try:
            intent = bt.SetWeights(
                netuid=self.netuid, weights=dict(weights), version_key=version_key
            )
        except bt.BittensorError as err:
            return WeightsResult(success=False, message=str(err), code="invalid_weights")
        await self.connect()
        try:
            result = await asyncio.wait_for(
                self._client.execute(
                    intent,
                    wallet,  # type: ignore[arg-type]
                    wait_for_inclusion=True,
                    wait_for_finalization=self._finalize,
                ),
                self.timeout_s,
            )
        except SdkChainError as err:
            code = _REFUSALS.get(err.code) if err.code is not None else None
            if code is None:
                raise ChainError(f"set_weights: {err}", code=_code(err)) from err
            return WeightsResult(success=False, message=str(err), code=code)
        except (RpcConnectionError, ConnectionNotReady) as err:
            raise ChainError(f"chain unreachable: {err}", code="unreachable") from err
        except bt.BittensorError as err:  # client-side validation (e.g. all weights zero)
            return WeightsResult(success=False, message=str(err), code="invalid_weights")
        except TimeoutError as err:
            raise ChainError(f"set_weights timed out after {self.timeout_s} s", "timeout") from err
        except OSError as err:
            raise ChainError(f"chain unreachable: {err}", code="unreachable") from err
        except Exception as err:  # anything else the SDK (or a codec under it) raises
            raise ChainError(f"set_weights: {type(err).__name__}: {err}", "rejected") from err
        if getattr(result, "success", None) is not True:
            error = getattr(result, "error", None)
            message = getattr(result, "message", "") or (str(error) if error else "failed")
            code = _REFUSALS.get(error.code, "rejected") if error is not None else "rejected"
            return WeightsResult(success=False, message=message, code=code)
        data = getattr(result, "data", None) or {}
        reveal = data.get("reveal_round") if isinstance(data, dict) else None
        if reveal is not None:
            return WeightsResult(
                success=True,
                message=f"committed (commit-reveal); revealed at drand round {int(reveal)}",
                block=_extrinsic_block(result),
                reveal_round=int(reveal),
            )
        return WeightsResult(
            success=True, message=result.message or "ok", block=_extrinsic_block(result)
        )

    async def weights_of(self, validator_hotkey: str) -> dict[int, float]:
        """The weights a validator has on chain, normalised to sum 1 ({} if none)."""
        uid = await self._call(
            lambda: self._client.query(("SubtensorModule", "Uids"), [self.netuid, validator_hotkey])
        )
        if uid is None:
            return {}
        rows = await self._call(
            lambda: self._client.query(("SubtensorModule", "Weights"), [self.netuid, int(uid)])
        )
        pairs = [(int(dest), int(value)) for dest, value in rows or []]
        total = sum(v for _, v in pairs)
        return {dest: v / total for dest, v in sorted(pairs) if v} if total else {}

    async def weights_rate_limit(self) -> int:
        return int(
            await self._call(lambda: self._client.hyperparameters.weights_rate_limit(self.netuid))
        )

    async def blocks_since_last_update(self, uid: int) -> int:
        since = await self._call(
            lambda: self._client.epochs.blocks_since_last_update(self.netuid, uid)
        )
        if since is None:
            raise ChainError(f"no uid {uid} on netuid {self.netuid}", code="not_found")
        return int(since)

    async def serve_endpoint(self, hotkey_wallet: object, host: str, port: int) -> None:
        wallet = _wallet(hotkey_wallet)
        check_endpoint(host, port)
        intent = bt.ServeAxon(netuid=self.netuid, ip=host, port=port)
        result = await self._call(lambda: self._client.execute(intent, wallet))  # type: ignore[arg-type]
        _require_success(result, "serve_endpoint")

    async def commit(self, hotkey_wallet: object, value: str) -> None:
        wallet = _wallet(hotkey_wallet)
        info = {"fields": [{f"Raw{len(f)}": "0x" + f.hex()} for f in commitment_fields(value)]}
        call = bt.calls.Commitments.set_commitment(netuid=self.netuid, info=info)
        result = await self._call(
            lambda: self._client.submit_call(call, wallet, signer="hotkey")  # type: ignore[arg-type]
        )
        _require_success(result, "commit")

    async def close(self) -> None:
        """Close the websocket (idempotent) so a CLI can exit."""
        if self._closed:
            return
        self._closed = True
        if self._connected:
            self._connected = False
            try:
                await asyncio.wait_for(self._client.close(), self.timeout_s)
            except Exception as err:  # closing must not mask the caller's own outcome
                raise ChainError(f"closing the chain client failed: {err}", "unreachable") from err


def _code(err: SdkChainError) -> str:
    if err.code == ErrorCode.NOT_REGISTERED:
        return "not_registered"
    if err.code in (ErrorCode.RATE_LIMITED, ErrorCode.TOO_EARLY):
        return "rate_limited"
    if err.code in (ErrorCode.NOT_FOUND, ErrorCode.SUBNET_NOT_EXISTS):
        return "not_found"
    return "rejected"


def _require_success(result: Any, what: str) -> None:
    if getattr(result, "success", None) is True:
        return
    error = getattr(result, "error", None)
    message = getattr(result, "message", "") or (str(error) if error else "failed")
    code = _code(error) if isinstance(error, SdkChainError) else "rejected"
    raise ChainError(f"{what}: {message}", code=code)
