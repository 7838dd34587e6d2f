"""Scripted models for the validator: the pipeline without an LLM (localnet, tests, benchmarks).

A scripted model replays a fixed trajectory, so its score says nothing about the pack's
quality with a real model; ``choose`` decides which script a pack "plays" (by default the
scenario's reference trajectory for every pack).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clawbench.agent import ModelClient, Script, ScriptedModel, load_script
from clawbench.pack import PolicyBundle
from clawbench.scenario import ScenarioInstance


class ScriptedModels:
    """``model_factory`` for the evaluator: ``<scripts_dir>/<scenario>/<choose(pack)>.yaml``."""

    def __init__(
        self,
        scripts_dir: str | Path,
        *,
        choose: Callable[[PolicyBundle], str] = lambda pack: "reference",
        latency_s: float = 0.0,
    ) -> None:
        self.scripts_dir = Path(scripts_dir)
        self.choose = choose
        self.latency_s = latency_s
        self._cache: dict[Path, Script] = {}
        self.calls = 0  # episodes started (tests and benchmarks read it)

    @property
    def model_id(self) -> str:
        return f"scripted:{self.scripts_dir.name}"

    def script(self, scenario: str, name: str) -> Script:
        """``<scripts_dir>/<scenario>/<name>.yaml``, parsed once per factory."""
        path = self.scripts_dir / scenario / f"{name}.yaml"
        script = self._cache.get(path)
        if script is None:
            script = self._cache[path] = load_script(path)
        return script

    def __call__(self, instance: ScenarioInstance, pack: PolicyBundle) -> ModelClient:
        name = self.choose(pack)
        script = self.script(instance.name, name)
        self.calls += 1
        return ScriptedModel(
            script, instance.variables, name=f"scripted-{name}", latency_s=self.latency_s
        )
