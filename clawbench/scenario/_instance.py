"""A loaded scenario, and one seeded instance of it (what an episode actually runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clawbench.scenario._model import ScenarioSpec
from clawbench.scenario._truth import GroundTruth


class Scenario(BaseModel):
    """A scenario as loaded from disk, before seeded variation.

    ``fixtures`` maps a path relative to ``fixtures/<name>/`` to its text. ``content_hash``
    covers the YAML and every fixture byte, so any change to either invalidates caches.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    spec: ScenarioSpec
    source: Path
    fixtures: dict[str, str] = Field(default_factory=dict)
    content_hash: str
    public: bool = False  # loaded through the tolerant public path

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version or "public"


class ScenarioInstance(BaseModel):
    """One seeded instance: placeholders substituted everywhere (regex-escaped in patterns).

    ``fixtures``: fixture path -> rendered text (inbox.json, memory/*.md, ...).
    ``workspace``: workspace destination (e.g. USER.md) -> rendered text, which the agent's
    system prompt includes after the pack's files.
    ``real_workspace``: real-shell scenarios only: relative path -> file text.
    ``truth``: generated scenarios only: the facts the seed chose (see ``GroundTruth``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: ScenarioSpec
    seed: int
    variables: dict[str, str] = Field(default_factory=dict)
    content_hash: str
    fixtures: dict[str, str] = Field(default_factory=dict)
    workspace: dict[str, str] = Field(default_factory=dict)
    real_workspace: dict[str, str] = Field(default_factory=dict)
    # Generated scenarios: the seed's answers and their rivals (None for static scenarios).
    truth: GroundTruth | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def is_public(self) -> bool:
        """A public-format scenario (no ``version``): scored exactly as the public scorer."""
        return self.spec.version is None

    @property
    def version(self) -> str:
        return self.spec.version or "public"

    def world_input(self) -> dict[str, Any]:
        """Plain JSON data the world engine is built from (also what the docker sandbox
        receives over stdin): nothing here may be a secret or a host path."""
        return {
            "scenario": self.spec.name,
            "seed": self.seed,
            "tools": list(self.spec.tools),
            "fixtures": dict(self.fixtures),
            "workspace": dict(self.workspace),
        }
