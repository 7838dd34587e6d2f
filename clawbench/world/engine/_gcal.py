"""Calendar: the Google Calendar events API (behind curl) and the gcalcli CLI, one state.

Events are stored in the fixture shape ({id, title, start, end, location, attendees, notes});
the API view renames them to Google's fields (summary, description, start.dateTime, ...).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import unquote

from ._cli import OptSpec, opt_int, opt_str, parse_opts
from ._core import BadJSON, Op, Res, Usage, effect, err, http, snap
from ._state import State, parse_dt


# -- shared helpers ----------------------------------------------------------------------------
def span(state: State, ev: dict[str, Any]) -> tuple[datetime, datetime]:
    start = parse_dt(ev.get("start"), state.tz)
    assert start is not None  # checked when the state was loaded
    end = parse_dt(ev.get("end"), state.tz) or start
    return start, end


def sorted_events(state: State) -> list[dict[str, Any]]:
    order = sorted(range(len(state.events)), key=lambda i: (span(state, state.events[i])[0], i))
    return [state.events[i] for i in order]


def in_window(state: State, ev: dict[str, Any], lo: datetime | None, hi: datetime | None) -> bool:
    start, end = span(state, ev)
    if end == start:
        end = start + timedelta(seconds=1)
    return (lo is None or end > lo) and (hi is None or start < hi)


def _delete_effect(ev: dict[str, Any]) -> dict[str, Any]:
    return effect(
        "calendar.delete",
        str(ev["id"]),
        str(ev["title"]),
        snap(
            {"id": ev["id"], "title": ev["title"], "start": ev.get("start"), "end": ev.get("end")}
        ),
    )


def _event_text(ev: dict[str, Any]) -> str:
    notes = ev.get("notes")
    return f"{ev['title']}\n{notes}" if notes else str(ev["title"])


# -- Google Calendar API -----------------------------------------------------------------------
def _gtime(value: Any) -> dict[str, str]:
    text = str(value)
    return {"date": text} if len(text) == 10 else {"dateTime": text}


def gevent(ev: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "calendar#event",
        "id": ev["id"],
        "status": "confirmed",
        "summary": ev["title"],
        "start": _gtime(ev["start"]),
        "end": _gtime(ev.get("end") or ev["start"]),
    }
    if ev.get("location"):
        out["location"] = ev["location"]
    if ev.get("notes"):
        out["description"] = ev["notes"]
    attendees = ev.get("attendees") or []
    if attendees:
        out["attendees"] = [
            {"email": a} if isinstance(a, str) and "@" in a else {"displayName": a}
            for a in attendees
        ]
    return out


def _gerror(status: int, message: str) -> Res:
    return http(
        status, {"error": {"code": status, "message": message, "errors": [{"message": message}]}}
    )


def _find(state: State, eid: str) -> int | None:
    for i, ev in enumerate(state.events):
        if str(ev["id"]) == eid:
            return i
    return None


def _fields_from_body(state: State, body: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """Google event fields -> fixture fields; raises ValueError with the API's message."""
    out: dict[str, Any] = {}
    if "summary" in body:
        out["title"] = str(body["summary"])
    for key in ("start", "end"):
        if key in body:
            raw = body[key]
            value = raw.get("dateTime") or raw.get("date") if isinstance(raw, dict) else raw
            if parse_dt(value, state.tz) is None:
                raise ValueError(f"Invalid {key} time: {value!r}.")
            out[key] = str(value)
    if "location" in body:
        out["location"] = str(body["location"])
    if "description" in body:
        out["notes"] = str(body["description"])
    if "attendees" in body:
        att = body["attendees"]
        if not isinstance(att, list):
            raise ValueError("attendees must be a list.")
        out["attendees"] = [
            str(a.get("email") or a.get("displayName") or "") if isinstance(a, dict) else str(a)
            for a in att
        ]
    if full:
        if not out.get("start"):
            raise ValueError("Missing start time.")
        if not out.get("end"):
            raise ValueError("Missing end time.")
    if "start" in out and "end" in out:
        s, e = parse_dt(out["start"], state.tz), parse_dt(out["end"], state.tz)
        if s is not None and e is not None and e < s:
            raise ValueError("The specified time range is empty.")
    return out


def handle(state: State, req: Any) -> Res | Op:
    parts = [unquote(p) for p in req.path.split("/") if p]
    # /calendar/v3/users/me/calendarList
    if parts[2:] == ["users", "me", "calendarList"] and req.method == "GET":
        return http(
            200,
            {
                "kind": "calendar#calendarList",
                "items": [{"id": state.user_email, "primary": True, "summary": state.user_email}],
            },
        )
    if len(parts) < 5 or parts[2] != "calendars" or parts[4] != "events" or len(parts) > 6:
        return _gerror(404, "Not Found")
    if isinstance(req.body, BadJSON) or (req.body is not None and not isinstance(req.body, dict)):
        return _gerror(400, "Parse Error")
    body: dict[str, Any] = req.body or {}
    m = req.method
    if len(parts) == 5:
        if m == "GET":
            return _list(state, parts[3], req.query)
        if m == "POST":
            return _create(state, body)
        return _gerror(405, f"Method {m} not allowed on the events collection.")
    eid = parts[5]
    i = _find(state, eid)
    if i is None:
        return _gerror(404, "Not Found")
    if m == "GET":
        return http(200, gevent(state.events[i]))
    if m in ("PATCH", "PUT"):
        return _update(state, i, body, full=m == "PUT")
    if m == "DELETE":
        ev = state.events[i]

        def run() -> Res:
            state.events.remove(ev)
            return http(204, None, [_delete_effect(ev)])

        return Op(["calendar.delete"], run)
    return _gerror(405, f"Method {m} not allowed on an event.")


def _qtime(state: State, value: str | None) -> datetime | None | str:
    if value is None or value == "":
        return None
    value = value.replace(" ", "+")  # an unencoded "+" offset arrives as a space
    dt = parse_dt(value, state.tz)
    return dt if dt is not None else value


def _list(state: State, cal: str, query: dict[str, str]) -> Res:
    lo = _qtime(state, query.get("timeMin"))
    hi = _qtime(state, query.get("timeMax"))
    for name, v in (("timeMin", lo), ("timeMax", hi)):
        if isinstance(v, str):
            return _gerror(400, f"Bad Request: invalid {name} {v!r}")
    assert not isinstance(lo, str) and not isinstance(hi, str)
    q = query.get("q", "").lower()
    try:
        limit = int(query.get("maxResults", "250"))
    except ValueError:
        return _gerror(400, "Bad Request: invalid maxResults")
    items = [
        gevent(ev)
        for ev in sorted_events(state)
        if in_window(state, ev, lo, hi)
        and (not q or q in f"{ev['title']} {ev.get('notes', '')} {ev.get('location', '')}".lower())
    ][: max(limit, 0)]
    return http(
        200,
        {
            "kind": "calendar#events",
            "summary": cal,
            "timeZone": str(state.now.tzinfo),
            "items": items,
        },
    )


def _create(state: State, body: dict[str, Any]) -> Res | Op:
    try:
        fields = _fields_from_body(state, body, full=True)
    except ValueError as exc:
        return _gerror(400, str(exc))
    if not fields.get("title"):
        return _gerror(400, "Missing summary.")

    def run() -> Res:
        ev = {"id": state.new_id("evt"), **fields}
        state.events.append(ev)
        fx = effect("calendar.create", str(ev["id"]), _event_text(ev), snap(ev))
        return http(200, gevent(ev), [fx])

    return Op(["calendar.create"], run)


def _update(state: State, i: int, body: dict[str, Any], *, full: bool) -> Res | Op:
    try:
        fields = _fields_from_body(state, body, full=full)
    except ValueError as exc:
        return _gerror(400, str(exc))
    if not fields:
        return _gerror(400, "Nothing to update.")
    ev = state.events[i]
    merged = {**ev, **fields}
    s, e = parse_dt(merged["start"], state.tz), parse_dt(merged.get("end"), state.tz)
    if s is not None and e is not None and e < s:
        return _gerror(400, "The specified time range is empty.")

    def run() -> Res:
        before = {k: ev.get(k) for k in fields}
        ev.update(fields)
        fx = effect(
            "calendar.update",
            str(ev["id"]),
            _event_text(ev),
            snap({"id": ev["id"], "changes": fields, "before": before}),
        )
        return http(200, gevent(ev), [fx])

    return Op(["calendar.update"], run)


# -- gcalcli -----------------------------------------------------------------------------------
USAGE = """usage:
  gcalcli [--calendar C] [--nocolor] [--tsv] COMMAND ...
  gcalcli list
  gcalcli agenda [START [END]] [--details all] [--tsv]
  gcalcli search TEXT [START [END]]
  gcalcli add --title TITLE --when WHEN --duration MINUTES [--where PLACE]
              [--description TEXT] [--who EMAIL]...
  gcalcli delete TEXT [START [END]]
dates: today, tomorrow, yesterday, a weekday, YYYY-MM-DD, optionally with a time (14:00, 2pm)"""

_COMMON = {
    "flag_nocolor": ("--nocolor",),
    "flag_noprompt": ("--noprompt",),
    "flag_military": ("--military",),
    "flag_nodeclined": ("--nodeclined",),
    "flag_expert": ("--iamaexpert",),
    "flag_tsv": ("--tsv",),
    "calendar": ("--calendar", "--cal"),
    "multi_details": ("--details",),
}
_AGENDA = OptSpec(**_COMMON)
_GLOBAL = OptSpec(
    **_COMMON,
    config_folder=("--config-folder",),
    client_id=("--client-id",),
    client_secret=("--client-secret",),
    flag_refresh=("--refresh",),
)
_ADD = OptSpec(
    **_COMMON,
    title=("--title", "-t"),
    when=("--when", "-w"),
    duration=("--duration", "-d"),
    where=("--where",),
    description=("--description",),
    multi_who=("--who",),
    multi_reminder=("--reminder",),
    flag_allday=("--allday",),
)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::\d{2})?\s*(am|pm)?$", re.IGNORECASE)


def parse_when(state: State, text: str) -> datetime:
    """gcalcli-style dates: 'tomorrow 2pm', '2026-02-13 14:00', ISO 8601, 'friday'."""
    raw = text.strip()
    dt = parse_dt(raw, state.tz)
    if dt is not None:
        return dt
    today = state.now.astimezone(state.tz).date()
    words = raw.replace("T", " ").split()
    if not words:
        raise Usage(f"cannot parse date {text!r}\n{USAGE}", 1)
    head, rest = words[0].lower(), " ".join(words[1:])
    day: date | None
    if head == "today":
        day = today
    elif head == "tomorrow":
        day = today + timedelta(days=1)
    elif head == "yesterday":
        day = today - timedelta(days=1)
    elif head in _WEEKDAYS:
        day = today + timedelta(days=(_WEEKDAYS.index(head) - today.weekday()) % 7)
    else:
        try:
            day = date.fromisoformat(head)
        except ValueError:
            day, rest = today, raw
    clock = time()
    if rest:
        m = _TIME.match(rest.strip())
        if m is None:
            raise Usage(f"cannot parse date {text!r}\n{USAGE}", 1)
        hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        if ampm == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            raise Usage(f"cannot parse time in {text!r}\n{USAGE}", 1)
        clock = time(hour, minute)
    return datetime.combine(day, clock, tzinfo=state.tz)


def _range(state: State, pos: list[str], default_days: int) -> tuple[datetime, datetime]:
    if len(pos) > 2:
        raise Usage(f"too many arguments: {' '.join(pos)}\n{USAGE}", 1)
    if pos:
        lo = parse_when(state, pos[0])
    else:
        lo = datetime.combine(state.now.astimezone(state.tz).date(), time(), tzinfo=state.tz)
    hi = parse_when(state, pos[1]) if len(pos) == 2 else lo + timedelta(days=default_days)
    return lo, hi


def _opt_range(state: State, pos: list[str]) -> tuple[datetime | None, datetime | None]:
    """START [END] after a search text: no bound when absent; END defaults to a year on."""
    if not pos:
        return None, None
    return _range(state, pos, 365)


def _agenda_lines(state: State, events: list[dict[str, Any]], details: bool) -> str:
    if not events:
        return "No Events Found..."
    lines: list[str] = []
    day = None
    for ev in events:
        s, e = span(state, ev)
        s, e = s.astimezone(state.tz), e.astimezone(state.tz)
        if s.date() != day:
            day = s.date()
            if lines:
                lines.append("")
            lines.append(s.strftime("%a %Y-%m-%d"))
        when = s.strftime("%H:%M") + ("-" + e.strftime("%H:%M") if e > s else "")
        line = f"  {when}  {ev['title']}"
        if ev.get("location"):
            line += f"  ({ev['location']})"
        lines.append(line)
        if details:
            if ev.get("attendees"):
                lines.append(f"      Attendees: {', '.join(str(a) for a in ev['attendees'])}")
            if ev.get("notes"):
                lines.append(f"      Description: {ev['notes']}")
            lines.append(f"      Id: {ev['id']}")
    return "\n".join(lines)


def _matching(
    state: State, text: str, lo: datetime | None, hi: datetime | None
) -> list[dict[str, Any]]:
    needle = text.lower()
    return [
        ev
        for ev in sorted_events(state)
        if needle in str(ev["title"]).lower() and in_window(state, ev, lo, hi)
    ]


def _global_opts(tokens: list[str]) -> tuple[dict[str, str | list[str] | bool], list[str]]:
    """gcalcli's global options before the subcommand (``--calendar C``, ``--nocolor``,
    ``--tsv``, ...); the rest starts at the subcommand."""
    i = 0
    while i < len(tokens) and tokens[i].startswith("-") and tokens[i] not in ("-h", "--help"):
        name = tokens[i].partition("=")[0]
        takes = name in _GLOBAL.names and _GLOBAL.names[name][1] and "=" not in tokens[i]
        i += 2 if takes else 1
    opts, pos = parse_opts(tokens[:i], _GLOBAL, USAGE)
    if pos or i > len(tokens):
        raise Usage(f"an option needs its value before the command\n{USAGE}")
    return opts, tokens[i:]


def _tsv(state: State, events: list[dict[str, Any]]) -> str:
    """``--tsv``: one row per event: start date, start time, end date, end time, title."""
    rows = []
    for ev in events:
        s, e = (t.astimezone(state.tz) for t in span(state, ev))
        rows.append(
            "\t".join(
                (s.strftime("%Y-%m-%d"), s.strftime("%H:%M"), e.strftime("%Y-%m-%d"))
                + (e.strftime("%H:%M"), str(ev["title"]))
            )
        )
    return "\n".join(rows)


def _show(state: State, events: list[dict[str, Any]], opts: dict[str, Any]) -> Res:
    if opts.get("tsv"):
        return Res(_tsv(state, events))
    return Res(_agenda_lines(state, events, bool(opts.get("details"))))


def gcalcli(state: State, tokens: list[str]) -> Res | Op:
    # Global flags may come before the subcommand (and the bare ones anywhere).
    head = [t for t in tokens if t in ("--nocolor", "--noprompt", "--military")]
    tokens = [t for t in tokens if t not in head]
    glob, tokens = _global_opts(tokens)
    if not tokens or tokens[0] in ("-h", "--help", "help"):
        raise Usage(USAGE)
    sub, args = tokens[0], tokens[1:]
    if sub == "list":
        parse_opts(args, _AGENDA, USAGE)  # options only: no arguments
        if any(not a.startswith("-") for a in args):
            raise Usage(f"list takes no arguments\n{USAGE}")
        return Res(f" Access  Title\n ------  -----\n  owner  {state.user_email}")
    if sub in ("agenda", "calw", "calm"):
        opts, pos = parse_opts(args, _AGENDA, USAGE)
        start, stop = _range(state, pos, 7 if not pos else 1)
        events = [ev for ev in sorted_events(state) if in_window(state, ev, start, stop)]
        return _show(state, events, {**glob, **opts})
    if sub == "search":
        opts, pos = parse_opts(args, _AGENDA, USAGE)
        if not pos:
            raise Usage(f"search needs a TEXT\n{USAGE}")
        lo, hi = _opt_range(state, pos[1:])
        needle = pos[0].lower()
        events = [
            ev
            for ev in sorted_events(state)
            if needle in f"{ev['title']} {ev.get('notes', '')} {ev.get('location', '')}".lower()
            and in_window(state, ev, lo, hi)
        ]
        return _show(state, events, {**glob, **opts})
    if sub == "add":
        return _add(state, args)
    if sub == "delete":
        opts, pos = parse_opts(args, _AGENDA, USAGE)
        if not pos:
            raise Usage(f"delete needs a TEXT to match event titles\n{USAGE}")
        lo, hi = _opt_range(state, pos[1:])
        events = _matching(state, pos[0], lo, hi)
        if not events:
            return err(f"No events found matching {pos[0]!r}.", 1)

        def run() -> Res:
            for ev in events:
                state.events.remove(ev)
            lines = [f"Deleted: {ev['title']} ({ev['start']})" for ev in events]
            return Res("\n".join(lines), effects=[_delete_effect(ev) for ev in events])

        return Op(["calendar.delete"] * len(events), run)
    raise Usage(f"unknown command: {sub}\n{USAGE}")


def _add(state: State, args: list[str]) -> Op:
    opts, pos = parse_opts(args, _ADD, USAGE)
    if pos:
        raise Usage(f"unexpected argument: {pos[0]}\n{USAGE}")
    title = opt_str(opts, "title")
    when = opt_str(opts, "when")
    if not title or not when:
        raise Usage(f"add needs --title and --when (and --duration)\n{USAGE}")
    start = parse_when(state, when)
    if opts.get("allday"):
        minutes = 24 * 60
    else:
        minutes = opt_int(opts, "duration", 60, USAGE)
    end = start + timedelta(minutes=minutes)
    who = opts.get("who", [])
    assert isinstance(who, list)
    fields: dict[str, Any] = {"title": title, "start": start.isoformat(), "end": end.isoformat()}
    if opt_str(opts, "where"):
        fields["location"] = opt_str(opts, "where")
    if opt_str(opts, "description"):
        fields["notes"] = opt_str(opts, "description")
    if who:
        fields["attendees"] = list(who)

    def run() -> Res:
        ev = {"id": state.new_id("evt"), **fields}
        state.events.append(ev)
        fx = effect("calendar.create", str(ev["id"]), _event_text(ev), snap(ev))
        return Res(
            f"Event created: {title}\n{start.strftime('%a %Y-%m-%d %H:%M')}-{end.strftime('%H:%M')}"
            f" (id {ev['id']})",
            effects=[fx],
        )

    return Op(["calendar.create"], run)


# -- gcal: public ClawBench's non-standard calendar CLI (reads only) ---------------------------
GCAL_USAGE = """usage:
  gcal list-events [--date DAY] [--days N] [--calendar C]   (default: today, 7 days)
  gcal list-calendars
events print in the Google Calendar API's shape; to change the calendar use gcalcli add /
gcalcli delete or the Calendar API (curl https://www.googleapis.com/calendar/v3/...)"""
_GCAL_LIST = OptSpec(date=("--date", "-d"), days=("--days",), calendar=("--calendar", "--cal"))


def gcal(state: State, tokens: list[str]) -> Res | Op:
    """``gcal list-events`` and ``gcal list-calendars``, as public ClawBench's agents call
    them. Its writes (create-event, delete-event, ...) are refused with a pointer to the
    real tools: they would be a second, unreviewed way to change the calendar."""
    if not tokens or tokens[0] in ("-h", "--help", "help"):
        raise Usage(GCAL_USAGE)
    sub, args = tokens[0], tokens[1:]
    if sub == "list-calendars":
        if args:
            raise Usage(f"list-calendars takes no arguments\n{GCAL_USAGE}")
        item = {"id": state.user_email, "primary": True, "summary": state.user_email}
        return Res(json.dumps({"kind": "calendar#calendarList", "items": [item]}, indent=2))
    if sub == "list-events":
        opts, pos = parse_opts(args, _GCAL_LIST, GCAL_USAGE)
        if pos:
            raise Usage(f"unexpected argument: {pos[0]}\n{GCAL_USAGE}")
        day = opt_str(opts, "date")
        lo = parse_when(state, day) if day else parse_when(state, "today")
        lo = datetime.combine(lo.date(), time(), tzinfo=state.tz)
        days = opt_int(opts, "days", 1 if day else 7, GCAL_USAGE)
        hi = lo + timedelta(days=days)
        items = [gevent(ev) for ev in sorted_events(state) if in_window(state, ev, lo, hi)]
        body = {"kind": "calendar#events", "timeZone": str(state.tz), "items": items}
        return Res(json.dumps(body, indent=2, ensure_ascii=False))
    if sub in ("create-event", "delete-event", "update-event", "add", "delete"):
        raise Usage(f"gcal {sub}: not available here (reads only)\n{GCAL_USAGE}")
    raise Usage(f"unknown command: {sub}\n{GCAL_USAGE}")
