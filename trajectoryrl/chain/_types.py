"""The chain interface the node needs, independent of the backend."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class Endpoint(BaseModel):
    model_config = ConfigDict(frozen=True)
    host: str
    port: int


class Neuron(BaseModel):
    model_config = ConfigDict(frozen=True)
    uid: int
    hotkey: str
    coldkey: str = ""
    validator_permit: bool = False
    stake: float = 0.0
    endpoint: Endpoint | None = None
    registered_block: int = 0  # block at which this hotkey took this UID (re-registration resets)


class Metagraph(BaseModel):
    model_config = ConfigDict(frozen=True)
    netuid: int
    block: int
    neurons: list[Neuron] = Field(default_factory=list)
    owner_hotkey: str | None = None  # subnet owner: the burn target when nobody qualifies

    def by_hotkey(self) -> dict[str, Neuron]:
        return {n.hotkey: n for n in self.neurons}

    def by_uid(self) -> dict[int, Neuron]:
        return {n.uid: n for n in self.neurons}


class Commitment(BaseModel):
    model_config = ConfigDict(frozen=True)
    hotkey: str
    value: str
    block: int
    committed_at: float | None = None  # the chain's timestamp of ``block`` (unix s) when known


class WeightsResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    success: bool
    message: str = ""
    block: int | None = None
    # Why a set was refused: "rate_limited", "not_registered", "no_permit", "invalid_weights",
    # "injected" (test seam), "rejected" (any other chain refusal); "" on success.
    code: str = ""
    # Commit-reveal subnets: the weights were committed (timelocked) and the chain reveals them
    # at this drand round; until then they do not count. None: set in plaintext.
    reveal_round: int | None = None


class ChainError(Exception):
    """The chain could not answer (validator-side: never a miner's fault).

    ``code`` names the reason ("unreachable", "timeout", "not_registered", "not_found",
    "rejected", ...); the default keeps ``ChainError("message")`` working as before.
    """

    def __init__(self, message: str, code: str = "chain_error") -> None:
        super().__init__(message)
        self.code = code


class Chain(Protocol):
    """Async chain access. Implementations: LocalChain (SQLite), BittensorChain (v11)."""

    netuid: int

    async def block(self) -> int: ...

    async def metagraph(self) -> Metagraph: ...

    async def commitments(self) -> dict[str, Commitment]: ...

    async def commitment_history(self) -> list[Commitment]:
        """Every commitment the chain can show, oldest first (a node keeps only the latest per
        hotkey; the embedded chain keeps all). Each has ``committed_at``."""
        ...

    async def block_hash(self, block: int) -> str:
        """The hash of block ``block`` (ChainError "not_found" for a future block)."""
        ...

    async def set_weights(
        self, hotkey_wallet: object, weights: dict[int, float]
    ) -> WeightsResult: ...

    async def weights_rate_limit(self) -> int: ...

    async def blocks_since_last_update(self, uid: int) -> int: ...

    async def serve_endpoint(self, hotkey_wallet: object, host: str, port: int) -> None: ...

    async def commit(self, hotkey_wallet: object, value: str) -> None: ...

    async def close(self) -> None: ...
