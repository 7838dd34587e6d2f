"""Chain access behind a small interface (bittensor v11, or an embedded local chain)."""

from trajectoryrl.chain._types import (
    Chain,
    ChainError,
    Commitment,
    Endpoint,
    Metagraph,
    Neuron,
    WeightsResult,
)

__all__ = ["Chain", "ChainError", "Commitment", "Endpoint", "Metagraph", "Neuron", "WeightsResult"]
