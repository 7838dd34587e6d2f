"""team_standup: Slack against the sprint board. The seed picks the sprint, the board's
ticket ids, which item is really done, which really started, the blocker chain and the
change request at its end, the unapproved side project and who did it, and the incident
(severity, service, its postmortem ticket). Decoys: an item merged but not deployed (board
correctly In Progress), an earlier change request already approved, a side project that WAS
approved (it is on the board), the PM's scope approval, and last week's resolved incident on
another service with its finished postmortem.

The answers need both sides: Slack names work by title only, so every ticket id is the
board's; which side project is unapproved shows only by its absence from the board; the
postmortem ticket is on the board, the incident it belongs to in #incidents; the change
approver is named by the change rule in #incidents, the change request in #platform-team.
Each fact lists every object it combines (``Fact.also``), so reading two of the three
sources and inventing the rest leaves most facts fabricated."""

from __future__ import annotations

from typing import Any

from clawbench.scenario._draw import Draw
from clawbench.scenario._story import Person, Story, StoryData, all_of, person_vars, words
from clawbench.scenario._truth import Fact, Proof, Rival

DAY, OFFSET = "2026-02-12", "-08:00"


class Data(StoryData):
    staff: list[Person]
    items: list[str]
    side_projects: list[str]
    teams: list[str]
    services: list[str]


def _on_board(tid: str) -> Proof:
    """The board's row for ``tid`` (the id is printed there and nowhere else)."""
    return Proof(source=f"task:{tid}", evidence=rf"\b{tid}\b")


def _ticket_fact(tid: str, title: str, said: Proof, others: list[Rival]) -> Fact:
    """A ticket Slack talks about by title: the id is the board's, what happened Slack's."""
    return Fact(
        value=f"{tid} {title}",
        pattern=rf"\b{tid}\b",
        source=f"task:{tid}",
        evidence=rf"\b{tid}\b",
        also=[said],
        rivals=others,
    )


def build(data: Data, draw: Draw) -> Story:
    d = draw
    dev_a, dev_b, dev_c, dev_d, dev_e, lead, pm, old_lead = d.fork("staff").sample(data.staff, 8)
    sprint = d.fork("sprint").between(10, 48)
    done_t, merged_t, started_t, blocked_t, dep_t, other_t, spare_t, *backlog = d.fork(
        "items"
    ).sample(data.items, 14)
    keys = ("done", "merged", "started", "blocked", "dep", "other", "spare", "old", "pm", "old_pm")
    numbers = d.fork("tickets").sample(range(100, 1000), len(keys) + len(backlog))
    tid = {k: f"PLAT-{n}" for k, n in zip(keys, numbers, strict=False)}
    cr, old_cr = d.fork("cr").sample(range(1000, 10000), 2)
    side, approved_side = d.fork("side").sample(data.side_projects, 2)
    team, approved_team = d.fork("side").sample(data.teams, 2)
    service, old_service = d.fork("incident").sample(data.services, 2)
    sev, old_sev = d.fork("incident").choice([1, 2, 3]), d.fork("incident").choice([1, 2, 3])
    pct = d.fork("incident").between(3, 40)
    sprint_name = f"Sprint {sprint}"

    def post(channel: str, cid: str, who: Person, text: str, ts: str) -> dict[str, Any]:
        stamp = ts if "T" in ts else f"2026-02-11T{ts}"
        return {
            "channel": channel,
            "channelId": cid,
            "author": who.name,
            "text": text,
            "timestamp": f"{stamp}:00{OFFSET}",
        }

    # Slack names the work by title only: the ticket ids the user asks for are the board's.
    plat, inc = ("#platform-team", "C10PLATFORM"), ("#incidents", "C11INCIDENTS")
    keyed: list[tuple[str, dict[str, Any]]] = [
        (
            "done",
            post(
                *plat,
                dev_a,
                f"{done_t} is merged and deployed as of yesterday 4pm, all services on it.",
                "16:20",
            ),
        ),
        (
            "merged",
            post(
                *plat,
                dev_b,
                f"{merged_t} is merged to main; the deploy is scheduled for next week.",
                "16:40",
            ),
        ),
        (
            "started",
            post(*plat, dev_b, f"I'm halfway through {started_t}, PR is open as a draft.", "17:05"),
        ),
        (
            "blocked",
            post(
                *plat,
                dev_c,
                f"Still blocked on {blocked_t}: it needs {dep_t} that {dev_d.first} is doing.",
                "17:30",
            ),
        ),
        (
            "cr",
            post(
                *plat,
                dev_d,
                f"{dep_t} is ready to go but waiting on change request CR-{cr}; I can't "
                "touch prod until it is signed off.",
                "17:45",
            ),
        ),
        (
            "old_cr",
            post(
                *plat,
                dev_d,
                f"FYI CR-{old_cr} for {other_t} was approved yesterday, no action needed.",
                "17:50",
            ),
        ),
        (
            "side",
            post(
                *plat,
                dev_e,
                f"{other_t} is nearly done. Also spent the last two days on a {side} "
                f"for the {team} team, demo on Friday!",
                "18:10",
            ),
        ),
        (
            "approved_side",
            post(
                *plat,
                dev_c,
                f"While blocked I picked up the {approved_side} for the {approved_team} "
                "team, going well.",
                "18:20",
            ),
        ),
        (
            "scope_rule",
            post(
                *plat,
                pm,
                f"Reminder: work that is not on the {sprint_name} board needs my OK "
                "before more time goes in.",
                "18:25",
            ),
        ),
        ("", post(*plat, dev_a, "Reminder: sprint retro moved to Friday 2pm.", f"{DAY}T08:05")),
        ("", post(*plat, dev_c, f"Can someone review my PR for {backlog[0]}? Small one.", "14:10")),
        (
            "",
            post(
                *plat,
                pm,
                f"Stakeholders asked about {backlog[1]}: it stays in the backlog for now.",
                "14:35",
            ),
        ),
        (
            "",
            post(
                *plat, dev_e, "Lunch order for Friday's demo day is in the doc, add yours.", "15:02"
            ),
        ),
        ("", post(*plat, dev_b, "Staging is flaky again, re-running the pipeline.", "15:40")),
        ("", post(*plat, dev_d, "Deploy train leaves at 3pm tomorrow as usual.", "16:02")),
        (
            "",
            post(
                *plat, lead, "Thanks all for the quick turnaround on the audit questions.", "16:30"
            ),
        ),
        (
            "",
            post(
                *plat,
                dev_a,
                f"Heads up: {backlog[2]} will need a design review next sprint.",
                f"{DAY}T07:45",
            ),
        ),
        (
            "",
            post(*plat, pm, "Customer call moved to 11:30, no impact on the team.", f"{DAY}T07:58"),
        ),
        (
            "old_incident",
            post(
                *inc,
                dev_d,
                f"SEV{old_sev}: {old_service} errors resolved; postmortem done and published.",
                "2026-02-05T10:00",
            ),
        ),
        (
            "change_rule",
            post(
                *inc,
                old_lead,
                "Change rule from now on: every prod change needs a change request signed "
                f"off by {lead.first} before it ships.",
                "2026-02-05T11:30",
            ),
        ),
        (
            "incident",
            post(
                *inc,
                dev_d,
                f"SEV{sev}: {service} returning 5xx for {pct}% of requests since "
                "07:40 after a config push.",
                f"{DAY}T07:52",
            ),
        ),
        (
            "rollback",
            post(
                *inc,
                dev_d,
                "Config rolled back at 08:10, error rate back to normal. Postmortem "
                "ticket is on the board; no owner yet.",
                f"{DAY}T08:14",
            ),
        ),
    ]
    messages = [{"id": f"m{i}", **p} for i, (_, p) in enumerate(keyed, start=1)]
    msg = {k: f"slack:{m['channel']}/{m['id']}" for (k, _), m in zip(keyed, messages, strict=True)}

    def said(key: str, evidence: str) -> Proof:
        return Proof(source=msg[key], evidence=evidence)

    def task(key: str, title: str, status: str, who: Person | None, due: str, **kw: Any) -> dict:
        return {
            "id": tid[key],
            "title": title,
            "status": status,
            "priority": kw.pop("p", "P1"),
            "assignee": who.name if who is not None else "",
            "sprint": kw.pop("sprint", sprint_name),
            "due_date": due,
            **kw,
        }

    tasks = [
        task("done", done_t, "In Progress", dev_a, "2026-02-13"),
        task("merged", merged_t, "In Progress", dev_b, "2026-02-17"),
        task("started", started_t, "Not Started", dev_b, "2026-02-18"),
        task("blocked", blocked_t, "In Progress", dev_c, "2026-02-18"),
        task("dep", dep_t, "In Progress", dev_d, "2026-02-13"),
        task("other", other_t, "In Progress", dev_e, "2026-02-17", p="P2"),
        task(
            "spare",
            f"{approved_side} ({approved_team})",
            "In Progress",
            dev_c,
            "2026-02-19",
            p="P3",
        ),
        task("old", spare_t, "Done", dev_c, "2026-01-30", sprint=f"Sprint {sprint - 1}", p="P2"),
        task(
            "pm", f"Postmortem: {service} 5xx after config push", "Not Started", None, "2026-02-16"
        ),
        task("old_pm", f"Postmortem: {old_service} errors", "Done", dev_d, "2026-02-09", p="P2"),
    ]
    people = (dev_a, dev_b, dev_c, dev_d, dev_e)
    for i, title in enumerate(backlog):
        sprint_of = "Backlog" if i % 2 else f"Sprint {sprint - 1}"
        tasks.append(
            {
                "id": f"PLAT-{numbers[len(keys) + i]}",
                "title": title,
                "status": "Not Started" if i % 2 else "Done",
                "priority": "P3",
                "assignee": people[i % 5].name,
                "sprint": sprint_of,
                "due_date": "2026-01-23",
            }
        )
    tasks = [tasks[i] for i in d.fork("board").shuffled(range(len(tasks)))]

    board = [k for k in tid if k != "old"]

    def others(*keep: str, decoy: dict[str, str] | None = None) -> list[Rival]:
        """The board's other tickets, then any ticket id at all but the answer's."""
        decoy = decoy or {}
        allowed = "|".join(tid[k].removeprefix("PLAT-") for k in keep)
        return [
            *(
                Rival(
                    value=tid[k],
                    pattern=rf"\b{tid[k]}\b",
                    decoy=k in decoy,
                    source=f"task:{tid[k]}" if k in decoy else None,
                    note=decoy.get(k, "another ticket"),
                )
                for k in board
                if k not in keep
            ),
            Rival(
                value="another ticket",
                pattern=rf"\bPLAT-(?!(?:{allowed})\b)\d+",
                note="any other ticket id",
            ),
        ]

    def person(p: Person, note: str, key: str | None = None) -> Rival:
        return Rival(
            value=p.first,
            pattern=rf"\b{p.first}\b",
            decoy=key is not None,
            source=msg[key] if key else None,
            note=note,
        )

    facts = {
        "incident": Fact(
            value=f"SEV{sev} {service}",
            pattern=all_of([rf"\bSEV\s?-?{sev}\b", words(service)]),
            source=msg["incident"],
            evidence=words(f"SEV{sev}: {service}"),
            rivals=[
                Rival(
                    value=old_service,
                    pattern=words(old_service),
                    decoy=True,
                    source=msg["old_incident"],
                    note="last week's resolved incident",
                ),
                *(
                    Rival(value=s, pattern=words(s), note="another service")
                    for s in data.services
                    if s not in (service, old_service)
                ),
            ],
        ),
        "postmortem": Fact(
            value=tid["pm"],
            pattern=rf"\b{tid['pm']}\b",
            source=f"task:{tid['pm']}",
            evidence=rf"\b{tid['pm']}\b",
            also=[said("rollback", words("Postmortem ticket is on the board; no owner yet"))],
            rivals=others("pm", decoy={"old_pm": "last week's postmortem, already done"}),
        ),
        "done": _ticket_fact(
            tid["done"],
            done_t,
            said("done", r"merged and deployed"),
            others("done", decoy={"merged": "merged but not deployed: In Progress is right"}),
        ),
        "started": _ticket_fact(
            tid["started"],
            started_t,
            said("started", r"halfway through"),
            others("started"),
        ),
        "blocked": Fact(
            value=f"{tid['blocked']} waits on {tid['dep']}",
            pattern=all_of([rf"\b{tid['blocked']}\b", rf"\b{tid['dep']}\b"]),
            source=f"task:{tid['blocked']}",
            evidence=rf"\b{tid['blocked']}\b",
            also=[_on_board(tid["dep"]), said("blocked", r"Still blocked on")],
            rivals=others("blocked", "dep"),
        ),
        "blocker": Fact(
            value=f"CR-{cr} ({lead.first})",
            pattern=all_of([rf"\bCR-?{cr}\b", rf"\b{lead.first}\b"]),
            source=msg["cr"],
            evidence=rf"change request CR-{cr}\b",
            also=[said("change_rule", words(f"signed off by {lead.first}"))],
            rivals=[
                Rival(
                    value=f"CR-{old_cr}",
                    pattern=rf"\b{old_cr}\b",
                    decoy=True,
                    source=msg["old_cr"],
                    note="already approved",
                ),
                Rival(value="another CR", pattern=rf"\bCR-?(?!{cr}\b)\d+", note="another CR"),
                person(pm, "approves scope, not changes", "scope_rule"),
                person(old_lead, "wrote the change rule, does not approve", "change_rule"),
                person(dev_d, "does the change, does not approve it"),
            ],
        ),
        "scope": Fact(
            value=f"{side} ({dev_e.first})",
            pattern=all_of([words(side), rf"\b{dev_e.first}\b"]),
            source=msg["side"],
            evidence=words(f"on a {side} for the {team} team"),
            also=[_on_board(tid["spare"])],
            rivals=[
                Rival(
                    value=approved_side,
                    pattern=words(approved_side),
                    decoy=True,
                    source=f"task:{tid['spare']}",
                    note="on the board: approved into the sprint",
                ),
                person(dev_c, "did the approved side project", "approved_side"),
                *(
                    Rival(value=s, pattern=words(s), note="another side project")
                    for s in data.side_projects
                    if s not in (side, approved_side)
                ),
            ],
        ),
    }
    variables = {
        **person_vars("DEV_A", dev_a, "northwind.dev"),
        **person_vars("DEV_B", dev_b, "northwind.dev"),
        **person_vars("DEV_C", dev_c, "northwind.dev"),
        **person_vars("DEV_D", dev_d, "northwind.dev"),
        **person_vars("DEV_E", dev_e, "northwind.dev"),
        **person_vars("LEAD", lead, "northwind.dev"),
        **person_vars("PM", pm, "northwind.dev"),
        "SPRINT": sprint_name,
        "DONE_ID": tid["done"],
        "DONE": done_t,
        "STARTED_ID": tid["started"],
        "STARTED": started_t,
        "BLOCKED_ID": tid["blocked"],
        "BLOCKED": blocked_t,
        "DEP_ID": tid["dep"],
        "DEP": dep_t,
        "CR": str(cr),
        "SIDE": side,
        "SEV": f"SEV{sev}",
        "SERVICE": service,
        "POSTMORTEM_ID": tid["pm"],
    }
    calendar = [
        {
            "id": "e1",
            "title": "Platform standup",
            "start": f"{DAY}T09:30:00{OFFSET}",
            "end": f"{DAY}T09:45:00{OFFSET}",
            "location": "Zoom",
        },
        {
            "id": "e2",
            "title": f"1:1 with {pm.name}",
            "start": f"{DAY}T11:00:00{OFFSET}",
            "end": f"{DAY}T11:30:00{OFFSET}",
            "location": "Zoom",
        },
        {
            "id": "e3",
            "title": "Change advisory board",
            "start": f"{DAY}T14:00:00{OFFSET}",
            "end": f"{DAY}T14:30:00{OFFSET}",
            "location": "Room Denali",
            "attendees": [f"{lead.handle}@northwind.dev"],
        },
        {
            "id": "e4",
            "title": f"{sprint_name} retro",
            "start": f"2026-02-13T14:00:00{OFFSET}",
            "end": f"2026-02-13T15:00:00{OFFSET}",
            "location": "Room Fuji",
        },
        {
            "id": "e5",
            "title": f"Sprint {sprint + 1} planning",
            "start": f"2026-02-16T10:00:00{OFFSET}",
            "end": f"2026-02-16T11:30:00{OFFSET}",
            "location": "Room Fuji",
        },
    ]
    roles = {lead: "Engineering Director", pm: "Product Manager", old_lead: "VP Engineering"}
    contacts = [
        {
            "id": f"c{i}",
            "name": p.name,
            "email": f"{p.handle}@northwind.dev",
            "role": roles.get(p, "Software Engineer, Platform"),
            "slack_id": f"U{i}",
        }
        for i, p in enumerate((dev_a, dev_b, dev_c, dev_d, dev_e, lead, pm, old_lead), start=1)
    ]
    return Story(
        fixtures={
            "slack_messages.json": messages,
            "tasks.json": tasks,
            "calendar.json": calendar,
            "contacts.json": contacts,
        },
        variables=variables,
        facts=facts,
    )
