"""A public scenario's policy variants (AGENTS.md.baseline, ...) as ready-made packs."""

from __future__ import annotations

from pydantic import ValidationError

from clawbench.errors import ScenarioError
from clawbench.pack import PackMetadata, PolicyBundle
from clawbench.scenario._instance import Scenario

VARIANT_PACK_VERSION = "1.0.0"


def variant_pack(scenario: Scenario, variant: str) -> PolicyBundle:
    """The file ``variants[variant]`` as a pack's AGENTS.md, named ``<scenario>-<variant>``,
    so the public baseline/optimized policies can be run and compared like any pack."""
    variants = scenario.spec.variants
    if variant not in variants:
        known = ", ".join(sorted(variants)) or "none"
        raise ScenarioError(
            f"{scenario.source}: no variant {variant!r} (available: {known})",
            code="variant_not_found",
        )
    file = variants[variant]
    if file not in scenario.fixtures:
        raise ScenarioError(
            f"{scenario.source}: variants.{variant}: file {file!r} is not in the fixtures",
            code="variant_not_found",
        )
    try:
        metadata = PackMetadata(
            pack_name=f"{scenario.name}-{variant}", pack_version=VARIANT_PACK_VERSION
        )
        return PolicyBundle(files={"AGENTS.md": scenario.fixtures[file]}, metadata=metadata)
    except ValidationError as exc:
        raise ScenarioError(f"{scenario.source}: variants.{variant}: {exc}") from exc
