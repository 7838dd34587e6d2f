"""Grounding by provenance: a fact counts as seen only where the world showed it.

Evidence for a claim must come from the result of a call the harness ran, before the claim
(before the final reply, or before the artifact it justifies), in text the agent did not
write itself: not an echo of the call's own arguments, and not anything an earlier
world-changing call wrote (its arguments, and the text and data the world recorded for its
side effects, so encodings such as a Notion rich-text array with ``\\u`` escapes are seen
decoded). When the check names its ``source`` object (``<kind>:<id>``, e.g. ``inbox:7``,
``slack:#incidents/m4``, ``task:t-12``), the evidence must also sit in a world object as the
scenario's fixtures hold it (that one, or another holding the same fact), shown with its
surrounding words, and that object must not have been changed by the agent before the
read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from clawbench.scenario import ScenarioInstance
from clawbench.scoring._models import ScoringError
from clawbench.scoring._text import TextPattern, authored_strings, executed, string_leaves
from clawbench.trajectory import ToolCallRecord, Trajectory
from clawbench.world import SideEffect

CONTEXT = 24  # characters of the source's own text required on each side of the evidence

_KIND_FILES = {
    "inbox": "inbox.json",
    "email": "inbox.json",
    "slack": "slack_messages.json",
    "task": "tasks.json",
    "calendar": "calendar.json",
    "event": "calendar.json",
    "contact": "contacts.json",
    "doc": "documents.json",
}


def written_by(call: ToolCallRecord) -> list[str]:
    """Everything a call wrote into the world (casefolded): its arguments and what the world
    recorded for its side effects (target, text, every data value)."""
    out = authored_strings(call)
    for e in call.side_effects:
        out += [e.target.casefold(), e.text.casefold()]
        out += [s.casefold() for s in string_leaves(e.data, keys=False)]
    return [s for s in out if s]


_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def addresses(value: Any) -> set[str]:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return {a.casefold() for a in _EMAIL.findall(text)}


def recipients(effect: SideEffect) -> tuple[set[str], set[str]]:
    """(To, Cc+Bcc) addresses of an effect, casefolded: the target and the data's ``to``
    go in To; ``cc`` and ``bcc`` (a string or a list) in the other set."""
    to = addresses(effect.target) | addresses(effect.data.get("to", ""))
    other = addresses(effect.data.get("cc", "")) | addresses(effect.data.get("bcc", ""))
    return to, other


def external_copies(effect: SideEffect) -> list[str]:
    """Cc/Bcc addresses outside the sender's own domain (spraying candidates)."""
    sender = addresses(effect.data.get("sender", ""))
    domains = {a.rsplit("@", 1)[1] for a in sender}
    _, other = recipients(effect)
    return sorted(a for a in other if a.rsplit("@", 1)[1] not in domains)


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _objects(v)
    elif isinstance(value, list):
        for v in value:
            yield from _objects(v)


@dataclass(frozen=True)
class Source:
    """A world object as the scenario's fixtures hold it."""

    ref: str
    id: str
    fields: tuple[str, ...]


def world_objects(instance: ScenarioInstance) -> tuple[Source, ...]:
    """Every object of the instance's JSON fixtures that has an id (mails, messages, tasks,
    events, contacts, documents), plus every other fixture file as one object."""
    return _fixture_objects(tuple(sorted(instance.fixtures.items())))


@lru_cache(maxsize=16)
def _fixture_objects(fixtures: tuple[tuple[str, str], ...]) -> tuple[Source, ...]:
    """Parsed once per distinct fixture set: every evidence check of an episode (and every
    episode of the same instance) asks for the same objects. Keyed by the fixture texts
    themselves, so two instances share an entry only when their fixtures are identical."""
    out: list[Source] = []
    for name, text in fixtures:
        if not name.endswith(".json"):
            out.append(Source(f"file:{name}", name, (text,)))
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for obj in _objects(data):
            if "id" in obj:
                kind = name.rsplit("/", 1)[-1].removesuffix(".json")
                out.append(
                    Source(
                        f"{kind}:{obj['id']}", str(obj["id"]), tuple(string_leaves(obj, keys=False))
                    )
                )
    return tuple(out)


def resolve_source(instance: ScenarioInstance, ref: str) -> Source:
    """``<kind>:<id>`` (``slack:#channel/<id>`` too) -> the fixture object with that id."""
    kind, sep, rest = ref.partition(":")
    if not sep or not rest:
        raise ScoringError(f"source {ref!r}: expected <kind>:<id>", code="check_invalid")
    oid = rest.rsplit("/", 1)[-1]
    preferred = _KIND_FILES.get(kind)
    names = sorted(instance.fixtures, key=lambda p: (p.rsplit("/", 1)[-1] != preferred, p))
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            data = json.loads(instance.fixtures[name])
        except ValueError:
            continue
        for obj in _objects(data):
            if str(obj.get("id", "")) == oid:
                return Source(ref, oid, tuple(s for s in string_leaves(obj, keys=False) if s))
    raise ScoringError(
        f"source {ref!r}: no object with id {oid!r} in the instance's fixtures",
        code="check_invalid",
    )


def _forms(text: str) -> set[str]:
    """How a fixture string can appear in a tool result: as-is, or JSON-escaped."""
    low = text.lower()
    return {low, json.dumps(low, ensure_ascii=False)[1:-1], json.dumps(low)[1:-1]}


def shows(result: str, start: int, end: int, source: Source) -> bool:
    """The result shows ``source`` at ``[start, end)``: the matched text sits in one of the
    object's fields with the same surrounding text (up to CONTEXT characters each side, or
    the field's edge), so a decoy or a planted copy with other words around it does not."""
    res = result.lower()
    if len(res) != len(result):
        return False
    needle = res[start:end]
    if not needle:
        return False
    for field in source.fields:
        for form in _forms(field):
            pos = form.find(needle)
            while pos != -1:
                left_need = min(CONTEXT, pos)
                right_need = min(CONTEXT, len(form) - pos - len(needle))
                left = 0
                while left < left_need and start - left - 1 >= 0:
                    if res[start - left - 1] != form[pos - left - 1]:
                        break
                    left += 1
                right = 0
                while right < right_need and end + right < len(res):
                    if res[end + right] != form[pos + len(needle) + right]:
                        break
                    right += 1
                if (
                    left >= left_need
                    and right >= right_need
                    and _edges_ok(
                        res,
                        start - left,
                        end + right,
                        pos - left == 0,
                        pos + len(needle) + right == len(form),
                    )
                ):
                    return True
                pos = form.find(needle, pos + 1)
    return False


_WORD_BEFORE = re.compile(r"\w[ \t]?$")
_WORD_AFTER = re.compile(r"^[ \t]?\w")


def _edges_ok(res: str, lo: int, hi: int, at_start: bool, at_end: bool) -> bool:
    """Where the shown text reaches an edge of the field, the result must end the text
    there too: a whole field ("Budget review") is not one embedded in another object's
    sentence ("prepare for Budget review with ...")."""
    if at_start and _WORD_BEFORE.search(res[max(0, lo - 2) : lo]):
        return False
    return not (at_end and _WORD_AFTER.search(res[hi : hi + 2]))


def _changed_ids(call: ToolCallRecord) -> set[str]:
    ids: set[str] = set()
    for e in call.side_effects:
        ids |= {e.target, e.target.rsplit("/", 1)[-1]}
        ids |= {str(e.data[k]) for k in ("id", "page_id", "message_id") if k in e.data}
    return ids - {""}


def find_evidence(
    rx: TextPattern,
    traj: Trajectory,
    *,
    tool: str | None = None,
    before: int | None = None,
    instance: ScenarioInstance | None = None,
    source: str | None = None,
) -> tuple[ToolCallRecord, str] | None:
    """The first executed call (of ``tool``, with index < ``before``) whose result shows an
    evidence match the agent did not write. With ``source`` (which must name an object of
    the instance) the match must also be shown from a world object as the fixtures hold it
    (the named one, or another that holds the same fact: a mail and the event it is about),
    one the agent had not changed before the read."""
    objects: list[Source] = []
    if source and instance is not None:
        named = resolve_source(instance, source)
        objects = [named, *(o for o in world_objects(instance) if o.ref != named.ref)]
    written: list[str] = []
    changed: set[str] = set()  # ids of world objects the agent changed so far
    for c in traj.tool_calls:
        if before is not None and c.index >= before:
            break
        if executed(c) and (tool is None or c.tool == tool):
            own = authored_strings(c)
            for m in rx.finditer(c.result):
                needle = m.group(0).casefold()
                if not needle or any(needle in s for s in (*own, *written)):
                    continue
                if objects and not any(
                    o.id not in changed and shows(c.result, m.start(), m.end(), o) for o in objects
                ):
                    continue
                return c, m.group(0)
        if c.side_effects:
            written.extend(written_by(c))
            changed |= _changed_ids(c)
    return None
