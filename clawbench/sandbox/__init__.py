"""Sandboxes: where the world runs for an episode (in process, or in a locked container).

``LocalSandbox`` runs the world in this process (researchers, fast tests); ``DockerSandbox``
runs it in one locked container per episode (validators). Both implement ``Sandbox``.
"""

from clawbench.sandbox._base import HiddenRequest, Sandbox, SandboxSession, SandboxTerminated
from clawbench.sandbox._docker import DockerSandbox, build_sandbox_image, default_image
from clawbench.sandbox._local import LocalSandbox

__all__ = [
    "DockerSandbox",
    "HiddenRequest",
    "LocalSandbox",
    "Sandbox",
    "SandboxSession",
    "SandboxTerminated",
    "build_sandbox_image",
    "default_image",
]
