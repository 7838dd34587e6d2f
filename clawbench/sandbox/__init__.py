"""Sandboxes: where the world runs for an episode (in process, or in a locked container)."""

from clawbench.sandbox._base import Sandbox, SandboxSession, SandboxTerminated

__all__ = ["Sandbox", "SandboxSession", "SandboxTerminated"]
