"""Loading scenarios from disk: one YAML file plus its fixture folder, or a whole suite.

Layouts: ``<dir>/<name>.yaml`` with ``<dir>/fixtures/<name>/``, or the public ClawBench
layout ``scenarios/<name>.yaml`` with ``fixtures/<name>/`` beside ``scenarios/``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from clawbench.errors import ScenarioError
from clawbench.scenario._generator import generator_source, story_data
from clawbench.scenario._heldout import held_out_generators, held_out_source, hidden_problems
from clawbench.scenario._instance import Scenario
from clawbench.scenario._validate import (
    build_spec,
    duplicate_problems,
    fact_problems,
    fail,
    parse_yaml,
    reference_problems,
    regex_problems,
    variation_problems,
)

# Build artefacts a fixture folder may pick up when a real workspace's tests were run in place.
_SKIP_DIRS = frozenset({"__pycache__", ".pytest_cache"})
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def fixture_dir(yaml_path: Path, name: str) -> Path | None:
    """``<yaml dir>/fixtures/<name>/`` if it exists, else the public ``../fixtures/<name>/``."""
    for candidate in (
        yaml_path.parent / "fixtures" / name,
        yaml_path.parent.parent / "fixtures" / name,
    ):
        if candidate.is_dir():
            return candidate
    return None


def _fixture_bytes(root: Path | None) -> dict[str, bytes]:
    if root is None:
        return {}
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not _SKIP_DIRS.intersection(rel.parts[:-1]):
            files[rel.as_posix()] = path.read_bytes()
    return files


def _decode(files: dict[str, bytes], root: Path | None) -> dict[str, str]:
    texts: dict[str, str] = {}
    for rel, data in files.items():
        try:
            texts[rel] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                f"{root}/{rel}: fixtures must be UTF-8 text ({exc.reason})"
            ) from exc
    return texts


def content_hash(yaml_bytes: bytes, fixtures: dict[str, bytes]) -> str:
    """sha256 over the YAML and every fixture (path and bytes, sorted by path); each part is
    length-prefixed so no two different inputs share a byte stream."""
    digest = hashlib.sha256()
    digest.update(len(yaml_bytes).to_bytes(8, "big") + yaml_bytes)
    for rel in sorted(fixtures):
        name = rel.encode("utf-8")
        data = fixtures[rel]
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def load_scenario(path: str | Path) -> Scenario:
    """Read one scenario: YAML validated (strictly when it has ``version``), fixtures attached,
    content hash computed. Every problem is a ``ScenarioError`` naming the file and the key."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(
            f"{source}: cannot read ({exc.strerror})", code="scenario_not_found"
        ) from exc
    spec = build_spec(parse_yaml(raw, source), source)
    if spec.name != path.stem:
        raise fail(source, [(("name",), f"{spec.name!r} must equal the file name {path.stem!r}")])
    root = fixture_dir(path, spec.name)
    blobs = _fixture_bytes(root)
    fixtures = _decode(blobs, root)
    public = spec.version is None
    problems = regex_problems(spec) + duplicate_problems(spec) + variation_problems(spec)
    problems += fact_problems(spec) + hidden_problems(spec)
    if not public:
        problems += reference_problems(spec, fixtures)
    if problems:
        raise fail(source, problems)
    hashed = blobs
    if spec.generator is not None:
        story_data(spec.generator, fixtures, source)  # a bad story.yaml fails at load time
        hashed = {**blobs, f"\x00generator/{spec.generator}": generator_source(spec.generator)}
    for name in held_out_generators(spec):  # their code decides the expected values
        hashed = {**hashed, f"\x00held_out/{name}": held_out_source(name)}
    return Scenario(
        spec=spec,
        source=path,
        fixtures=fixtures,
        content_hash=content_hash(raw, hashed),
        public=public,
    )


def _scenario_dir(suite_dir: Path) -> Path:
    nested = suite_dir / "scenarios"
    if nested.is_dir():
        return nested
    if suite_dir.is_dir():
        return suite_dir
    raise ScenarioError(f"{suite_dir}: no such suite directory", code="scenario_not_found")


def load_suite(suite_dir: str | Path) -> list[Scenario]:
    """Every ``*.yaml`` in ``suite_dir`` (or ``suite_dir/scenarios/``), sorted by name. An
    empty suite is an error: scoring nothing must never look like a result."""
    folder = _scenario_dir(Path(suite_dir))
    files = sorted(folder.glob("*.yaml"), key=lambda p: p.stem)
    if not files:
        raise ScenarioError(f"{folder}: no *.yaml scenarios", code="suite_empty")
    return [load_scenario(file) for file in files]


def find_scenario(suite_dir: str | Path, name: str) -> Scenario:
    """Load the scenario called ``name`` from a suite; a plain name only, no paths."""
    folder = _scenario_dir(Path(suite_dir))
    if not _NAME.match(name):
        raise ScenarioError(f"{name!r} is not a scenario name", code="scenario_not_found")
    path = folder / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in folder.glob("*.yaml"))) or "none"
        raise ScenarioError(
            f"{folder}: no scenario {name!r} (available: {known})", code="scenario_not_found"
        )
    return load_scenario(path)
