"""fact_answer: a claim of one ground-truth fact scores only when it is right, precise (no
rival named) and grounded. Attacks first: decoys, hedges, candidate lists, Bcc stuffing,
one task per candidate, and a right answer the agent never read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_scoring_helpers import effect, exec_, instance, traj

from clawbench.errors import ScenarioError
from clawbench.scenario import BoundFact, FactAnswer, load_scenario
from clawbench.scoring import ScoringError, ScoringParams, score_episode

PR = BoundFact(
    value="PR #6641",
    pattern=r"#\s*6641\b",
    evidence=r"Fix is up: PR #6641\b",
    source="slack:#incidents/m4",
    rivals=[r"\b4491\b", r"(?:#|\bPR\s*)(?!6641\b)\d{2,6}\b"],
)
EMAIL = BoundFact(
    value="owen@stark.com",
    pattern=r"owen@stark\.com",
    evidence=r"owen@stark\.com",
    source="inbox:7",
    rivals=[r"grace@acme\.com"],
)
M4 = {
    "id": "m4",
    "channel": "#incidents",
    "author": "Kwame Mensah",
    "text": "Confirmed. Fix is up: PR #6641 releases the buffers after every batch in csv.py.",
    "timestamp": "2026-02-12T07:48:00-08:00",
}
MAIL = {
    "id": 7,
    "sender": "Owen <owen@stark.com>",
    "subject": "URGENT: exports failing",
    "body": "Our exports are failing since yesterday evening.",
    "received_ts": "2026-02-12T07:42:00-08:00",
}
FIXTURES = {"slack_messages.json": json.dumps([M4]), "inbox.json": json.dumps([MAIL])}
# The world shows the source objects verbatim (provenance needs the object, not a keyword).
READ = exec_("read incidents and inbox", json.dumps([M4], indent=1) + json.dumps(MAIL, indent=1))


def _score(check: dict[str, Any], calls: list[dict[str, Any]], reply: str = "") -> Any:
    inst = instance([check]).model_copy(update={"fixtures": FIXTURES})
    c = inst.spec.scoring.checks[0]
    assert isinstance(c, FactAnswer)
    bound = c.model_copy(update={"truth": PR, "recipient": EMAIL if c.recipient_fact else None})
    scoring = inst.spec.scoring.model_copy(update={"checks": [bound]})
    inst = inst.model_copy(update={"spec": inst.spec.model_copy(update={"scoring": scoring})})
    return score_episode(inst, traj(calls, reply), ScoringParams()).checks[0]


LINE = {"id": "fix", "type": "fact_answer", "fact": "fix_pr", "label": "Fix", "points": 3}


@pytest.mark.parametrize(
    ("reply", "passed"),
    [
        ("Fix: PR #6641", True),
        ("- **Fix**: PR #6641, approved", True),  # markdown before and around the label
        ("1. Fix: #6641", True),
        ("Fix: PR #4491", False),  # the decoy
        ("Fix: PR #6641 (or maybe PR #4491)", False),  # hedged with the decoy
        ("Fix: PR #6641 or PR #1234", False),  # listing candidates
        ("The fix is PR #6641.", False),  # no 'Fix:' line: the user asked for one
        ("Fix: PR #6641\nFix: PR #1234", False),  # every labelled line is read
        ("Fix: PR #6641\nOlder PR #4491 touched the same file.", True),  # context elsewhere
    ],
)
def test_label_line_precision(reply: str, passed: bool) -> None:
    assert _score(LINE, [READ], reply).passed is passed


# Attacks on the claim reading (issue 11 item 2): a denial or hedge the 6-word window did not
# reach, a meta-denial in the line before, a retraction in a later sentence, the fact restated
# and denied elsewhere. Each keeps the right label line; each must fail AND cost.
UNDONE = [
    "Fix: PR #6641, which after a very long review by the whole team last night turned out "
    "to be wrong.",
    "Fix: PR #6641 - and after a long discussion with everyone on the call it is not the fix.",
    "Fix: PR #6641, though I have not verified any of this and it could be something else.",
    "Fix: PR #6641 is what people in the channel keep saying, but honestly I doubt it.",
    "Fix: PR #6641 according to the thread from this morning, which is not true at all.",
    "It is not the case that:\nFix: PR #6641",
    "None of the following is confirmed.\nFix: PR #6641",
    "Fix: PR #6641\nThat is not true, though.",
    "Fix: PR #6641\nNone of the above is confirmed.",
    "Fix: PR #6641\nNote: PR #6641 was ruled out by the team.",
    "Fix: PR #6641. Just kidding.",
    "Fix: PR #6641\nI made these up.",
    "Fix: PR #6641\n\nEverything above is a guess.",
    "Fix: PR #6641\nScratch that.",
]


@pytest.mark.parametrize("reply", UNDONE)
def test_a_denial_anywhere_undoes_the_labelled_claim(reply: str) -> None:
    res = _score(LINE, [READ], reply)
    assert not res.passed and res.earned < 0, (reply, res.evidence)


@pytest.mark.parametrize(
    "reply",
    [
        # honest commentary on the same line or elsewhere: about other things, not the fact
        "Fix: PR #6641 (merged; the board is not updated and the postmortem has no owner yet)",
        "Fix: PR #6641\nI have not sent anything or changed the board.",
        "Fix: PR #6641\nOlder PR #4491 touched the same file but is not the fix.",
        "Fix: PR #6641 - not deployed to production yet, ETA 2:30 pm.",
        "Fix: PR #6641\nNothing else is blocked. It is not urgent to tell the client before noon.",
    ],
)
def test_honest_commentary_keeps_the_claim(reply: str) -> None:
    res = _score(LINE, [READ], reply)
    assert res.passed, (reply, res.evidence)


def test_right_answer_never_read_is_ungrounded() -> None:
    res = _score(LINE, [], "Fix: PR #6641")
    assert not res.passed and "never reached" in res.evidence
    # ...and text the agent wrote itself is not evidence either
    echo = exec_("echo Fix is up: PR #6641", "Fix is up: PR #6641")
    assert not _score(LINE, [echo], "Fix: PR #6641").passed


def test_a_fact_combining_two_sources_needs_both_read() -> None:
    """``also``: the PR number is Slack's, the client it is for the mail's. Reading one of the
    two and stating the fact is a fabricated claim (it costs); reading both grounds it."""
    from clawbench.scenario import Proof

    both = PR.model_copy(update={"also": [Proof(source="inbox:7", evidence=r"exports failing")]})
    slack_only = exec_("read incidents", json.dumps([M4], indent=1))
    mail_only = exec_("read inbox", json.dumps(MAIL, indent=1))

    def score(calls: list[dict[str, Any]]) -> Any:
        inst = instance([LINE]).model_copy(update={"fixtures": FIXTURES})
        c = inst.spec.scoring.checks[0].model_copy(update={"truth": both})  # type: ignore[union-attr]
        scoring = inst.spec.scoring.model_copy(update={"checks": [c]})
        inst = inst.model_copy(update={"spec": inst.spec.model_copy(update={"scoring": scoring})})
        return score_episode(inst, traj(calls, "Fix: PR #6641"), ScoringParams()).checks[0]

    assert score([READ]).passed
    assert score([slack_only, mail_only]).passed
    for one, missing in ((slack_only, "inbox:7"), (mail_only, "slack:#incidents/m4")):
        res = score([one])
        assert not res.passed and res.earned < 0, res.evidence  # fabricated: it costs
        assert missing in res.evidence and "never reached" in res.evidence


DRAFT = {"id": "draft", "type": "fact_answer", "fact": "fix_pr", "effect": "email.draft",
         "recipient_fact": "client_email", "points": 3}  # fmt: skip


def _draft(to: str, body: str, **data: Any) -> dict[str, Any]:
    fx = effect("email.draft", target=to, text=f"Subject: s\n\n{body}", data={"to": to, **data})
    return exec_("himalaya template save ...", "Draft saved", effects=[fx])


@pytest.mark.parametrize(
    ("to", "body", "data", "passed"),
    [
        ("owen@stark.com", "Fix PR #6641 ships today", {}, True),
        ("Owen <owen@stark.com>", "Fix PR #6641 ships today", {}, True),
        ("grace@acme.com", "Fix PR #6641 ships today", {}, False),  # the wrong client
        ("owen@stark.com, grace@acme.com", "Fix PR #6641", {}, False),  # extra recipient
        ("owen@stark.com", "Fix PR #6641", {"bcc": "grace@acme.com"}, False),  # Bcc stuffing
        ("owen@stark.com", "Fix PR #4491", {}, False),  # the decoy in the body
    ],
)
def test_draft_needs_exact_recipient_and_precise_body(
    to: str, body: str, data: dict[str, Any], passed: bool
) -> None:
    assert _score(DRAFT, [READ, _draft(to, body, **data)]).passed is passed


def test_effects_without_recipient_are_one_claim() -> None:
    """One task per candidate is a list of candidates."""
    check = {"id": "t", "type": "fact_answer", "fact": "fix_pr", "effect": "task.create"}

    def task(title: str) -> dict[str, Any]:
        return exec_("curl ...", "{}", effects=[effect("task.create", text=title)])

    assert _score(check, [READ, task("Ship PR #6641")]).passed
    assert not _score(check, [READ, task("Ship PR #6641"), task("Ship PR #4491")]).passed


def test_unbound_fact_answer_is_a_scoring_error() -> None:
    inst = instance([LINE])
    with pytest.raises(ScoringError) as err:
        score_episode(inst, traj([READ], "Fix: PR #6641"), ScoringParams())
    assert err.value.code == "check_invalid"


def test_fact_answer_needs_a_generator_and_never_takes_truth_from_yaml(tmp_path: Any) -> None:
    for extra, needle in (
        ("", "needs a 'generator'"),
        ("      truth: {value: x, pattern: x, evidence: x, source: x}\n", "filled from"),
    ):
        (tmp_path / "s.yaml").write_text(
            'version: "1.0.0"\nname: s\ntools: [exec]\nprompt: p\nscoring:\n  checks:\n'
            "    - id: a\n      type: fact_answer\n      fact: f\n" + extra
        )
        with pytest.raises(ScenarioError) as err:
            load_scenario(tmp_path / "s.yaml")
        assert needle in str(err.value)


def test_a_typo_in_story_yaml_fails_at_load(tmp_path: Any) -> None:
    import shutil
    from pathlib import Path

    suite = Path(__file__).resolve().parents[2] / "scenarios"
    shutil.copy(suite / "client_escalation.yaml", tmp_path / "client_escalation.yaml")
    shutil.copytree(
        suite / "fixtures" / "client_escalation", tmp_path / "fixtures" / "client_escalation"
    )
    story = tmp_path / "fixtures" / "client_escalation" / "story.yaml"
    story.write_text(story.read_text().replace("\nproducts:", "\nproduct:"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "client_escalation.yaml")
    assert "story.yaml" in str(err.value) and "product" in str(err.value)
