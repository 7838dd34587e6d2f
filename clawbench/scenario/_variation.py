"""Seeded variation: draw entity values from pools and substitute ``{{NAME}}`` placeholders.

Draws come from sha256 of ``"{scenario}|{seed}|{pool}"`` through our own Fisher-Yates shuffle,
so an instance is the same on every machine and Python version (``random`` promises neither).
A value lands in a JSON fixture JSON-escaped and in a check or safety pattern regex-escaped,
so names like ``O'Brien "Bo"`` or ``Acme (EU) Ltd.`` never break a fixture or a regex.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from clawbench.errors import ScenarioError
from clawbench.scenario._draw import Draw, below, hash_ints
from clawbench.scenario._generator import generate, ground_truth, story_fixture_text
from clawbench.scenario._heldout import HELD_OUT
from clawbench.scenario._instance import Scenario, ScenarioInstance
from clawbench.scenario._model import (
    BoundFact,
    FactAnswer,
    HiddenValues,
    ScenarioSpec,
    UnknownCheck,
)
from clawbench.scenario._story import STORY_FILE
from clawbench.scenario._truth import Fact, GroundTruth

PLACEHOLDER = re.compile(r"\{\{(\w+(?:\.\w+)?)\}\}")
_ESCAPED_CHECK_FIELDS = ("pattern", "evidence", "to", "cc_allowed", "after")
_PLAIN_CHECK_FIELDS = ("command", "source", "after_source")

Escape = Callable[[str], str]


def _plain(value: str) -> str:
    return value


def _json_escape(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def permutation(scenario: str, seed: int, pool: str, size: int) -> list[int]:
    """Fisher-Yates over ``range(size)`` driven by sha256(f"{scenario}|{seed}|{pool}")."""
    stream = hash_ints(hashlib.sha256(f"{scenario}|{seed}|{pool}".encode()).digest())
    order = list(range(size))
    for i in range(size - 1, 0, -1):
        j = below(stream, i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def draw_entities(spec: ScenarioSpec, seed: int) -> dict[str, str]:
    """Placeholder -> value for every entity, plus ``NAME.field`` for mapping entries.
    Entities sharing a pool take successive slots of its permutation, in name order, so
    they are always distinct."""
    by_pool: dict[str, list[str]] = {}
    for entity, pool in sorted(spec.variation.entities.items()):
        by_pool.setdefault(pool, []).append(entity)
    variables: dict[str, str] = {}
    for pool, entities in sorted(by_pool.items()):
        entries = spec.variation.pools.get(pool)
        if entries is None or len(entries) < len(entities):
            have = 0 if entries is None else len(entries)
            raise ScenarioError(
                f"{spec.name}: pool {pool!r} holds {have} values for {len(entities)} entities"
            )
        order = permutation(spec.name, seed, pool, len(entries))
        for entity, slot in zip(entities, order, strict=False):
            variables.update(_entry_variables(entity, entries[slot]))
    return variables


def _entry_variables(entity: str, entry: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(entry, str):
        return {entity: entry}
    if "value" not in entry:
        raise ScenarioError(f"pool entry for {entity!r} has no 'value': {dict(entry)!r}")
    out = {entity: str(entry["value"])}
    out.update({f"{entity}.{field}": str(value) for field, value in entry.items()})
    return out


def substitute(text: str, variables: Mapping[str, str], escape: Escape = _plain) -> str:
    """Replace known ``{{NAME}}`` / ``{{NAME.field}}`` placeholders; unknown ones stay."""

    def repl(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        return match.group(0) if value is None else escape(value)

    return PLACEHOLDER.sub(repl, text)


def _render_file(path: str, text: str, variables: Mapping[str, str]) -> str:
    if not path.endswith(".json"):
        return substitute(text, variables)
    rendered = substitute(text, variables, _json_escape)
    if rendered != text:
        try:
            json.loads(rendered)
        except ValueError as exc:
            raise ScenarioError(
                f"fixture {path}: invalid JSON after substitution ({exc}); "
                "placeholders in JSON fixtures belong inside strings"
            ) from exc
    return rendered


def _render_spec(spec: ScenarioSpec, variables: Mapping[str, str], prompt: str) -> ScenarioSpec:
    checks: list[Any] = []
    for check in spec.scoring.checks:
        if isinstance(check, UnknownCheck):
            checks.append(check)
            continue
        update: dict[str, str] = {}
        for fields, escape in ((_ESCAPED_CHECK_FIELDS, re.escape), (_PLAIN_CHECK_FIELDS, _plain)):
            for field in fields:
                value = getattr(check, field, None)
                if isinstance(value, str):
                    update[field] = substitute(value, variables, escape)
        checks.append(check.model_copy(update=update))
    safety = spec.safety.model_copy(
        update={
            "confidential": [
                c.model_copy(
                    update={
                        "pattern": None
                        if c.pattern is None
                        else substitute(c.pattern, variables, re.escape),
                        "canary": None if c.canary is None else substitute(c.canary, variables),
                        "facts": [[substitute(t, variables) for t in f] for f in c.facts],
                    }
                )
                for c in spec.safety.confidential
            ],
            "forbidden_sources": [
                s.model_copy(update={"pattern": substitute(s.pattern, variables, re.escape)})
                for s in spec.safety.forbidden_sources
            ],
            "outward": spec.safety.outward.model_copy(
                update={
                    "untrusted_domains": [
                        substitute(d, variables) for d in spec.safety.outward.untrusted_domains
                    ]
                }
            ),
            # generated worlds shuffle ids: a protected ref may be a {{PLACEHOLDER}}
            "protected": [
                p.model_copy(update={"ref": substitute(p.ref, variables)})
                for p in spec.safety.protected
            ],
        }
    )
    scoring = spec.scoring.model_copy(update={"checks": checks})
    return spec.model_copy(update={"prompt": prompt, "scoring": scoring, "safety": safety})


def _bind(fact: Fact) -> BoundFact:
    return BoundFact(
        value=fact.value,
        pattern=fact.pattern,
        evidence=fact.evidence,
        source=fact.source,
        also=list(fact.also),
        rivals=[r.pattern for r in fact.rivals],
    )


def _bind_facts(spec: ScenarioSpec, truth: GroundTruth | None, source: str) -> ScenarioSpec:
    """Every ``fact_answer`` check gets this instance's fact (and recipient) from the truth."""
    checks: list[Any] = []
    for check in spec.scoring.checks:
        if isinstance(check, FactAnswer):
            if truth is None:
                raise ScenarioError(
                    f"{source}: check {check.id!r}: fact_answer needs a generated scenario "
                    "(no 'generator')"
                )
            try:
                update: dict[str, Any] = {"truth": _bind(truth.fact(check.fact))}
                if check.recipient_fact is not None:
                    update["recipient"] = _bind(truth.fact(check.recipient_fact))
            except KeyError as exc:
                raise ScenarioError(f"{source}: check {check.id!r}: {exc.args[0]}") from None
            check = check.model_copy(update=update)
        checks.append(check)
    return spec.model_copy(update={"scoring": spec.scoring.model_copy(update={"checks": checks})})


def _bind_held_out(spec: ScenarioSpec, seed: int, source: str) -> ScenarioSpec:
    """Every ``hidden_values`` check with ``held_out`` gets this seed's drawn cases (and their
    expected values) appended to its public ``cases``."""
    checks: list[Any] = []
    for check in spec.scoring.checks:
        if isinstance(check, HiddenValues) and check.held_out is not None:
            gen = HELD_OUT.get(check.held_out.generator)
            if gen is None:
                known = ", ".join(sorted(HELD_OUT))
                raise ScenarioError(
                    f"{source}: check {check.id!r}: unknown held-out generator "
                    f"{check.held_out.generator!r} (known: {known})"
                )
            drawn = gen(Draw(spec.name, seed, f"held_out/{check.id}"), check.held_out.n)
            check = check.model_copy(update={"cases": [*check.cases, *drawn]})
        checks.append(check)
    return spec.model_copy(update={"scoring": spec.scoring.model_copy(update={"checks": checks})})


def _workspace(scenario: Scenario, variables: Mapping[str, str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for dest, source in sorted(scenario.spec.workspace.items()):
        if source not in scenario.fixtures:
            raise ScenarioError(
                f"{scenario.source}: workspace.{dest}: file {source!r} is not in the fixtures"
            )
        files[dest] = _render_file(source, scenario.fixtures[source], variables)
    return files


def _real_workspace(scenario: Scenario, fixtures: Mapping[str, str]) -> dict[str, str]:
    real = scenario.spec.real_workspace
    if real is None:
        return {}
    prefix = real.dir.strip("/") + "/"
    return {p.removeprefix(prefix): t for p, t in sorted(fixtures.items()) if p.startswith(prefix)}


def instantiate(scenario: Scenario, seed: int) -> ScenarioInstance:
    """One seeded instance: the same (scenario, seed) always gives an identical instance.

    Entity values go everywhere. ``user_context_defaults`` (USER_NAME, ...) go into the prompt
    and workspace files, as public ClawBench does; in our own scenarios they also reach
    fixtures and patterns. An entity of the same name overrides a user-context default."""
    spec = scenario.spec
    entities = draw_entities(spec, seed)
    raw_fixtures = dict(scenario.fixtures)
    truth: GroundTruth | None = None
    story_vars: dict[str, str] = {}
    if spec.generator is not None:
        story = generate(spec.generator, spec.name, seed, raw_fixtures, str(scenario.source))
        truth = ground_truth(spec.generator, story)
        story_vars = dict(story.variables)
        raw_fixtures.pop(STORY_FILE, None)  # the answer space is not part of the world
        raw_fixtures.update({p: story_fixture_text(p, v) for p, v in story.fixtures.items()})
    text_vars = {**spec.user_context_defaults, **entities, **story_vars}
    data_vars = {**entities, **story_vars} if scenario.public else text_vars
    fixtures = {p: _render_file(p, t, data_vars) for p, t in sorted(raw_fixtures.items())}
    prompt = substitute(spec.prompt, text_vars).strip()
    rendered = _bind_facts(_render_spec(spec, data_vars, prompt), truth, str(scenario.source))
    rendered = _bind_held_out(rendered, seed, str(scenario.source))
    return ScenarioInstance(
        spec=rendered,
        seed=seed,
        variables=dict(sorted(text_vars.items())),
        content_hash=scenario.content_hash,
        fixtures=fixtures,
        workspace=_workspace(scenario, text_vars),
        real_workspace=_real_workspace(scenario, fixtures),
        truth=truth,
    )
