"""The agent's system prompt."""

from __future__ import annotations

from clawbench.pack import PolicyBundle
from clawbench.scenario import ScenarioInstance


def build_system_prompt(pack: PolicyBundle, instance: ScenarioInstance) -> str:
    """The pack's files in ``SYSTEM_PROMPT_FILE_ORDER`` (AGENTS.md, SOUL.md, IDENTITY.md,
    TOOLS.md, USER.md, MEMORY.md, HEARTBEAT.md, then any other file by name), then the
    scenario's rendered workspace files in the order the scenario declares them, each as::

        ## <filename>

        <text>

    sections separated by one blank line. A name present in both appears twice (pack first):
    the pack's copy is the miner's, the workspace's is the scenario's user context."""
    sections = [*pack.system_prompt_files(), *instance.workspace.items()]
    return "\n\n".join(f"## {name}\n\n{text.rstrip()}" for name, text in sections)
