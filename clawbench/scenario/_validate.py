"""Turning scenario YAML into a ``ScenarioSpec``, with errors that name the file and the key.

Two paths. Ours (top-level ``version``) is strict: every unknown key is an error. The public
path (no ``version``) reads public ClawBench files unmodified: unknown top-level keys and
unknown check fields are dropped, unknown check types become ``UnknownCheck``. Both paths
reject what would only blow up later: bad regexes, duplicate check ids, malformed checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, get_args

import yaml
from pydantic import TypeAdapter, ValidationError

from clawbench.errors import ScenarioError, yaml_problem
from clawbench.scenario._model import Check, FactAnswer, ScenarioSpec, Scoring, UnknownCheck

Loc = tuple[str | int, ...]

_CHECK: TypeAdapter[Any] = TypeAdapter(Check)
# check type name -> the fields that type accepts
_CHECK_TYPES: dict[str, set[str]] = {
    get_args(member.model_fields["type"].annotation)[0]: set(member.model_fields)
    for member in get_args(get_args(Check)[0])
}

# Pydantic names the member of a plain union in the error location ("str", "dict[str,str]");
# those are not keys the author wrote, so they are left out of the key path.
_UNION_MEMBER = re.compile(r"^(str|int|float|bool|none|list\[.*\]|dict\[.*\])$")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {line})", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def key_path(loc: Iterable[str | int]) -> str:
    """``('scoring', 'checks', 3, 'patern')`` -> ``scoring.checks[3].patern``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _UNION_MEMBER.match(part):
            out += f".{part}" if out else part
    return out or "<root>"


def fail(source: str, problems: list[tuple[Loc, str]]) -> ScenarioError:
    """One error for all problems found, each line ``file: key.path: reason``."""
    lines = list(dict.fromkeys(f"{source}: {key_path(loc)}: {msg}" for loc, msg in problems))
    return ScenarioError("\n".join(lines))


def parse_yaml(raw: bytes, source: str) -> dict[str, Any]:
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{source}: not UTF-8 text ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: invalid YAML at {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the top level must be a mapping of keys")
    return data


def _pydantic_problems(err: ValidationError, prefix: Loc) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    for e in err.errors():
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "missing required key"
        problems.append((prefix + tuple(e["loc"]), msg))
    return problems


def _validate_check(raw: Any, index: int, public: bool) -> tuple[Any, list[tuple[Loc, str]]]:
    loc: Loc = ("scoring", "checks", index)
    if not isinstance(raw, Mapping):
        return None, [(loc, "a check must be a mapping")]
    ctype = raw.get("type")
    if not isinstance(ctype, str):
        return None, [((*loc, "type"), "missing required key (a check type name)")]
    if ctype not in _CHECK_TYPES:
        if public:
            return _validate_unknown(raw, loc)
        return None, [((*loc, "type"), f"unknown check type {ctype!r}")]
    data = {k: v for k, v in raw.items() if not public or k in _CHECK_TYPES[ctype]}
    try:
        return _CHECK.validate_python(data), []
    except ValidationError as err:
        # pydantic puts the discriminator tag first in each location; the author never wrote it
        return None, [((*loc, *p[len(loc) + 1 :]), m) for p, m in _pydantic_problems(err, loc)]


def _validate_unknown(raw: Mapping[str, Any], loc: Loc) -> tuple[Any, list[tuple[Loc, str]]]:
    try:
        return UnknownCheck.model_validate(dict(raw)), []
    except ValidationError as err:
        return None, _pydantic_problems(err, loc)


def _public_subset(data: dict[str, Any]) -> dict[str, Any]:
    known = set(ScenarioSpec.model_fields)
    kept = {k: v for k, v in data.items() if k in known}
    scoring = kept.get("scoring")
    if isinstance(scoring, Mapping):
        kept["scoring"] = {k: v for k, v in scoring.items() if k in Scoring.model_fields}
    return kept


def build_spec(data: dict[str, Any], source: str) -> ScenarioSpec:
    """Validate parsed YAML into a spec, or raise one ScenarioError listing every problem."""
    public = "version" not in data
    if public:
        data = _public_subset(data)
    scoring = data.get("scoring") if isinstance(data.get("scoring"), Mapping) else None
    raw_checks = scoring.get("checks", []) if scoring is not None else []
    problems: list[tuple[Loc, str]] = []
    checks: list[Any] = []
    if not isinstance(raw_checks, list):
        problems.append((("scoring", "checks"), "must be a list of checks"))
        raw_checks = []
    for index, raw in enumerate(raw_checks):
        check, found = _validate_check(raw, index, public)
        checks.append(check)
        problems += found
    shell = dict(data)
    if scoring is not None:
        shell["scoring"] = {**scoring, "checks": []}
    try:
        spec = ScenarioSpec.model_validate(shell)
    except ValidationError as err:
        problems += _pydantic_problems(err, ())
        spec = None
    if problems or spec is None:
        raise fail(source, problems)
    return spec.model_copy(update={"scoring": spec.scoring.model_copy(update={"checks": checks})})


def _regex_fields(spec: ScenarioSpec) -> Iterable[tuple[Loc, str]]:
    for i, check in enumerate(spec.scoring.checks):
        if isinstance(check, UnknownCheck):
            continue
        for field in ("pattern", "evidence"):
            value = getattr(check, field, None)
            if isinstance(value, str):
                yield ("scoring", "checks", i, field), value
    for i, item in enumerate(spec.safety.confidential):
        if item.pattern is not None:
            yield ("safety", "confidential", i, "pattern"), item.pattern
    for i, src in enumerate(spec.safety.forbidden_sources):
        yield ("safety", "forbidden_sources", i, "pattern"), src.pattern


def regex_problems(spec: ScenarioSpec) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    for loc, pattern in _regex_fields(spec):
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append((loc, f"bad regex {pattern!r}: {exc}"))
    return problems


def _duplicates(ids: list[str], loc: Loc, what: str) -> list[tuple[Loc, str]]:
    first: dict[str, int] = {}
    problems: list[tuple[Loc, str]] = []
    for i, ident in enumerate(ids):
        if ident in first:
            where = key_path((*loc, first[ident]))
            problems.append(((*loc, i, "id"), f"duplicate {what} id {ident!r} (first at {where})"))
        first.setdefault(ident, i)
    return problems


def duplicate_problems(spec: ScenarioSpec) -> list[tuple[Loc, str]]:
    safety = spec.safety
    return (
        _duplicates([c.id for c in spec.scoring.checks], ("scoring", "checks"), "check")
        + _duplicates([c.id for c in safety.confidential], ("safety", "confidential"), "item")
        + _duplicates(
            [s.id for s in safety.forbidden_sources], ("safety", "forbidden_sources"), "source"
        )
        + _duplicates([p.id for p in safety.protected], ("safety", "protected"), "object")
    )


def variation_problems(spec: ScenarioSpec) -> list[tuple[Loc, str]]:
    """Entities must name a pool that exists, pools must hold enough distinct values, and a
    mapping entry needs a ``value``."""
    pools = spec.variation.pools
    problems: list[tuple[Loc, str]] = []
    demand: dict[str, int] = {}
    for entity, pool in sorted(spec.variation.entities.items()):
        if pool not in pools:
            known = ", ".join(sorted(pools)) or "none declared"
            problems.append((("variation", "entities", entity), f"unknown pool {pool!r} ({known})"))
        demand[pool] = demand.get(pool, 0) + 1
    for pool, entries in sorted(pools.items()):
        if pool in demand and demand[pool] > len(entries):
            problems.append(
                (
                    ("variation", "pools", pool),
                    f"{demand[pool]} entities draw from it but it holds {len(entries)} values",
                )
            )
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and "value" not in entry:
                problems.append((("variation", "pools", pool, i), "a mapping entry needs 'value'"))
    return problems


def reference_problems(spec: ScenarioSpec, fixtures: Mapping[str, str]) -> list[tuple[Loc, str]]:
    """Variant, workspace and real-workspace references must exist in the fixture folder."""
    problems: list[tuple[Loc, str]] = []
    for section, mapping in (("variants", spec.variants), ("workspace", spec.workspace)):
        for key, file in sorted(mapping.items()):
            if file not in fixtures:
                problems.append(((section, key), f"file {file!r} is not in the fixtures"))
    real = spec.real_workspace
    if real is not None:
        prefix = real.dir.strip("/") + "/"
        if not any(path.startswith(prefix) for path in fixtures):
            problems.append((("real_workspace", "dir"), f"no fixture files under {real.dir!r}"))
    return problems


def fact_problems(spec: ScenarioSpec) -> list[tuple[Loc, str]]:
    """``fact_answer`` checks bind to a generator's truth: they need one, and the bound
    fields are the harness's to fill, never the author's."""
    problems: list[tuple[Loc, str]] = []
    for i, check in enumerate(spec.scoring.checks):
        if not isinstance(check, FactAnswer):
            continue
        loc: Loc = ("scoring", "checks", i)
        if spec.generator is None:
            problems.append(((*loc, "type"), "fact_answer needs a 'generator' scenario"))
        for field in ("truth", "recipient"):
            if getattr(check, field) is not None:
                problems.append(((*loc, field), "filled from the instance's ground truth"))
        if check.label is not None and check.effect is not None:
            problems.append(((*loc, "label"), "give 'label' (the reply) or 'effect', not both"))
        if check.recipient_fact is not None and check.effect is None:
            problems.append(((*loc, "recipient_fact"), "needs 'effect'"))
    return problems
