"""ClawBench: a deterministic harness that scores AI-agent policy packs on tool-use scenarios.

Usable on its own (researchers); the TrajectoryRL node uses it only through these
sub-packages' public APIs: ``scenario``, ``world``, ``pack``, ``agent``, ``trajectory``,
``scoring``, ``sandbox``, ``report``.
"""

HARNESS_VERSION = "0.1.0"

__all__ = ["HARNESS_VERSION"]
