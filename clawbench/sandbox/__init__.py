"""Sandboxes: where the world runs for an episode (in process, or in a locked container)."""

from clawbench.sandbox._base import Sandbox, SandboxSession, SandboxTerminated
from clawbench.sandbox._local import LocalSandbox

__all__ = ["LocalSandbox", "Sandbox", "SandboxSession", "SandboxTerminated"]
