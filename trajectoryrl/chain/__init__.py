"""Chain access behind a small interface (bittensor v11, or an embedded local chain).

``Chain`` is the protocol the node codes against. ``LocalChain`` is an embedded chain in one
SQLite file shared by local processes (localnets and tests); ``BittensorChain`` is the adapter
over bittensor>=11.3,<12. Each module's docstring says what its backend guarantees.
"""

from trajectoryrl.chain._bittensor import BittensorChain
from trajectoryrl.chain._local import LocalChain
from trajectoryrl.chain._types import (
    Chain,
    ChainError,
    Commitment,
    Endpoint,
    Metagraph,
    Neuron,
    WeightsResult,
)

__all__ = [
    "BittensorChain",
    "Chain",
    "ChainError",
    "Commitment",
    "Endpoint",
    "LocalChain",
    "Metagraph",
    "Neuron",
    "WeightsResult",
]
