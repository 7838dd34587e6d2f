"""The generator API: a scenario's story is data (``fixtures/<name>/story.yaml``, validated
by the generator's strict model) plus a small function that, given a ``Draw``, returns the
instance's fixtures, its template variables and its ground truth."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from clawbench.scenario._draw import Draw
from clawbench.scenario._truth import Fact, Rival

STORY_FILE = "story.yaml"


class StoryData(BaseModel):
    """Base of every generator's data model: strict, so a typo in story.yaml is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Story(BaseModel):
    """What a generator returns for one seed.

    ``fixtures``: fixture path -> a JSON value (written as JSON) or text. ``variables``:
    template variables for the prompt, the checks and the scripts (a reference script is
    written against these, so it follows the instance). ``facts``: the ground truth.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    fixtures: dict[str, Any] = Field(default_factory=dict)
    variables: dict[str, str] = Field(default_factory=dict)
    facts: dict[str, Fact] = Field(default_factory=dict)


D = TypeVar("D", bound=StoryData)


@dataclass(frozen=True)
class StoryGenerator(Generic[D]):
    """A registered generator: its data model and its build function."""

    name: str
    data: type[D]
    build: Callable[[D, Draw], Story]


# --- helpers the generators share --------------------------------------------------------
def words(text: str) -> str:
    """A regex for ``text`` as words: escaped, any run of spaces or hyphens between words
    matches any other, bounded at both ends where the text starts/ends with a word char."""
    parts = [re.escape(p) for p in re.split(r"[\s-]+", text.strip()) if p]
    body = r"[\s-]+".join(parts)
    head = r"\b" if re.match(r"\w", text.strip()) else ""
    tail = r"\b" if re.search(r"\w$", text.strip()) else ""
    return f"{head}{body}{tail}"


def any_of(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def all_of(patterns: list[str]) -> str:
    """Matches a text holding every pattern, in any order (lookaheads; DOTALL is on)."""
    return "".join(f"(?=.*?(?:{p}))" for p in patterns)


def clock(minutes: int) -> str:
    """Minutes after midnight as a 12-hour time: 825 -> '1:45 pm'."""
    h, m = divmod(minutes, 60)
    return f"{(h - 1) % 12 + 1}:{m:02d} {'am' if h < 12 else 'pm'}"


def clock_pattern(minutes: int) -> str:
    """A regex for a time stated as '1:45 pm', '1:45pm', '1:45 p.m.' or '13:45'."""
    h, m = divmod(minutes, 60)
    h12 = (h - 1) % 12 + 1
    half = "a" if h < 12 else "p"
    twelve = rf"\b{h12}:{m:02d}\s*{half}\.?m\b\.?"
    if m == 0:
        twelve = rf"\b{h12}(?::00)?\s*{half}\.?m\b\.?"
    return rf"{twelve}|\b{h:02d}:{m:02d}\b" + (rf"|(?<![\d:]){h}:{m:02d}\b" if h < 10 else "")


def other_times(minutes: int) -> Rival:
    """The rest of the clock: any time of day but this one."""
    h, m = divmod(minutes, 60)
    h12 = (h - 1) % 12 + 1
    not_this = rf"(?!(?:{h12}|{h}|{h:02d}):{m:02d}\b)"
    return Rival(
        value="another time",
        pattern=rf"(?<![\d:]){not_this}\d{{1,2}}:\d{{2}}\b",
        note="a time other than the answer",
    )


def money(n: int) -> str:
    """Dollars as a reply states them: 86000 -> '$86,000'."""
    return f"${n:,}"


def money_pattern(n: int) -> str:
    """A regex for an amount stated as '$86,000', '$ 86,000' or '$86k'."""
    k = rf"|\${n // 1000}(?:\.0)?\s?[kK]\b" if n % 1000 == 0 else rf"|\${n / 1000:g}\s?[kK]\b"
    return rf"\$\s?{n:,}(?!,?\d)" + k


def iso(day: str, minutes: int, offset: str) -> str:
    h, m = divmod(minutes, 60)
    return f"{day}T{h:02d}:{m:02d}:00{offset}"


def shuffled_inbox(
    mails: list[dict[str, Any]], draw: Draw, *, day: str, offset: str, me: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The inbox fixture from a story's mails (``key``, ``sender``, ``subject``, ``body``,
    ``ts`` as ``HH:MM`` on ``day`` or a full ``YYYY-MM-DDTHH:MM``, ``urgent``, optional
    ``labels``), and each key's message id. Ids are drawn per seed so a script replayed from
    another seed reads the wrong messages."""
    ids = draw.fork("inbox").sample(range(1, 100), len(mails))
    mail_id: dict[str, int] = {}
    inbox = []
    for mid, m in zip(ids, mails, strict=True):
        mail_id[m["key"]] = mid
        ts = m["ts"] if "T" in m["ts"] else f"{day}T{m['ts']}"
        inbox.append(
            {
                "id": mid,
                "sender": m["sender"],
                "to": [me],
                "subject": m["subject"],
                "body": m["body"],
                "received_ts": f"{ts}:00{offset}",
                "labels": m.get("labels", ["inbox"]),
                "is_urgent": m["urgent"],
            }
        )
    return inbox, mail_id


class Person(StoryData):
    name: str
    first: str
    handle: str


def person_vars(key: str, p: Person, domain: str) -> dict[str, str]:
    """``KEY``, ``KEY.first``, ``KEY.handle``, ``KEY.email`` for a script or prompt."""
    return {
        key: p.name,
        f"{key}.first": p.first,
        f"{key}.handle": p.handle,
        f"{key}.email": f"{p.handle}@{domain}",
    }


def day_label(day: int) -> str:
    """February 2026 day-of-month as 'Feb 9'."""
    return f"Feb {day}"


def date_pattern(day: int) -> str:
    """Feb 9 as 'Feb 9', 'February 9(th)', '2/9', '2026-02-09' or '9 Feb'."""
    return (
        rf"\bFeb(?:ruary)?\.?\s+{day}(?:st|nd|rd|th)?\b|(?<![\d/])2/{day}(?![\d/])"
        rf"|\b2026-02-{day:02d}\b|\b{day}(?:st|nd|rd|th)?\s+Feb"
    )


def other_dates(day: int) -> Rival:
    return Rival(
        value="another date",
        pattern=rf"\bFeb(?:ruary)?\.?\s+(?!{day}(?!\d))\d{{1,2}}\b|\b2026-02-(?!{day:02d})\d\d\b",
        note="a date other than the answer",
    )
