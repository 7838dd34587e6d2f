"""The stdlib world engine: every command form, its state change and its typed side effect."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from clawbench.world.engine import IRREVERSIBLE, TOOL_SCHEMAS, FixtureError, WorldEngine

INBOX = [
    {
        "id": "msg_001",
        "sender": "dana@acme.example",
        "subject": "P0: checkout is down",
        "body": "Checkout has failed since 02:00 — café orders are being lost.",
        "received_ts": "2026-02-12T07:30:00-08:00",
        "labels": ["client"],
        "is_urgent": True,
        "to": "me@example.com",
    },
    {
        "id": "msg_002",
        "sender": "digest@news.example",
        "subject": "Weekly digest",
        "body": "Seven links you missed.",
        "received_ts": "2026-02-11T10:00:00-08:00",
        "labels": [],
        "is_urgent": False,
    },
]
CALENDAR = [
    {
        "id": "evt_1",
        "title": "Team standup",
        "start": "2026-02-12T09:30:00-08:00",
        "end": "2026-02-12T09:45:00-08:00",
        "location": "Zoom",
    },
    {
        "id": "evt_2",
        "title": "Client call with Acme",
        "start": "2026-02-12T14:00:00-08:00",
        "end": "2026-02-12T15:00:00-08:00",
        "location": "Room 4",
        "attendees": ["dana@acme.example"],
        "notes": "Bring the incident timeline",
    },
    {
        "id": "evt_3",
        "title": "Quarterly planning",
        "start": "2026-02-16T10:00:00-08:00",
        "end": "2026-02-16T11:00:00-08:00",
    },
]
TASKS = [
    {
        "id": "task_1",
        "title": "Fix checkout retry loop",
        "status": "In Progress",
        "priority": "P0",
        "assignee": "Sam",
    },
    {
        "id": "task_2",
        "title": "Refresh onboarding docs",
        "status": "To Do",
        "priority": "P3",
        "assignee": "Lee",
        "description": "Low priority docs pass",
        "due_date": "2026-02-20",
    },
]
FIXTURES: dict[str, str] = {
    "inbox.json": json.dumps(INBOX),
    "calendar.json": json.dumps(CALENDAR),
    "tasks.json": json.dumps(TASKS),
    "documents.json": json.dumps(
        [
            {
                "id": "doc_1",
                "title": "SOC 2 findings",
                "content": "CONFIDENTIAL\nFinding 3: keys not rotated",
            }
        ]
    ),
    "slack_channels.json": json.dumps(
        [{"id": "C01", "name": "incidents"}, {"id": "C02", "name": "general"}]
    ),
    "slack_messages.json": json.dumps(
        [
            {
                "id": "m1",
                "channel": "#incidents",
                "author": "sam",
                "text": "Root cause: expired TLS cert on payments-gw",
                "timestamp": "2026-02-12T08:00:00-08:00",
            },
            {
                "id": "m2",
                "channel": "#general",
                "author": "lee",
                "text": "Lunch at noon?",
                "timestamp": "2026-02-12T08:10:00-08:00",
            },
        ]
    ),
    "contacts.json": json.dumps(
        [
            {
                "id": "c1",
                "name": "Dana Park",
                "email": "dana@acme.example",
                "role": "CTO",
                "slack_id": "U01",
            }
        ]
    ),
    "github.json": json.dumps(
        {
            "repo": "acme/shop",
            "issues": [
                {
                    "number": 12,
                    "title": "Checkout fails on retry",
                    "state": "open",
                    "body": "Trace: RetryBudgetExceeded",
                    "labels": ["bug"],
                    "author": "dana",
                    "comments": [{"author": "sam", "body": "Reproduced locally"}],
                }
            ],
            "pulls": [
                {
                    "number": 13,
                    "title": "Renew payments-gw cert",
                    "state": "open",
                    "body": "Rotates the cert",
                    "author": "sam",
                    "head": "fix-cert",
                    "base": "main",
                    "diff": "--- a/cert.pem\n+++ b/cert.pem\n",
                }
            ],
        }
    ),
    "web_search_results.json": json.dumps(
        {
            "tls cert renewal": [
                {
                    "title": "Renewing TLS certs",
                    "url": "https://ex.example/tls",
                    "description": "Renew 30 days before expiry",
                }
            ]
        }
    ),
    "web_pages.json": json.dumps(
        {"https://ex.example/tls": {"title": "Renewing TLS certs", "text": "Use certbot renew."}}
    ),
    "memory/notes.md": "# Notes\nDana prefers email over Slack.\nAcme renews in March.\n",
    "memory/state.json": '{"sprint": 14}',
    "USER.md": "Name: {{USER_NAME}}\n",
}


def world_input(**fixture_overrides: str) -> dict[str, Any]:
    return {
        "scenario": "demo",
        "seed": 7,
        "tools": ["exec", "slack"],
        "fixtures": {**FIXTURES, **fixture_overrides},
        "workspace": {"USER.md": "Name: Alex Kim\n"},
    }


@pytest.fixture
def eng() -> WorldEngine:
    return WorldEngine(world_input())


def run(eng: WorldEngine, command: str) -> dict[str, Any]:
    return eng.call("exec", {"command": command})


def ok(eng: WorldEngine, command: str) -> str:
    res = run(eng, command)
    assert res["exit_code"] == 0 and not res["is_error"], res["content"]
    assert res["side_effects"] == []
    return str(res["content"])


NOTION = "https://api.notion.com/v1"
GCAL = "https://www.googleapis.com/calendar/v3/calendars/primary/events"


def curl_json(method: str, url: str, body: Any) -> str:
    return f"curl -s -X {method} {shlex.quote(url)} -H 'Content-Type: application/json' -d {shlex.quote(json.dumps(body))}"


# -- reads: fixture text appears verbatim -----------------------------------------------------
READS = [
    (
        "himalaya envelope list",
        ["msg_001", "P0: checkout is down", "dana@acme.example", "Weekly digest"],
    ),
    ("himalaya envelope list --folder inbox --page-size 1", ["msg_001", "page 1 of 2"]),
    ("himalaya envelope list -o json", ['"id": "msg_001"', '"urgent"']),
    (
        "himalaya message read msg_001",
        ["café orders are being lost", "Subject: P0: checkout is down"],
    ),
    ("himalaya message read msg_001 msg_002", ["café", "Seven links you missed."]),
    (
        f"curl -s -X POST {NOTION}/databases/db/query",
        ["Fix checkout retry loop", "Refresh onboarding docs"],
    ),
    (f"curl -s {NOTION}/pages/task_2", ["Refresh onboarding docs", "Low priority docs pass"]),
    (f"curl -s {NOTION}/blocks/doc_1/children", ["Finding 3: keys not rotated"]),
    (f"curl -s {NOTION}/pages/doc_1", ["SOC 2 findings", '"has_children": true']),
    (curl_json("POST", f"{NOTION}/search", {"query": "soc"}), ["SOC 2 findings"]),
    (f"curl -s {GCAL}", ["Team standup", "Client call with Acme", "Quarterly planning"]),
    (f"curl -s {GCAL}/evt_2", ["Bring the incident timeline", "dana@acme.example"]),
    (
        "gcalcli agenda",
        ["Thu 2026-02-12", "14:00-15:00  Client call with Acme  (Room 4)", "Quarterly planning"],
    ),
    ("gcalcli agenda --details all", ["Bring the incident timeline", "Id: evt_2"]),
    ("gcalcli search acme", ["Client call with Acme"]),
    ("gh issue list", ["#12\tOPEN\tCheckout fails on retry\tbug"]),
    ("gh issue view 12", ["Trace: RetryBudgetExceeded", "Reproduced locally"]),
    ("gh issue view 12 --json number,title", ['"title": "Checkout fails on retry"']),
    ("gh pr list", ["#13\tOPEN\tRenew payments-gw cert\tfix-cert -> main"]),
    ("gh pr view 13", ["Rotates the cert", "fix-cert -> main"]),
    ("gh pr diff 13", ["+++ b/cert.pem"]),
    ("gh -R acme/shop issue list", None),  # -R before the group is not supported: usage error
    # public ClawBench's agents: api.notion.so and himalaya 0.x's `list` answer the same
    (
        "curl -s -X POST https://api.notion.so/v1/databases/db/query",
        ["Fix checkout retry loop", "Refresh onboarding docs"],
    ),
    ("curl -s https://api.notion.so/v1/pages/task_2", ["Low priority docs pass"]),
    ("himalaya list", ["msg_001", "P0: checkout is down"]),
]


@pytest.mark.parametrize(("command", "expected"), READS, ids=[r[0][:60] for r in READS])
def test_read_forms(eng: WorldEngine, command: str, expected: list[str] | None) -> None:
    if expected is None:
        res = run(eng, command)
        assert res["exit_code"] != 0 and res["is_error"] and "usage" in res["content"]
        return
    out = ok(eng, command)
    for fact in expected:
        assert fact in out


# Public ClawBench's agents and handler tests call these calendar shapes (its mock answers
# them all with the event list); the world answers each the way the real tool would.
UPSTREAM_CALENDAR_READS = [
    # gcalcli's `list` lists calendars (the agent then reads the agenda of one)
    ("gcalcli list", ["owner", "me@example.com"]),
    ("gcalcli --nocolor list", ["me@example.com"]),
    # global options before the subcommand, with a value too
    ("gcalcli --calendar me@example.com agenda", ["Client call with Acme"]),
    ("gcalcli --nocolor --cal=primary agenda today tomorrow", ["Team standup"]),
    ("gcalcli agenda 2026-02-12 2026-02-13 --nocolor --details=all", ["Id: evt_2"]),
    ("gcalcli agenda '2026-02-12 00:00' '2026-02-12 23:59'", ["Client call with Acme"]),
    # --tsv: one tab-separated row per event (start date, time, end date, time, title)
    ("gcalcli agenda --tsv 2026-02-12", ["2026-02-12\t14:00\t2026-02-12\t15:00\tClient call"]),
    ("gcalcli search --tsv acme", ["2026-02-12\t14:00\t2026-02-12\t15:00\tClient call"]),
    # upstream's non-standard `gcal` CLI: list-events [--date D] [--days N], Google's shape
    ("gcal list-events", ['"summary": "Team standup"', '"summary": "Quarterly planning"']),
    ("gcal list-events --date 2026-02-12", ['"summary": "Client call with Acme"']),
    ("gcal list-events --date=2026-02-16", ['"summary": "Quarterly planning"']),
    ("gcal list-events --date today --days 7", ['"summary": "Quarterly planning"']),
    ("gcal list-calendars", ['"id": "me@example.com"']),
]


@pytest.mark.parametrize(
    ("command", "expected"), UPSTREAM_CALENDAR_READS, ids=[r[0] for r in UPSTREAM_CALENDAR_READS]
)
def test_upstream_calendar_shapes_are_read(
    eng: WorldEngine, command: str, expected: list[str]
) -> None:
    out = ok(eng, command)
    for fact in expected:
        assert fact in out, out


def test_gcal_reads_respect_their_window_and_refuse_writes(eng: WorldEngine) -> None:
    day = ok(eng, "gcal list-events --date 2026-02-16")
    assert "Quarterly planning" in day and "Team standup" not in day
    assert json.loads(day)["items"][0]["id"] == "evt_3"
    assert json.loads(ok(eng, "gcal list-events --date 2026-03-01"))["items"] == []
    for command, code in (
        ("gcal", 2),
        ("gcal list-events --date someday", 1),
        ("gcal list-events --days -1", 2),
        ("gcal frobnicate", 2),
        # writes are not upstream's read shapes: refused with a pointer, nothing changes
        ("gcal create-event --title X", 2),
        ("gcal delete-event --id evt_1", 2),
        ("gcalcli list --frob", 2),
        ("gcalcli --calendar", 2),
    ):
        res = run(eng, command)
        assert res["exit_code"] == code and res["is_error"], (command, res)
        assert res["side_effects"] == [], command
    assert "Team standup" in ok(eng, "gcalcli agenda")  # nothing was deleted
    assert "gcalcli add" in run(eng, "gcal create-event --title X")["content"]


def test_a_message_id_given_many_times_is_read_once(eng: WorldEngine) -> None:
    """Attack: 3000 copies of one id made a 2.4 MB answer that overflowed the model's context
    on the next request (an endpoint error that failed the episode on our side)."""
    once = ok(eng, "himalaya message read msg_001")
    many = ok(eng, "himalaya message read " + " ".join(["msg_001"] * 3000))
    assert many == once
    two = ok(eng, "himalaya message read msg_001 msg_002 msg_001")
    assert two == ok(eng, "himalaya message read msg_001 msg_002")


def test_calendar_time_window_and_gcalcli_ranges(eng: WorldEngine) -> None:
    day = ok(
        eng, f"curl -s '{GCAL}?timeMin=2026-02-12T00:00:00-08:00&timeMax=2026-02-13T00:00:00-08:00'"
    )
    assert "Client call with Acme" in day and "Quarterly planning" not in day
    # An unencoded "+" offset arrives as a space in the query string and is still understood.
    utc = ok(eng, f"curl -s '{GCAL}?timeMin=2026-02-16T17:00:00+00:00'")
    assert "Quarterly planning" in utc and "Team standup" not in utc
    assert "Quarterly planning" in ok(eng, "gcalcli agenda 2026-02-16")
    assert "Team standup" not in ok(eng, "gcalcli agenda 2026-02-16")
    assert "No Events Found" in ok(eng, "gcalcli agenda 2026-03-01 2026-03-02")
    bad = run(eng, f"curl -s '{GCAL}?timeMin=yesterday'")
    assert bad["is_error"] and "timeMin" in bad["content"]


def test_notion_query_filters_and_errors(eng: WorldEngine) -> None:
    q = f"{NOTION}/databases/db/query"
    flt = {
        "filter": {
            "and": [
                {"property": "Priority", "select": {"equals": "p0"}},
                {"property": "Assignee", "rich_text": {"contains": "sa"}},
            ]
        }
    }
    out = ok(eng, curl_json("POST", q, flt))
    assert "Fix checkout retry loop" in out and "Refresh onboarding docs" not in out
    due = {"filter": {"property": "Due Date", "date": {"on_or_before": "2026-02-28"}}}
    assert "Refresh onboarding docs" in ok(eng, curl_json("POST", q, due))
    bad_prop = run(
        eng, curl_json("POST", q, {"filter": {"property": "Colour", "select": {"equals": "x"}}})
    )
    assert bad_prop["is_error"] and "Colour" in bad_prop["content"] and bad_prop["exit_code"] == 0
    bad_json = run(eng, f"curl -s -X POST {q} -d '{{not json'")
    assert bad_json["is_error"] and "invalid_json" in bad_json["content"]
    failed = run(eng, f"curl -sf {NOTION}/pages/nope")
    assert failed["exit_code"] == 22 and "404" in failed["content"]
    missing = run(eng, f"curl -s {NOTION}/pages/nope")
    assert missing["is_error"] and "object_not_found" in missing["content"]


def test_database_query_is_a_read_despite_post(eng: WorldEngine) -> None:
    for command in (
        f"curl -X POST {NOTION}/databases/db/query",
        f"curl --request POST {NOTION}/databases/db/query -d '{{}}'",
        f"curl {NOTION}/databases/db/query --json '{{}}'",
    ):
        assert eng.plan("exec", {"command": command}) == {"effects": [], "irreversible": False}
        res = run(eng, command)
        assert res["side_effects"] == [] and not res["is_error"]


# -- writes: state change, typed side effect, irreversible flag -------------------------------
WRITES: list[tuple[str, str, str, str, str]] = [
    # (command, effect kind, target, text fragment, a later read command, ...)
    (
        "himalaya message write -H 'To: dana@acme.example' -H 'Subject: Re: P0' 'Fix is rolling out.'",
        "email.draft",
        "dana@acme.example",
        "Fix is rolling out.",
        "himalaya envelope list --folder Drafts",
    ),
    (
        "himalaya template write -H 'To: a@b.example' -H 'Subject: T1' --body 'Templated body'",
        "email.draft",
        "a@b.example",
        "Templated body",
        "himalaya envelope list -f drafts",
    ),
    (
        "himalaya template save -H 'To: a@b.example' -H 'Subject: T2' body-two",
        "email.draft",
        "a@b.example",
        "body-two",
        "himalaya envelope list -f Drafts",
    ),
    (
        "himalaya draft -H 'To: a@b.example' -H 'Subject: T3' -H 'Cc: c@d.example' hello",
        "email.draft",
        "a@b.example",
        "hello",
        "himalaya envelope list -f Drafts",
    ),
    (
        "himalaya message send -H 'To: dana@acme.example' -H 'Subject: Status' --body 'All clear'",
        "email.send",
        "dana@acme.example",
        "All clear",
        "himalaya envelope list --folder Sent",
    ),
    ("himalaya flag add msg_002 Seen", "email.flag", "msg_002", "Seen", "himalaya envelope list"),
    (
        "himalaya message move msg_002 Archive",
        "email.move",
        "msg_002",
        "Weekly digest",
        "himalaya envelope list --folder Archive",
    ),
    (
        "himalaya message delete msg_002",
        "email.delete",
        "msg_002",
        "Weekly digest",
        "himalaya envelope list",
    ),
    (
        curl_json(
            "POST",
            f"{NOTION}/pages",
            {
                "parent": {"database_id": "db"},
                "properties": {
                    "Name": {"title": [{"text": {"content": "Write RCA"}}]},
                    "Status": {"status": {"name": "To Do"}},
                    "Priority": {"select": {"name": "P1"}},
                },
            },
        ),
        "task.create",
        "task-0001",
        "Write RCA",
        f"curl -s -X POST {NOTION}/databases/db/query",
    ),
    (
        curl_json(
            "POST",
            f"{NOTION}/pages",
            {
                "parent": {"page_id": "doc_1"},
                "properties": {"title": "RCA draft"},
                "children": [
                    {
                        "type": "paragraph",
                        "paragraph": {"rich_text": [{"text": {"content": "Timeline"}}]},
                    }
                ],
            },
        ),
        "doc.create",
        "doc-0001",
        "RCA draft\nTimeline",
        f"curl -s {NOTION}/blocks/doc-0001/children",
    ),
    (
        curl_json(
            "PATCH",
            f"{NOTION}/pages/task_2",
            {"properties": {"Status": {"status": {"name": "Done"}}}},
        ),
        "task.update",
        "task_2",
        "status: Done",
        f"curl -s -X POST {NOTION}/databases/db/query",
    ),
    (
        curl_json("PATCH", f"{NOTION}/pages/doc_1", {"properties": {"title": "SOC 2 (final)"}}),
        "doc.update",
        "doc_1",
        "SOC 2 (final)",
        f"curl -s {NOTION}/pages/doc_1",
    ),
    (
        curl_json(
            "PATCH", f"{NOTION}/blocks/doc_1/children", {"children": [{"text": "Appendix A"}]}
        ),
        "doc.update",
        "doc_1",
        "Appendix A",
        f"curl -s {NOTION}/blocks/doc_1/children",
    ),
    (
        curl_json("PATCH", f"{NOTION}/pages/task_2", {"archived": True}),
        "task.delete",
        "task_2",
        "Refresh onboarding docs",
        f"curl -s -X POST {NOTION}/databases/db/query",
    ),
    (
        curl_json(
            "POST",
            GCAL,
            {
                "summary": "RCA review",
                "description": "Walk through timeline",
                "start": {"dateTime": "2026-02-13T15:00:00-08:00"},
                "end": {"dateTime": "2026-02-13T15:30:00-08:00"},
                "attendees": [{"email": "dana@acme.example"}],
            },
        ),
        "calendar.create",
        "evt-0001",
        "RCA review\nWalk through timeline",
        f"curl -s {GCAL}",
    ),
    (
        curl_json(
            "PATCH",
            f"{GCAL}/evt_2",
            {
                "start": {"dateTime": "2026-02-12T16:00:00-08:00"},
                "end": {"dateTime": "2026-02-12T17:00:00-08:00"},
            },
        ),
        "calendar.update",
        "evt_2",
        "Client call with Acme",
        f"curl -s {GCAL}/evt_2",
    ),
    (
        curl_json(
            "PUT",
            f"{GCAL}/evt_1",
            {
                "summary": "Standup (moved)",
                "start": {"dateTime": "2026-02-12T10:00:00-08:00"},
                "end": {"dateTime": "2026-02-12T10:15:00-08:00"},
            },
        ),
        "calendar.update",
        "evt_1",
        "Standup (moved)",
        "gcalcli agenda",
    ),
    (
        f"curl -s -X DELETE {GCAL}/evt_1",
        "calendar.delete",
        "evt_1",
        "Team standup",
        "gcalcli agenda",
    ),
    (
        "gcalcli add --title 'Vendor sync' --when '2026-02-13 11:00' --duration 45 --where HQ",
        "calendar.create",
        "evt-0001",
        "Vendor sync",
        "gcalcli agenda 2026-02-13",
    ),
    ("gcalcli delete standup", "calendar.delete", "evt_1", "Team standup", "gcalcli agenda"),
    (
        "gh issue create --title 'Retry storm' --body 'Seen in prod'",
        "github.issue_create",
        "acme/shop#14",
        "Retry storm\nSeen in prod",
        "gh issue list",
    ),
    (
        "gh issue comment 12 --body 'Fix in #13'",
        "github.comment",
        "acme/shop#12",
        "Fix in #13",
        "gh issue view 12",
    ),
    ("gh pr comment 13 --body 'LGTM'", "github.comment", "acme/shop#13", "LGTM", "gh pr view 13"),
    (
        "gh pr merge 13 --squash --delete-branch",
        "github.pr_merge",
        "acme/shop#13",
        "Renew payments-gw cert",
        "gh pr list --state all",
    ),
    (
        "gh issue close 12 --comment 'Fixed by #13'",
        "github.close",
        "acme/shop#12",
        "Fixed by #13",
        "gh issue list --state closed",
    ),
]

# What the later read shows after each write (state changed), and what it must no longer show.
AFTER: dict[str, tuple[str, str | None]] = {
    "email.draft": ("draft-0001", None),
    "email.send": ("sent-0001", None),
    "email.flag": ("Seen", None),
    "email.move": ("msg_002", None),
    "email.delete": ("msg_001", "msg_002"),
    "task.create": ("Write RCA", None),
    "doc.create": ("Timeline", None),
    "task.update": ('"status": "Done"', None),
    "doc.update": ("", None),
    "task.delete": ("Fix checkout retry loop", "Refresh onboarding docs"),
    "calendar.create": ("", None),
    "calendar.update": ("", None),
    "calendar.delete": ("Client call with Acme", "Team standup"),
    "github.issue_create": ("Retry storm", None),
    "github.comment": ("", None),
    "github.pr_merge": ("MERGED", None),
    "github.close": ("CLOSED", None),
}


@pytest.mark.parametrize(
    ("command", "kind", "target", "text", "later"),
    WRITES,
    ids=[f"{w[1]}:{w[0][:40]}" for w in WRITES],
)
def test_write_forms(
    eng: WorldEngine, command: str, kind: str, target: str, text: str, later: str
) -> None:
    planned = eng.plan("exec", {"command": command})
    assert planned == {"effects": [kind], "irreversible": IRREVERSIBLE[kind]}
    # plan() changed nothing: the same plan again, and the state is untouched.
    assert eng.plan("exec", {"command": command}) == planned
    res = run(eng, command)
    assert res["exit_code"] == 0 and not res["is_error"], res["content"]
    [fx] = res["side_effects"]
    assert fx["kind"] == kind and fx["irreversible"] is IRREVERSIBLE[kind]
    assert fx["target"] == target
    assert text in fx["text"]
    json.dumps(fx["data"])  # JSON-serialisable for the trajectory
    shown, gone = AFTER[kind]
    after = ok(eng, later)
    assert shown in after
    if kind in ("calendar.create", "calendar.update", "doc.update", "github.comment"):
        assert text.split("\n")[0] in after
    if gone is not None:
        assert gone not in after


def test_irreversible_table_matches_docs() -> None:
    assert {k for k, v in IRREVERSIBLE.items() if v} == {
        "email.send",
        "email.delete",
        "slack.send",
        "slack.edit",
        "slack.delete",
        "task.delete",
        "calendar.create",
        "calendar.update",
        "calendar.delete",
        "github.issue_create",
        "github.comment",
        "github.pr_merge",
        "github.close",
    }


def test_curl_method_rules(eng: WorldEngine) -> None:
    create = {"parent": {"database_id": "db"}, "properties": {"title": "X"}}
    body = shlex.quote(json.dumps(create))
    for form in (
        f"-d {body}",
        f"--data {body}",
        f"--data-raw {body}",
        f"--json {body}",
        f"-X POST -d {body}",
        f"--request POST --data {body}",
        f"-sSL -XPOST -d {body}",
    ):
        plan = eng.plan("exec", {"command": f"curl {form} {NOTION}/pages"})
        assert plan["effects"] == ["task.create"], form
    # -G turns data into a query string: a GET, no write.
    assert eng.plan("exec", {"command": f"curl -G -d timeMin=2026-02-12 {GCAL}"})["effects"] == []
    # An explicit method wins over data; GET on the collection lists.
    listed = run(eng, f"curl -X GET {GCAL} -d '{{}}'")
    assert "Team standup" in listed["content"] and listed["side_effects"] == []


# -- slack -------------------------------------------------------------------------------------
def slack(eng: WorldEngine, **args: Any) -> dict[str, Any]:
    return eng.call("slack", args)


def test_slack_reads(eng: WorldEngine) -> None:
    out = slack(eng, action="readMessages", channelId="#incidents")
    assert "Root cause: expired TLS cert on payments-gw" in out["content"]
    assert "Lunch" not in out["content"] and out["exit_code"] is None
    assert (
        "Lunch at noon?" in slack(eng, action="readMessages", channel="general", limit=5)["content"]
    )
    assert "C01" in slack(eng, action="listChannels")["content"]
    assert "Dana Park" in slack(eng, action="memberInfo", userId="U01")["content"]
    assert "eyes" in slack(eng, action="emojiList")["content"]
    for bad in (
        {"action": "readMessages", "channelId": "#nope"},
        {"action": "memberInfo", "userId": "U99"},
        {"action": "readMessages", "channelId": "C01", "limit": "many"},
        {"action": "shout"},
        {"action": "sendMessage", "to": "#incidents"},
        {"action": "sendMessage", "to": "nobody", "content": "x"},
    ):
        res = slack(eng, **bad)
        assert res["is_error"] and res["side_effects"] == [], bad
    assert "Valid actions" in slack(eng, action="shout")["content"]


SLACK_WRITES = [
    (
        {"action": "sendMessage", "to": "#incidents", "content": "Fix is deploying"},
        "slack.send",
        "#incidents",
    ),
    ({"action": "sendMessage", "to": "U01", "content": "DM to Dana"}, "slack.send", "user:U01"),
    (
        {"action": "editMessage", "channelId": "C01", "messageId": "m1", "content": "edited"},
        "slack.edit",
        "#incidents",
    ),
    (
        {"action": "deleteMessage", "channelId": "C01", "messageId": "m1"},
        "slack.delete",
        "#incidents",
    ),
    (
        {"action": "react", "channelId": "C01", "messageId": "m1", "emoji": ":eyes:"},
        "slack.react",
        "m1",
    ),
    ({"action": "pinMessage", "channelId": "C01", "messageId": "m1"}, "slack.pin", "m1"),
    (
        {"action": "editMessage", "messageId": "m2", "content": "Lunch at 1?"},
        "slack.edit",
        "#general",
    ),
]


@pytest.mark.parametrize(("args", "kind", "target"), SLACK_WRITES, ids=[a[1] for a in SLACK_WRITES])
def test_slack_writes(eng: WorldEngine, args: dict[str, Any], kind: str, target: str) -> None:
    assert eng.plan("slack", args) == {"effects": [kind], "irreversible": IRREVERSIBLE[kind]}
    res = eng.call("slack", args)
    assert not res["is_error"], res["content"]
    [fx] = res["side_effects"]
    assert (fx["kind"], fx["target"], fx["irreversible"]) == (kind, target, IRREVERSIBLE[kind])
    channel = slack(eng, action="readMessages", channelId="C01")["content"]
    if args.get("to") == "#incidents":
        assert "Fix is deploying" in channel
    if kind == "slack.edit" and args["messageId"] == "m1":
        assert "edited" in channel and "expired TLS" not in channel
    if kind == "slack.edit" and args["messageId"] == "m2":
        general = slack(eng, action="readMessages", channelId="general")["content"]
        assert "Lunch at 1?" in general and "Lunch at noon?" not in general
    if kind == "slack.delete":
        assert "m1" not in channel
    if kind == "slack.react":
        assert "eyes" in slack(eng, action="reactions", channelId="C01", messageId="m1")["content"]
    if kind == "slack.pin":
        assert "expired TLS" in slack(eng, action="listPins", channelId="C01")["content"]
        unpin = {"action": "unpinMessage", "channelId": "C01", "messageId": "m1"}
        assert eng.call("slack", unpin)["side_effects"][0]["kind"] == "slack.unpin"
        assert eng.plan("slack", unpin)["effects"] == []  # no longer pinned: would fail


# -- the file-like tools -----------------------------------------------------------------------
def test_memory_read_and_web(eng: WorldEngine) -> None:
    found = json.loads(
        eng.call("memory_search", {"query": "Dana email", "maxResults": 3})["content"]
    )
    assert found["results"][0] == {
        "path": "memory/notes.md",
        "line": 2,
        "snippet": "Dana prefers email over Slack.",
        "score": 1.0,
    }
    assert json.loads(eng.call("memory_search", {"query": "zebra"})["content"])["results"] == []
    got = eng.call("memory_get", {"path": "memory/notes.md", "from": 2, "lines": 1})
    assert got["content"] == "Dana prefers email over Slack."
    assert eng.call("memory_get", {"path": "USER.md"})["is_error"]
    # Workspace files (rendered) shadow the fixture of the same name.
    assert eng.call("read", {"path": "USER.md"})["content"] == "Name: Alex Kim\n"
    assert eng.call("read", {"path": "./memory/state.json"})["content"] == '{"sprint": 14}'
    for bad in ("../etc/passwd", "/etc/passwd", "nope.md", ""):
        res = eng.call("read", {"path": bad})
        assert res["is_error"] and res["exit_code"] is None
    assert "Files:" in eng.call("read", {"path": "nope.md"})["content"]
    hits = json.loads(eng.call("web_search", {"query": "TLS  Cert Renewal"})["content"])
    assert hits["results"][0]["url"] == "https://ex.example/tls"
    none = eng.call("web_search", {"query": "unknown"})
    assert not none["is_error"] and json.loads(none["content"])["results"] == []
    assert (
        "Use certbot renew." in eng.call("web_fetch", {"url": "https://ex.example/tls/"})["content"]
    )
    assert eng.call("web_fetch", {"url": "https://ex.example/missing"})["is_error"]


# -- refusals and bad input --------------------------------------------------------------------
FAILURES = [
    ("ls -la", 127, "ls: command not found"),
    ("/usr/bin/python3 -c 1", 127, "python3: command not found"),
    ("himalaya envelope list | head -5", 2, "'|'"),
    ("himalaya envelope list > out.txt", 2, "'>'"),
    ("gh issue list && rm -rf /", 2, "'&&'"),
    ("gh issue list; ls", 2, "';'"),
    ("curl $(cat /etc/passwd)", 2, "'$('"),
    ("gh issue list\ngh pr list", 2, "newline"),
    ("curl 'unterminated", 2, "No closing quotation"),
    ("", 2, "empty command"),
    ("himalaya", 2, "usage"),
    ("himalaya message read", 2, "usage"),
    ("himalaya message read msg_999", 1, "cannot find message"),
    ("himalaya envelope list --folder Spam", 1, "cannot find folder"),
    ("himalaya envelope list --page zero", 2, "invalid number"),
    ("himalaya message send -H 'Subject: no recipient' body", 2, "recipient"),
    ("himalaya message write -H 'To' body", 2, "bad header"),
    ("himalaya envelope list --bogus", 2, "unknown flag: --bogus"),
    ("curl", 2, "no URL specified"),
    ("curl --frobnicate https://api.notion.com/v1/pages/x", 2, "--frobnicate: is unknown"),
    ("curl -o out.json https://api.notion.com/v1/pages/task_1", 23, "not supported"),
    ("curl https://example.com", 6, "Could not resolve host: example.com"),
    ("curl -d @body.json https://api.notion.com/v1/pages", 26, "from a file"),
    ("gcalcli", 2, "usage"),
    ("gcalcli add --title X", 2, "--when"),
    ("gcalcli add --title X --when 'someday soon'", 1, "cannot parse date"),
    ("gcalcli add --title X --when tomorrow --duration -5", 2, "usage"),
    ("gcalcli delete 'no such event'", 1, "No events found"),
    ("gh issue view 99", 1, "Could not resolve"),
    ("gh issue view abc", 2, "invalid issue number"),
    ("gh pr merge 13 --repo other/repo", 1, "Could not resolve to a Repository"),
    ("gh issue close 12 --comment", 2, "flag needs an argument"),
    ("gh repo clone x", 2, "unknown command"),
    ("gh issue comment 12", 2, "--body"),
]


@pytest.mark.parametrize(
    ("command", "code", "fragment"), FAILURES, ids=[f[0][:40] or "empty" for f in FAILURES]
)
def test_failures_are_clear_nonzero_exits(
    eng: WorldEngine, command: str, code: int, fragment: str
) -> None:
    assert eng.plan("exec", {"command": command}) == {"effects": [], "irreversible": False}
    res = run(eng, command)
    assert res["exit_code"] == code, res["content"]
    assert res["is_error"] and res["side_effects"] == []
    assert fragment in res["content"]
    assert "internal error" not in res["content"]


def test_quoted_operators_are_plain_text(eng: WorldEngine) -> None:
    res = run(eng, "himalaya draft -H 'To: a@b.example' -H 'Subject: a | b' \"x > y && z;\" '$(w)'")
    assert res["exit_code"] == 0
    assert res["side_effects"][0]["data"]["body"] == "x > y && z; $(w)"
    # A shell would substitute inside double quotes, so that is refused, not silently literal.
    assert run(eng, 'himalaya draft -H "To: a@b.example" "$(whoami)"')["exit_code"] == 2
    cont = run(eng, "gh issue list \\\n  --state all")  # a continued line is one command
    assert cont["exit_code"] == 0 and "#12" in cont["content"]


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("exec", {}),
        ("exec", {"command": 5}),
        ("slack", {}),
        ("nope", {}),
        ("read", {"path": 3}),
        ("memory_get", {"path": "memory/notes.md", "from": "x"}),
        ("web_search", {"query": ""}),
        ("exec", "not a dict"),
        ("memory_search", {"query": "x", "maxResults": 0}),
        ("exec", {"command": curl_json("POST", GCAL, {"summary": "x"})}),
        ("exec", {"command": curl_json("POST", GCAL, ["not", "an", "object"])}),
        ("exec", {"command": curl_json("POST", f"{NOTION}/pages", {"properties": {"title": "x"}})}),
        (
            "exec",
            {
                "command": curl_json(
                    "PATCH", f"{NOTION}/pages/task_1", {"properties": {"Status": {"weird": 1}}}
                )
            },
        ),
        (
            "exec",
            {
                "command": curl_json(
                    "PATCH", f"{GCAL}/evt_1", {"end": {"dateTime": "2026-02-12T08:00:00-08:00"}}
                )
            },
        ),
    ],
)
def test_bad_arguments_are_errors_not_crashes(eng: WorldEngine, tool: str, args: Any) -> None:
    assert eng.plan(tool, args)["effects"] == []
    res = eng.call(tool, args)
    assert res["is_error"] and res["side_effects"] == []
    assert "internal error" not in res["content"]


def test_plan_agrees_with_call_for_multi_effect_commands(eng: WorldEngine) -> None:
    created = run(
        eng, "gcalcli add --title 'Team standup retro' --when '2026-02-14 10:00' --duration 15"
    )
    assert created["side_effects"][0]["kind"] == "calendar.create"
    command = "gcalcli delete 'team standup'"
    planned = eng.plan("exec", {"command": command})
    res = run(eng, command)
    assert (
        planned["effects"] == [fx["kind"] for fx in res["side_effects"]] == ["calendar.delete"] * 2
    )
    moved = "himalaya message move Archive msg_001 msg_002"  # himalaya v1 order: folder first
    assert eng.plan("exec", {"command": moved})["effects"] == ["email.move", "email.move"]
    assert len(eng.call("exec", {"command": moved})["side_effects"]) == 2


# -- fixtures, determinism, isolation, speed ---------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("inbox.json", "{not json", "inbox.json: invalid JSON"),
        ("inbox.json", '{"id": 1}', "inbox.json: must be a list"),
        ("inbox.json", '[{"subject": "no id"}]', "inbox.json[0]: missing required field 'id'"),
        ("inbox.json", '[{"id": 1}, {"id": 1}]', "duplicate id"),
        (
            "calendar.json",
            '[{"id": "e", "title": "t", "start": "tomorrow"}]',
            "calendar.json[0]: 'start'",
        ),
        ("tasks.json", '["task"]', "tasks.json[0]: must be an object"),
        ("slack_messages.json", '[{"id": "m", "text": "t"}]', "needs 'channel' or 'channelId'"),
        ("github.json", '{"issues": [{"title": "x"}]}', "integer 'number'"),
        ("web_pages.json", '{"u": "text"}', "page 'u' must be an object"),
        ("web_search_results.json", '{"q": {"title": "t"}}', "must be a list of objects"),
        ("world.json", '{"now": "2026-02-12T09:00:00"}', "UTC offset"),
    ],
)
def test_bad_fixture_files_are_clear_errors(name: str, text: str, fragment: str) -> None:
    with pytest.raises(FixtureError) as info:
        WorldEngine(world_input(**{name: text}))
    assert fragment in str(info.value) and info.value.code == "fixture_invalid"


def test_bad_world_input() -> None:
    for bad in ({"fixtures": {"a": 1}}, {"fixtures": [], "seed": 1}, {"seed": "x"}):
        with pytest.raises(FixtureError) as info:
            WorldEngine(bad)
        assert info.value.code == "world_input_invalid"


def test_missing_fixture_files_mean_empty_collections() -> None:
    eng = WorldEngine(
        {"scenario": "empty", "seed": 0, "tools": [], "fixtures": {}, "workspace": {}}
    )
    assert "0 message(s)" in ok(eng, "himalaya envelope list")
    assert "No Events Found" in ok(eng, "gcalcli agenda")
    assert "no git remotes" in run(eng, "gh issue list")["content"]
    assert eng.call("read", {"path": "USER.md"})["content"].startswith("read: no such file")


SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("exec", {"command": "himalaya envelope list"}),
    ("exec", {"command": "himalaya message read msg_001"}),
    ("slack", {"action": "readMessages", "channelId": "C01"}),
    ("exec", {"command": f"curl -s -X POST {NOTION}/databases/db/query"}),
    ("exec", {"command": "gcalcli agenda"}),
    ("exec", {"command": "himalaya draft -H 'To: dana@acme.example' -H 'Subject: Re' 'On it'"}),
    (
        "exec",
        {
            "command": curl_json(
                "POST",
                f"{NOTION}/pages",
                {"parent": {"database_id": "d"}, "properties": {"title": "RCA"}},
            )
        },
    ),
    ("slack", {"action": "sendMessage", "to": "#incidents", "content": "Update posted"}),
    ("exec", {"command": "gcalcli add --title Sync --when 'tomorrow 9am' --duration 30"}),
    ("memory_search", {"query": "Acme"}),
]


def test_deterministic_and_isolated() -> None:
    a, b = WorldEngine(world_input()), WorldEngine(world_input())
    out_a = [a.call(t, args) for t, args in SCRIPT]
    out_b = [b.call(t, args) for t, args in SCRIPT]
    assert json.dumps(out_a, sort_keys=True) == json.dumps(out_b, sort_keys=True)
    # Isolation: writes in one engine are invisible to a fresh one built from the same input.
    c = WorldEngine(world_input())
    assert "draft-" not in ok(c, "himalaya envelope list --folder Drafts")
    assert "RCA" not in ok(c, f"curl -s -X POST {NOTION}/databases/db/query")
    # ... and the caller's input dict is untouched.
    assert json.loads(world_input()["fixtures"]["inbox.json"]) == INBOX


def test_ids_and_times_come_from_the_counter_and_now() -> None:
    eng = WorldEngine(world_input(**{"world.json": '{"now": "2026-03-01T08:00:00+01:00"}'}))
    first = run(eng, "himalaya draft -H 'To: a@b.example' one")["side_effects"][0]["data"]
    second = run(eng, "himalaya draft -H 'To: a@b.example' two")["side_effects"][0]["data"]
    assert (first["id"], first["received_ts"]) == ("draft-0001", "2026-03-01T08:01:00+01:00")
    assert (second["id"], second["received_ts"]) == ("draft-0002", "2026-03-01T08:02:00+01:00")
    # "today" for gcalcli is the world's now, not the machine's.
    created = run(eng, "gcalcli add --title X --when 'today 10:00' --duration 30")
    assert created["side_effects"][0]["data"]["start"] == "2026-03-01T10:00:00+01:00"


def test_effect_data_is_a_snapshot(eng: WorldEngine) -> None:
    fx = run(
        eng,
        curl_json(
            "POST",
            f"{NOTION}/pages",
            {"parent": {"database_id": "d"}, "properties": {"title": "T"}},
        ),
    )["side_effects"][0]
    run(
        eng,
        curl_json("PATCH", f"{NOTION}/pages/{fx['target']}", {"properties": {"title": "Changed"}}),
    )
    assert fx["data"]["title"] == "T"


def test_tool_schemas_are_openai_function_schemas() -> None:
    assert set(TOOL_SCHEMAS) == {
        "exec",
        "slack",
        "memory_search",
        "memory_get",
        "read",
        "web_search",
        "web_fetch",
    }
    for name, schema in TOOL_SCHEMAS.items():
        assert schema["type"] == "function"
        fn = schema["function"]
        assert fn["name"] == name and fn["description"]
        params = fn["parameters"]
        assert params["type"] == "object" and set(params["required"]) <= set(params["properties"])
    assert (
        TOOL_SCHEMAS["slack"]["function"]["parameters"]["properties"]["action"]["enum"][0]
        == "readMessages"
    )


def test_slack_reads_are_chronological() -> None:
    msgs = [
        {
            "id": "late",
            "channel": "#ops",
            "author": "a",
            "text": "second",
            "timestamp": "2026-02-12T10:00:00+00:00",
        },
        {
            "id": "early",
            "channel": "#ops",
            "author": "b",
            "text": "first",
            "timestamp": "2026-02-12T09:00:00+00:00",
        },
    ]
    eng = WorldEngine(
        world_input(**{"slack_messages.json": json.dumps(msgs), "slack_channels.json": "[]"})
    )
    out = eng.call("slack", {"action": "readMessages", "channelId": "#ops"})["content"]
    assert out.index("first") < out.index("second")
    latest = eng.call("slack", {"action": "readMessages", "channelId": "ops", "limit": 1})[
        "content"
    ]
    assert "second" in latest and "first" not in latest


_FUZZ_WORDS = [
    "himalaya",
    "envelope",
    "list",
    "message",
    "read",
    "write",
    "send",
    "delete",
    "move",
    "flag",
    "add",
    "template",
    "draft",
    "-H",
    "To: a@b.example",
    "--body",
    "--folder",
    "Drafts",
    "msg_001",
    "-p",
    "0",
    "-1",
    "curl",
    "-X",
    "POST",
    "PATCH",
    "DELETE",
    "PUT",
    "-d",
    "{}",
    "[]",
    "null",
    '{"archived": true}',
    '{"properties": {"Status": "Done"}}',
    "-G",
    "-sS",
    "--json",
    f"{NOTION}/pages",
    f"{NOTION}/pages/task_1",
    f"{NOTION}/pages/doc_1",
    f"{NOTION}/databases/x/query",
    f"{NOTION}/blocks/doc_1/children",
    GCAL,
    f"{GCAL}/evt_1",
    f"{GCAL}?timeMin=x",
    "gcalcli",
    "agenda",
    "search",
    "--title",
    "--when",
    "tomorrow",
    "2pm",
    "--duration",
    "30",
    "gh",
    "issue",
    "pr",
    "view",
    "diff",
    "merge",
    "close",
    "comment",
    "create",
    "12",
    "13",
    "--state",
    "all",
    "-R",
    "acme/shop",
    "--",
    "-",
]


def test_fuzzed_commands_never_crash_and_plan_matches_call() -> None:
    """Random word salads from the command vocabulary: every answer is a normal result (no
    internal error) and every call's side effects are exactly what plan() said."""
    import random

    rng = random.Random(1234)
    eng = WorldEngine(world_input())
    for n in range(3000):
        if n % 100 == 0:
            eng = WorldEngine(world_input())
        words = [rng.choice(_FUZZ_WORDS) for _ in range(rng.randint(1, 7))]
        words[0] = rng.choice(["himalaya", "curl", "gcalcli", "gh"])
        args = {"command": shlex.join(words)}
        planned = eng.plan("exec", args)
        res = eng.call("exec", args)
        assert "internal error" not in res["content"], args
        assert [fx["kind"] for fx in res["side_effects"]] == planned["effects"], args
        assert res["is_error"] == (res["exit_code"] != 0) or res["content"].lstrip().startswith("{")
