"""Attack families: functions that turn a scenario into attacker trajectories.

A family is ``fn(ctx: AttackContext) -> Iterable[Attack]``. Register one with
``register_family(name, fn)`` (or the ``@attack_family(name)`` decorator) from any module;
``run_redteam`` runs every registered family unless told which. Families see the scenario,
its instances on the seeds under attack, the reference script (the shipped honest
trajectory) and, for generated scenarios, each instance's ground truth.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from clawbench.agent import (
    Script,
    ScriptedModel,
    ScriptToolCall,
    ScriptTurn,
    load_script,
    render_script,
    run_episode,
)
from clawbench.errors import ClawBenchError
from clawbench.pack import PackMetadata, PolicyBundle, load_pack, pack_hash
from clawbench.redteam._model import Severity
from clawbench.sandbox import Sandbox
from clawbench.scenario import Scenario, ScenarioInstance, instantiate
from clawbench.trajectory import Trajectory

Turns = list[ScriptTurn]


@dataclass(frozen=True)
class Attack:
    """One attacker behaviour. ``turns(instance)`` is the exact script it plays on that
    instance (already rendered: no placeholders are substituted after it). ``pack``: the
    example pack to run it under (``baseline``/``optimized`` from the suite, or a bundle).
    ``expected_severity``: for unsafe attacks, the violation the scorer must give.
    ``must_fail``: ids of checks the attack must not pass (a hidden-test bypass must fail
    the held-out checks): one that passes is an escape."""

    family: str
    name: str
    turns: Callable[[ScenarioInstance], Turns]
    expected_severity: Severity | None = None
    pack: str | PolicyBundle | None = None
    must_fail: tuple[str, ...] = ()


class AttackContext:
    """What a family may build attacks from. Everything is computed lazily and cached."""

    def __init__(
        self,
        scenario: Scenario,
        seeds: list[int],
        *,
        suite_dir: Path | None,
        sandbox: Sandbox,
    ) -> None:
        self.scenario = scenario
        self.seeds = list(seeds)
        self.suite_dir = suite_dir
        self.sandbox = sandbox
        self._instances: dict[int, ScenarioInstance] = {}
        self._ref_runs: dict[int, Trajectory] = {}

    @property
    def name(self) -> str:
        return self.scenario.name

    def instance(self, seed: int) -> ScenarioInstance:
        if seed not in self._instances:
            self._instances[seed] = instantiate(self.scenario, seed)
        return self._instances[seed]

    def ground_truth(self, seed: int) -> Any | None:
        """The instance's ground truth when its scenario is a generator (else None)."""
        return getattr(self.instance(seed), "truth", None)

    # --- the reference (the shipped honest trajectory) ---------------------------------
    @property
    def reference(self) -> Script | None:
        if self.suite_dir is None:
            return None
        path = self.suite_dir / "scripts" / self.name / "reference.yaml"
        return _load_script(path) if path.is_file() else None

    def reference_for(self, seed: int) -> Script | None:
        """The reference script rendered with ``seed``'s names and values."""
        ref = self.reference
        return None if ref is None else render_script(ref, self.instance(seed).variables)

    def reference_reply(self, seed: int) -> str:
        ref = self.reference_for(seed)
        if ref is None:
            return ""
        finals = [t.content for t in ref.turns if t.content and not t.tool_calls]
        return finals[-1] if finals else ""

    def reference_calls(self, seed: int) -> list[ScriptToolCall]:
        ref = self.reference_for(seed)
        return [c for t in (ref.turns if ref else []) for c in t.tool_calls]

    def reference_run(self, seed: int) -> Trajectory | None:
        """The reference played on ``seed`` (to learn which of its calls change the world)."""
        ref = self.reference
        if ref is None:
            return None
        if seed not in self._ref_runs:
            self._ref_runs[seed] = play(self, self.instance(seed), ref.turns, self.pack(None))
        return self._ref_runs[seed]

    def reference_reads(self, seed: int) -> list[ScriptToolCall]:
        """The reference's calls that changed nothing in the world (its reads)."""
        run = self.reference_run(seed)
        calls = self.reference_calls(seed)
        if run is None:
            return []
        changed = {c.index for c in run.tool_calls if c.side_effects or c.refused}
        return [c for i, c in enumerate(calls) if i not in changed]

    def union_reply(self) -> str:
        """Every seed's reference reply, concatenated: the constant reply over the seed
        space (names and values of every seed under attack, deduplicated by line)."""
        lines: dict[str, None] = {}
        for s in self.seeds:
            for line in self.reference_reply(s).splitlines():
                lines.setdefault(line, None)
        return "\n".join(lines)

    # --- packs --------------------------------------------------------------------------
    def pack(self, which: str | PolicyBundle | None) -> PolicyBundle:
        if isinstance(which, PolicyBundle):
            return which
        name = which or (self.reference.pack if self.reference else None) or "optimized"
        if self.suite_dir is not None:
            d = self.suite_dir / "packs" / self.name / name
            if d.exists():
                return _load_pack(d)
        return _BARE_PACK


_BARE_PACK = PolicyBundle(
    files={"AGENTS.md": "You are a helpful assistant.\n"},
    metadata=PackMetadata(pack_name="redteam-bare", pack_version="1.0.0"),
)


@cache
def _load_script(path: Path) -> Script:
    return load_script(path)


@cache
def _load_pack(path: Path) -> PolicyBundle:
    return load_pack(path)


def play(
    ctx: AttackContext, instance: ScenarioInstance, turns: Turns, pack: PolicyBundle
) -> Trajectory:
    """Run ``turns`` on the instance through the real agent loop, world and sandbox."""
    turns = list(turns)
    if not turns or turns[-1].tool_calls:  # a script must end with a final answer
        turns.append(ScriptTurn(content=""))
    script = Script(turns=turns)
    model = ScriptedModel(script, variables={})
    return asyncio.run(run_episode(instance, pack, model, ctx.sandbox, pack_hash=pack_hash(pack)))


# --- the registry -----------------------------------------------------------------------
AttackFamily = Callable[[AttackContext], Iterable[Attack]]


# Which scenarios a family attacks: "mock" (mock-tool worlds), "real_shell" (a real
# workspace: the work is in the files, so a reference "read" may be the fix itself and a
# mock send has no world to land in), or "all".
ScenarioKind = Literal["mock", "real_shell", "all"]


@dataclass
class _Registry:
    families: dict[str, AttackFamily] = field(default_factory=dict)
    kinds: dict[str, ScenarioKind] = field(default_factory=dict)


_REGISTRY = _Registry()


def register_family(
    name: str, fn: AttackFamily, *, replace: bool = False, scenarios: ScenarioKind = "mock"
) -> None:
    """Add an attack family (``scenarios``: which kind it attacks, mock worlds by default).
    A second family of the same name is an error (two modules fighting over a name would
    silently drop attacks) unless ``replace``."""
    if name in _REGISTRY.families and not replace:
        raise ClawBenchError(f"attack family {name!r} is already registered", code="redteam")
    _REGISTRY.families[name] = fn
    _REGISTRY.kinds[name] = scenarios


def unregister_family(name: str) -> None:
    """Remove a family (tests that register a throw-away family clean up with this)."""
    _REGISTRY.families.pop(name, None)
    _REGISTRY.kinds.pop(name, None)


def attack_family(
    name: str, *, scenarios: ScenarioKind = "mock"
) -> Callable[[AttackFamily], AttackFamily]:
    def deco(fn: AttackFamily) -> AttackFamily:
        register_family(name, fn, scenarios=scenarios)
        return fn

    return deco


def applies(name: str, scenario: Scenario) -> bool:
    """Whether family ``name`` attacks this kind of scenario."""
    kind = _REGISTRY.kinds.get(name, "mock")
    real = scenario.spec.real_workspace is not None
    return kind == "all" or kind == ("real_shell" if real else "mock")


def families() -> dict[str, AttackFamily]:
    """Every registered family, by name (built-ins first, then in registration order)."""
    return dict(_REGISTRY.families)


def final(text: str) -> ScriptTurn:
    """A final-answer turn."""
    return ScriptTurn(content=text)


def calls(*cs: ScriptToolCall) -> ScriptTurn:
    return ScriptTurn(tool_calls=list(cs))
