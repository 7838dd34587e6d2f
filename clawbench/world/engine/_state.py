"""The world state: fixture files parsed and checked once per episode.

Every engine parses its own copy, so two episodes never share a mutable object.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

DEFAULT_NOW = "2026-02-12T09:00:00-08:00"
DEFAULT_USER_EMAIL = "me@example.com"
FOLDERS = ("INBOX", "Drafts", "Sent", "Archive", "Trash")


class FixtureError(ValueError):
    """The world input or a fixture file is malformed: names the file and the problem."""

    def __init__(self, message: str, code: str = "fixture_invalid") -> None:
        super().__init__(message)
        self.code = code


def parse_dt(value: Any, tz: tzinfo | None) -> datetime | None:
    """ISO 8601 date or date-time; naive values are taken in the world's time zone."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            dt = datetime.combine(date.fromisoformat(text), time())
        else:
            dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None and tz is not None:
        dt = dt.replace(tzinfo=tz)
    return dt


def _load_json(fixtures: dict[str, str], name: str, kind: type) -> Any:
    text = fixtures.get(name)
    if text is None:
        return kind()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{name}: invalid JSON: {exc}") from exc
    if not isinstance(value, kind):
        want = "a list" if kind is list else "an object"
        raise FixtureError(f"{name}: must be {want}, got {type(value).__name__}")
    return value


def _records(
    fixtures: dict[str, str], name: str, required: tuple[str, ...]
) -> list[dict[str, Any]]:
    items = _load_json(fixtures, name, list)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise FixtureError(f"{name}[{i}]: must be an object, got {type(item).__name__}")
        for key in required:
            if key not in item or item[key] is None:
                raise FixtureError(f"{name}[{i}]: missing required field {key!r}")
    seen: set[str] = set()
    for i, item in enumerate(items):
        key = str(item["id"])
        if key in seen:
            raise FixtureError(f"{name}[{i}]: duplicate id {key!r}")
        seen.add(key)
    return items


class State:
    """Everything the tools read and write, plus the episode's id/time counter."""

    def __init__(self, world_input: dict[str, Any]) -> None:
        if not isinstance(world_input, dict):
            raise FixtureError("world input must be an object", code="world_input_invalid")
        fixtures = world_input.get("fixtures", {})
        workspace = world_input.get("workspace", {})
        for label, files in (("fixtures", fixtures), ("workspace", workspace)):
            if not isinstance(files, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in files.items()
            ):
                raise FixtureError(
                    f"world input {label!r} must map file paths to text",
                    code="world_input_invalid",
                )
        seed = world_input.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise FixtureError("world input 'seed' must be an integer", code="world_input_invalid")
        self.scenario = str(world_input.get("scenario", ""))
        self.seed = seed
        self.counter = 0

        world = _load_json(fixtures, "world.json", dict)
        now = parse_dt(world.get("now", DEFAULT_NOW), None)
        if now is None or now.tzinfo is None:
            raise FixtureError(
                f"world.json: 'now' must be an ISO 8601 date-time with a UTC offset, "
                f"got {world.get('now')!r}"
            )
        self.now: datetime = now
        self.tz: tzinfo = now.tzinfo
        self.user_email = str(world.get("user_email", DEFAULT_USER_EMAIL))

        # Files readable with `read` (workspace files shadow fixtures of the same name).
        self.files: dict[str, str] = {**fixtures, **workspace}

        # Email: folder -> messages (fixture dicts, plus a "flags" list we maintain).
        inbox = _records(fixtures, "inbox.json", ("id",))
        self.folders: dict[str, list[dict[str, Any]]] = {f: [] for f in FOLDERS}
        for msg in inbox:
            msg.setdefault("flags", [])
            self.folders["INBOX"].append(msg)

        self.events = _records(fixtures, "calendar.json", ("id", "title", "start"))
        for i, ev in enumerate(self.events):
            for key in ("start", "end"):
                if key in ev and parse_dt(ev[key], self.tz) is None:
                    raise FixtureError(
                        f"calendar.json[{i}]: {key!r} is not an ISO 8601 date-time: {ev[key]!r}"
                    )

        self.tasks = _records(fixtures, "tasks.json", ("id", "title"))
        self.archived: list[dict[str, Any]] = []
        self.documents = _records(fixtures, "documents.json", ("id", "title"))
        self.contacts = _records(fixtures, "contacts.json", ("id", "name"))
        self.channels = _records(fixtures, "slack_channels.json", ("id", "name"))
        self.messages = _records(fixtures, "slack_messages.json", ("id", "text"))
        for i, m in enumerate(self.messages):
            if not m.get("channel") and not m.get("channelId"):
                raise FixtureError(f"slack_messages.json[{i}]: needs 'channel' or 'channelId'")
        self.pins: list[tuple[str, str]] = []  # (channel id, message id)
        self._index_channels()

        gh = _load_json(fixtures, "github.json", dict)
        self.repo = str(gh.get("repo", ""))
        self.issues = self._gh_items(gh, "issues")
        self.pulls = self._gh_items(gh, "pulls")

        self.search_results = _load_json(fixtures, "web_search_results.json", dict)
        for query, results in self.search_results.items():
            if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
                raise FixtureError(
                    f"web_search_results.json: results for {query!r} must be a list of objects"
                )
        self.pages = _load_json(fixtures, "web_pages.json", dict)
        for url, page in self.pages.items():
            if not isinstance(page, dict):
                raise FixtureError(f"web_pages.json: page {url!r} must be an object")

    @staticmethod
    def _gh_items(gh: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items = gh.get(key, [])
        if not isinstance(items, list):
            raise FixtureError(f"github.json: {key!r} must be a list")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("number"), int):
                raise FixtureError(f"github.json: {key}[{i}] needs an integer 'number'")
            if "title" not in item:
                raise FixtureError(f"github.json: {key}[{i}] missing required field 'title'")
        return items

    def _index_channels(self) -> None:
        """Channels come from slack_channels.json, or are derived from the messages."""
        by_name = {str(c["name"]).lstrip("#").lower(): c for c in self.channels}
        for m in self.messages:
            name = str(m.get("channel", "")).lstrip("#")
            cid = m.get("channelId")
            chan = by_name.get(name.lower()) if name else None
            if chan is None and cid is not None:
                chan = next((c for c in self.channels if str(c["id"]) == str(cid)), None)
            if chan is None:
                chan = {"id": str(cid) if cid else name, "name": name or str(cid)}
                self.channels.append(chan)
                by_name[str(chan["name"]).lstrip("#").lower()] = chan
            m["_cid"] = str(chan["id"])

    # -- episode clock -------------------------------------------------------------------
    def tick(self) -> int:
        self.counter += 1
        return self.counter

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{self.tick():04d}"

    def stamp(self) -> str:
        """The current episode time: ``now`` plus one minute per write so far."""
        return (self.now + timedelta(minutes=self.counter)).isoformat()
