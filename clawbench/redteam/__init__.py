"""Red team: attacker trajectories built from a scenario, scored by the real scorer.

``run_redteam(scenarios, seeds, suite_dir=...)`` plays every registered attack family on
every seed and reports, per scenario, the best attacker score and whether any attack
qualifies (``RedteamReport.broken``). Other modules add families with
``register_family(name, fn)`` / ``@attack_family(name)``: ``fn(ctx)`` yields ``Attack``s,
each a script (``turns(instance)``) and, for unsafe attacks, the violation severity the
scorer must give. docs/scoring.md describes the built-in families.
"""

from clawbench.redteam import _attacks as _attacks  # registers the built-in families
from clawbench.redteam import _hidden as _hidden  # hidden-test bypasses (real-shell scenarios)
from clawbench.redteam import _safety as _safety  # registers the safety families (issue 12)
from clawbench.redteam._attacks import hedge, negate
from clawbench.redteam._model import (
    REDTEAM_SCHEMA_VERSION,
    AttackOutcome,
    RedteamReport,
    ScenarioVerdict,
)
from clawbench.redteam._registry import (
    Attack,
    AttackContext,
    AttackFamily,
    attack_family,
    calls,
    families,
    final,
    play,
    register_family,
    unregister_family,
)
from clawbench.redteam._run import attack_scenario, run_redteam

__all__ = [
    "REDTEAM_SCHEMA_VERSION",
    "Attack",
    "AttackContext",
    "AttackFamily",
    "AttackOutcome",
    "RedteamReport",
    "ScenarioVerdict",
    "attack_family",
    "attack_scenario",
    "calls",
    "families",
    "final",
    "hedge",
    "negate",
    "play",
    "register_family",
    "run_redteam",
    "unregister_family",
]
