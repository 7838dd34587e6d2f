"""Running a scenario's story generator: validate its data, draw one seed's story."""

from __future__ import annotations

import inspect
import json
from functools import lru_cache
from typing import Any

import yaml
from pydantic import ValidationError

from clawbench.errors import ScenarioError
from clawbench.scenario._draw import Draw
from clawbench.scenario._stories import GENERATORS
from clawbench.scenario._story import STORY_FILE, Story, StoryData, StoryGenerator
from clawbench.scenario._truth import GroundTruth


def story_generator(name: str, source: str = "") -> StoryGenerator[Any]:
    try:
        return GENERATORS[name]
    except KeyError:
        known = ", ".join(sorted(GENERATORS)) or "none"
        raise ScenarioError(
            f"{source}: generator: unknown generator {name!r} (known: {known})"
        ) from None


def generator_source(name: str) -> bytes:
    """The generator's code, hashed into the scenario's content hash: changing the story
    logic invalidates cached results exactly as changing its data does."""
    gen = story_generator(name)
    return inspect.getsource(inspect.getmodule(gen.build) or gen.build).encode()


@lru_cache(maxsize=32)
def _parse(name: str, text: str, source: str) -> StoryData:
    gen = story_generator(name, source)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: {STORY_FILE}: invalid YAML ({exc})") from exc
    try:
        return gen.data.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ScenarioError(f"{source}: {STORY_FILE}: {problems}") from exc


def story_data(name: str, fixtures: dict[str, str], source: str) -> StoryData:
    """The generator's data from the scenario's ``story.yaml``, validated strictly."""
    text = fixtures.get(STORY_FILE)
    if text is None:
        raise ScenarioError(f"{source}: generator {name!r} needs fixtures/<name>/{STORY_FILE}")
    return _parse(name, text, source)


def generate(name: str, scenario: str, seed: int, fixtures: dict[str, str], source: str) -> Story:
    """One seed's story; a generator that breaks its own contract is a scenario error."""
    gen = story_generator(name, source)
    data = story_data(name, fixtures, source)
    story = gen.build(data, Draw(scenario, seed))
    for path, value in story.fixtures.items():
        if not isinstance(value, str):
            try:
                json.dumps(value)
            except (TypeError, ValueError) as exc:
                raise ScenarioError(f"{source}: generated {path} is not JSON ({exc})") from exc
    return story


def ground_truth(name: str, story: Story) -> GroundTruth:
    return GroundTruth(generator=name, facts=dict(story.facts))


def story_fixture_text(path: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"
