"""TrajectoryRL node: validator and miner for the policy-pack subnet.

Uses ClawBench only through its public API (``clawbench.*`` packages' ``__init__``).
"""

NODE_VERSION = "0.1.0"

__all__ = ["NODE_VERSION"]
