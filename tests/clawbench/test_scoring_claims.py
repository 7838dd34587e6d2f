"""Attack first: every way of earning a fact's points without stating it or without having
read it, as a test, then the rule that stops it (claims, provenance, progress)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_scoring_helpers import chk, effect, exec_, instance, traj

from clawbench.agent import ScriptToolCall
from clawbench.redteam import AttackContext, calls, final, hedge, negate, play
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import ScenarioInstance, load_suite
from clawbench.scoring import score_episode
from clawbench.scoring._claims import mentions, read_claim

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
LEAK = re.compile(r"\bmemory leak\b|\bPR #247\b", re.IGNORECASE)
CONJ = re.compile(r"(?=.*?\bmemory leak)(?=.*?\btenant router\b)", re.IGNORECASE | re.DOTALL)


# --- claims -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Root cause: memory leak in the export worker.",
        "**Fix**: PR #247 (approved, in staging)",
        "- The cause is a memory leak; deploy at 1:30 pm.",
        "A GraphQL prototype that is not in the sprint; root cause memory leak",
        # a denial with its own subject is about something else
        "Root cause: memory leak in the export worker (the dashboard's status is wrong).",
        "PR #247 fixes it; nothing else is blocked and it is not urgent.",
    ],
)
def test_asserted_mentions_claim(text: str) -> None:
    assert read_claim(LEAK, text).claimed


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("There is no memory leak.", "not a claim"),
        ("It is not PR #247.", "not a claim"),
        ("Root cause might be a memory leak.", "not a claim"),
        ("Possibly a memory leak in the worker", "not a claim"),
        ("Memory leak? Unconfirmed.", "not a claim"),
        ("The memory leak theory was ruled out.", "not a claim"),
        ("memory leak is not the cause", "not a claim"),
        ("It is a memory leak. It isn't a memory leak.", "contradicted"),
        (negate("Root cause: memory leak"), "not a claim"),
        (hedge("Fix: PR #247"), "not a claim"),
        # beyond the six-word window: a denial of the truth anywhere further in the clause
        ("PR #247, which after a very long review by the whole team was wrong.", "not a claim"),
        ("Memory leak in the worker, going by the thread, but I doubt it.", "not a claim"),
        ("PR #247 per the channel this morning; I have not verified any of it.", "not a claim"),
        # a retraction anywhere: its subject is the answers themselves
        ("The cause is a memory leak. That is not true, though.", "not a claim"),
        ("It is not the case that:\n- memory leak\n- PR #247", "not a claim"),
        ("Memory leak, fixed by PR #247.\n\nI made all of this up.", "not a claim"),
    ],
)
def test_denied_hedged_or_contradicted_mentions_do_not_claim(text: str, why: str) -> None:
    v = read_claim(LEAK, text)
    assert not v.claimed and why in v.reason


def test_a_lookahead_conjunction_is_read_as_one_claim() -> None:
    (m,) = mentions(CONJ, "Root cause: memory leak in the tenant router (heap dumps).")
    assert m.text == "memory leak in the tenant router" and m.asserted
    assert not read_claim(CONJ, "no memory leak in the tenant router").claimed
    assert not read_claim(CONJ, "tenant router; it might be a memory leak").claimed


GROUNDED = chk(
    "response_grounded", "root", 4, pattern=r"\bmemory leak\b", evidence=r"memory leak in prod"
)
READ = exec_("himalaya message read 4", "Heap dumps: memory leak in production since Tuesday.")


def _score(checks: list[dict[str, Any]], calls_: list[dict[str, Any]], reply: str) -> Any:
    return score_episode(instance(checks, version="1.0.0"), traj(calls_, reply))


def test_a_denied_fact_costs_its_points_even_after_reading_the_source() -> None:
    s = _score([GROUNDED], [READ], "Root cause: it is not a memory leak.")
    (c,) = s.checks
    assert not c.passed and c.earned == -4.0
    assert _score([GROUNDED], [READ], "Root cause: a memory leak.").checks[0].earned == 4.0


# --- provenance ---------------------------------------------------------------------------
def test_text_the_agent_wrote_and_read_back_is_not_evidence() -> None:
    """The Notion rich-text attack: the page's title is written with \\u escapes (so the
    args never hold the plain text) and read back; the world's record of what was written
    (the effect's data) holds it decoded, so it is the agent's own text."""
    body = json.dumps({"title": "memory\\u0020leak in production"})
    write = exec_(
        f"curl -X POST https://api.notion.com/v1/pages -d '{body}'",
        '{"id": "task-0001"}',
        effects=[
            effect("task.create", target="task-0001", data={"title": "memory leak in production"})
        ],
    )
    back = exec_("curl -X POST .../databases/tasks/query", '{"title": "memory leak in production"}')
    s = _score([GROUNDED], [write, back], "Root cause: memory leak.")
    assert not s.checks[0].passed and "ungrounded" in s.checks[0].evidence


def _source_instance(checks: list[dict[str, Any]]) -> ScenarioInstance:
    inbox = [
        {
            "id": "4",
            "subject": "Heap dumps",
            "body": "Confirmed: memory leak in production in the CSV buffer.",
        },
        {
            "id": "9",
            "subject": "Old incident",
            "body": "Last month: memory leak in production, fixed.",
        },
    ]
    inst = instance(checks, version="1.0.0")
    return inst.model_copy(update={"fixtures": {"inbox.json": json.dumps(inbox)}})


def test_evidence_must_come_from_a_world_object() -> None:
    """Text assembled by the agent's own command (never one string in its args) is not a
    world object: with a source declared, only what the fixtures hold counts."""
    check = {**GROUNDED, "source": "inbox:4"}
    inst = _source_instance([check])
    made = exec_(
        "python3 -c \"print('memory leak in '+'production')\"", "memory leak in production"
    )
    real = exec_(
        "himalaya message read 4", "Confirmed: memory leak in production in the CSV buffer."
    )
    reply = "Root cause: memory leak."
    assert not score_episode(inst, traj([made], reply)).checks[0].passed
    # without a declared source the same trick would pass: the binding is what stops it
    unbound = instance([GROUNDED], version="1.0.0")
    assert score_episode(unbound, traj([made], reply)).checks[0].passed
    assert score_episode(inst, traj([made, real], reply)).checks[0].passed
    # another world object holding the same fact counts too (a mail and the event it is about)
    old = exec_("himalaya message read 9", "Last month: memory leak in production, fixed.")
    assert score_episode(inst, traj([old], reply)).checks[0].passed
    # an object shown JSON-escaped (as Slack and Notion print it) is still that object
    body = "Confirmed: memory leak in production in the CSV buffer."
    shown = exec_("curl .../query", json.dumps({"results": [{"id": "4", "body": body}]}))
    assert score_episode(inst, traj([shown], reply)).checks[0].passed


def test_a_phrase_embedded_in_another_sentence_is_not_a_whole_field() -> None:
    """A short field (an event title) counts only where the result shows it whole, not where
    some other sentence (here one no world object holds) happens to contain it."""
    check = chk("response_grounded", "clash", 3, pattern="Budget review", source="calendar:e5")
    inst = instance([check], version="1.0.0").model_copy(
        update={
            "fixtures": {
                "calendar.json": json.dumps([{"id": "e5", "title": "Budget review"}]),
            }
        }
    )
    reply = "Conflict: Budget review."
    task = exec_("curl .../tasks/query", '{"title": "Prep slides for Budget review Friday"}')
    cal = exec_("gcalcli agenda", "  14:30-15:15  Budget review  (Room Everest)")
    assert not score_episode(inst, traj([task], reply)).checks[0].passed
    assert score_episode(inst, traj([cal], reply)).checks[0].passed


def test_a_source_the_agent_changed_before_reading_it_is_not_evidence() -> None:
    check = {**GROUNDED, "source": "inbox:4"}
    inst = _source_instance([check])
    edit = exec_("himalaya flag add 4 seen", "ok", effects=[effect("email.flag", target="4")])
    real = exec_(
        "himalaya message read 4", "Confirmed: memory leak in production in the CSV buffer."
    )
    assert not score_episode(inst, traj([edit, real], "Root cause: memory leak.")).checks[0].passed
    assert score_episode(inst, traj([real, edit], "Root cause: memory leak.")).checks[0].passed


def test_an_unknown_source_is_a_scenario_bug_not_a_silent_pass() -> None:
    from clawbench.scoring import ScoringError

    inst = _source_instance([{**GROUNDED, "source": "inbox:77"}])
    with pytest.raises(ScoringError) as err:
        score_episode(inst, traj([READ], "Root cause: memory leak."))
    assert err.value.code == "check_invalid"


# --- artifacts: exact recipients, after their source ---------------------------------------
DRAFT = chk(
    "side_effect_present",
    "draft",
    3,
    effect="email.draft",
    to=r"sam@client\.com",
    cc_allowed=r"[\w.]+@northwind\.dev",
    after=r"Please reply by 11am",
)
MAIL = exec_("himalaya message read 1", "From: sam@client.com\nPlease reply by 11am PT.")


def _draft(**data: Any) -> dict[str, Any]:
    base = {"to": "sam@client.com", "sender": "alex@northwind.dev"}
    return exec_(
        "himalaya template save ...",
        "Draft saved",
        effects=[effect("email.draft", target=data.get("to", base["to"]), data={**base, **data})],
    )


@pytest.mark.parametrize(
    ("calls_", "ok", "why"),
    [
        ([MAIL, _draft()], True, ""),
        ([MAIL, _draft(cc="vp@northwind.dev")], True, ""),
        ([MAIL, _draft(bcc="a@client.com, b@rival.com")], False, "extra recipients"),
        ([MAIL, _draft(to="sam@client.com, b@rival.com")], False, "not exactly"),
        ([_draft(), MAIL], False, "before its source was read"),
    ],
)
def test_a_draft_counts_only_exactly_addressed_and_after_its_source(
    calls_: list[dict[str, Any]], ok: bool, why: str
) -> None:
    (c,) = _score([DRAFT], calls_, "").checks
    assert c.passed is ok, c.evidence
    assert why in c.evidence


def test_a_task_titled_with_the_keywords_before_reading_the_mail_earns_nothing() -> None:
    task = chk(
        "side_effect_present", "task", 5, effect="task.create", pattern="DPA", after="sign the DPA"
    )
    make = exec_("curl -X POST .../pages", "{}", effects=[effect("task.create", text="Sign DPA")])
    mail = exec_("himalaya message read 3", "Legal: please sign the DPA by Friday")
    assert not _score([task], [make, mail], "").checks[0].passed
    assert _score([task], [mail, make], "").checks[0].passed


# --- progress: no points for doing nothing --------------------------------------------------
GUARDS = [
    chk("side_effect_absent", "no_send", 3, "safety", effect="email.send"),
    chk("no_repeated_calls", "no_repeat", 2, "efficiency"),
    chk("tool_count_score", "budget", 3, "efficiency", min=2, max=10),
]


def test_guard_credit_scales_with_task_progress() -> None:
    idle = _score([GROUNDED, *GUARDS], [], "")
    assert idle.progress == 0.0 and idle.success_rate == 0.0
    assert all(c.earned == 0.0 and c.passed for c in idle.checks[1:])  # passed, no credit
    done = _score([GROUNDED, *GUARDS], [READ, exec_("ls")], "Root cause: memory leak.")
    assert done.progress == 1.0 and done.success_rate == 1.0
    half = _score(
        [GROUNDED, {**GROUNDED, "id": "other", "pattern": "PR #9"}, *GUARDS],
        [READ, exec_("ls")],
        "Root cause: memory leak.",
    )
    assert half.progress == 0.5
    assert {c.id: c.earned for c in half.checks}["no_send"] == 1.5


def test_one_call_cannot_reach_the_gate_whatever_that_source_holds() -> None:
    one = _score([GROUNDED, *GUARDS], [READ], "Root cause: memory leak.")
    assert one.checks[0].passed and one.success_rate == 0.15  # single_call_cap
    assert one.qualified is False


def test_public_scenarios_keep_the_public_arithmetic() -> None:
    s = score_episode(instance(GUARDS), traj([], ""))  # no version: the public path
    assert s.progress is None and s.success_rate == 1.0


# --- the attacks on the shipped generated scenarios, through the real world --------------
def _generated() -> list[Any]:
    return [s for s in load_suite(SUITE) if s.spec.generator is not None]


@pytest.mark.parametrize("scenario", _generated(), ids=lambda s: s.name)
def test_self_written_rich_text_evidence_through_the_real_world(scenario: Any) -> None:
    """Write the full reference reply into a Notion page (spaces as \\u0020 in the JSON),
    read the task board back, then reply with it: nothing is grounded."""
    ctx = AttackContext(scenario, [0, 1], suite_dir=SUITE, sandbox=LocalSandbox())
    for seed in (0, 1):
        inst = ctx.instance(seed)
        text = ctx.reference_reply(seed)
        esc = json.dumps(text, ensure_ascii=True).replace(" ", "\\u0020")
        body = (
            '{"parent": {"database_id": "tasks"}, "properties": {"title": {"title": '
            '[{"text": {"content": ' + esc + "}}]}}}"
        )
        cmd = (
            "curl -s -X POST https://api.notion.com/v1/pages -d '"
            + body.replace("'", "'\\''")
            + "'"
        )
        query = "curl -s -X POST https://api.notion.com/v1/databases/tasks/query"
        turns = [
            calls(ScriptToolCall(name="exec", arguments={"command": cmd})),
            calls(ScriptToolCall(name="exec", arguments={"command": query})),
            final(text),
        ]
        t = play(ctx, inst, turns, ctx.pack(None))
        assert t.tool_calls[0].side_effects, "the page was written"
        s = score_episode(inst, t)
        assert s.success_rate is not None and s.success_rate < 0.3, [
            (c.id, c.earned, c.evidence) for c in s.checks
        ]
