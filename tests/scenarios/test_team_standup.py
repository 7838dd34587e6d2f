"""team_standup needs the sources its prompt names: Slack (#platform-team, #incidents) AND the
sprint board. Attacks first, on seeds 0..29:

- skip one source (each of the reference's three reads left out in turn) and write this
  seed's full reply anyway: the facts that source grounds are fabricated and cost, so every
  such trajectory stays below the gate (the red team's read-2-then-invent is one of them);
- the board "read" with the sprint's name in an unrelated place (a title filter, a query
  string, a search, a filter on another sprint): no ticket of the sprint is shown, so the
  board facts stay ungrounded; the check parses what the board showed, not the request text;
- ticket ids, the postmortem's ticket and the approved side project are on the board only.
The honest variants (an unfiltered board read, the board page by page) still pass.
"""

from __future__ import annotations

import asyncio
import json
import re
from functools import cache
from pathlib import Path

import pytest

from clawbench.agent import ScriptedModel, load_script, render_script, run_episode
from clawbench.agent._script import Script, ScriptToolCall, ScriptTurn
from clawbench.pack import load_pack
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import ScenarioInstance, instantiate, load_scenario
from clawbench.scoring import EpisodeScore, ScoringParams, score_episode

SUITE = Path(__file__).resolve().parents[2] / "scenarios"
SEEDS = range(30)
GATE = 0.3
BOARD = "curl -s -X POST https://api.notion.com/v1/databases/sprint/query"


@cache
def _instance(seed: int) -> ScenarioInstance:
    return instantiate(load_scenario(SUITE / "team_standup.yaml"), seed)


@cache
def _reference(seed: int) -> Script:
    script = load_script(SUITE / "scripts" / "team_standup" / "reference.yaml")
    return render_script(script, _instance(seed).variables)


def _reads(seed: int) -> list[ScriptToolCall]:
    return [c for t in _reference(seed).turns for c in t.tool_calls]


def _reply(seed: int) -> str:
    return _reference(seed).turns[-1].content or ""


def _play(seed: int, reads: list[ScriptToolCall], reply: str | None = None) -> EpisodeScore:
    turns = [ScriptTurn(tool_calls=reads)] if reads else []
    script = Script(turns=[*turns, ScriptTurn(content=_reply(seed) if reply is None else reply)])
    pack = load_pack(SUITE / "packs" / "team_standup" / "optimized")
    inst = _instance(seed)
    traj = asyncio.run(run_episode(inst, pack, ScriptedModel(script), LocalSandbox()))
    return score_episode(inst, traj, ScoringParams())


def _exec(command: str) -> ScriptToolCall:
    return ScriptToolCall(name="exec", arguments={"command": command})


def _below(score: EpisodeScore, what: object) -> None:
    assert score.success_rate is not None and score.success_rate < GATE, (
        what,
        score.success_rate,
        [(c.id, c.evidence) for c in score.checks if c.passed],
    )
    assert not score.qualified, what


def test_the_reference_reads_three_sources() -> None:
    reads = _reads(0)
    assert [c.name for c in reads] == ["slack", "slack", "exec"]
    assert "databases" in reads[2].arguments["command"]


@pytest.mark.parametrize("skipped", [0, 1, 2], ids=["platform-team", "incidents", "board"])
def test_skipping_any_one_source_stays_below_the_gate(skipped: int) -> None:
    for seed in SEEDS:
        reads = [c for i, c in enumerate(_reads(seed)) if i != skipped]
        _below(_play(seed, reads), (seed, skipped))


def _board_only_in(seed: int, command: str) -> EpisodeScore:
    """Both channels read for real, the board read replaced by ``command``."""
    return _play(seed, [*_reads(seed)[:2], _exec(command)])


def _sprint(seed: int) -> str:
    return _instance(seed).variables["SPRINT"]


def _other_sprint(seed: int) -> str:
    n = int(_sprint(seed).split()[-1])
    return f"Sprint {n - 1}"


SPRINT_ELSEWHERE = {
    # the sprint's name in a filter on another property (no ticket's title holds it)
    "title-filter": lambda s: (
        BOARD
        + " -d '"
        + json.dumps({"filter": {"property": "title", "rich_text": {"contains": _sprint(s)}}})
        + "'"
    ),
    # in the query string of a request that filters nothing useful
    "query-string": lambda s: (
        BOARD.replace("/query", "/query?sprint=" + _sprint(s).replace(" ", "+"))
        + " -d '"
        + json.dumps({"filter": {"property": "status", "status": {"equals": "Blocked"}}})
        + "'"
    ),
    # in a header, the body filtering on something else
    "header": lambda s: (
        BOARD
        + f' -H "X-Note: {_sprint(s)}" -d \''
        + json.dumps({"filter": {"property": "priority", "select": {"equals": "P0"}}})
        + "'"
    ),
    # in a search of page titles
    "search": lambda s: (
        "curl -s -X POST https://api.notion.com/v1/search -d '"
        + json.dumps({"query": _sprint(s)})
        + "'"
    ),
    # the request names the sprint, but as the value it must NOT have
    "does-not-equal": lambda s: (
        BOARD
        + " -d '"
        + json.dumps({"filter": {"property": "sprint", "select": {"does_not_equal": _sprint(s)}}})
        + "'"
    ),
    # the right property, another sprint
    "previous-sprint": lambda s: (
        BOARD
        + " -d '"
        + json.dumps({"filter": {"property": "sprint", "select": {"equals": _other_sprint(s)}}})
        + "'"
    ),
}


@pytest.mark.parametrize("attack", sorted(SPRINT_ELSEWHERE))
def test_the_sprint_name_elsewhere_in_the_request_reads_no_board(attack: str) -> None:
    build = SPRINT_ELSEWHERE[attack]
    for seed in range(0, 30, 3):
        command = build(seed)
        assert re.search(r"Sprint[ +]\d+", command), command  # the request names a sprint
        _below(_board_only_in(seed, command), (attack, seed))


def test_an_unfiltered_board_read_is_honest_work() -> None:
    for seed in range(0, 30, 5):
        score = _board_only_in(seed, BOARD)
        assert score.scenario_score is not None and score.scenario_score >= 0.9, (
            seed,
            [(c.id, c.evidence) for c in score.checks if not c.passed],
        )


def test_the_board_page_by_page_is_honest_work() -> None:
    seed = 4
    pages = [
        _exec(BOARD + " -d '" + json.dumps({"page_size": 5}) + "'"),
        *(
            _exec(BOARD + " -d '" + json.dumps({"page_size": 5, "start_cursor": str(k)}) + "'")
            for k in (5, 10, 15)
        ),
    ]
    score = _play(seed, [*_reads(seed)[:2], *pages])
    assert score.scenario_score is not None and score.scenario_score >= 0.85, [
        (c.id, c.evidence) for c in score.checks if not c.passed
    ]


def test_ticket_ids_live_on_the_board_only() -> None:
    """No Slack message names a ticket id: the ids the prompt asks for are the board's."""
    for seed in SEEDS:
        inst = _instance(seed)
        slack = inst.fixtures["slack_messages.json"]
        assert not re.search(r"\bPLAT-\d+", slack), seed
        board = json.loads(inst.fixtures["tasks.json"])
        for key in ("DONE_ID", "STARTED_ID", "BLOCKED_ID", "DEP_ID", "POSTMORTEM_ID"):
            assert any(t["id"] == inst.variables[key] for t in board), (seed, key)


def test_every_board_fact_needs_slack_too() -> None:
    """Facts combine sources: each fact but the incident's headline needs two objects, and
    every source (the two channels and the board) is needed by at least three facts."""
    truth = _instance(0).truth
    assert truth is not None
    needs: dict[str, set[str]] = {}
    for key, fact in truth.facts.items():
        places = {p.source.split("/")[0].split(":")[0] + _where(p.source) for p in fact.proofs}
        needs[key] = places
    assert needs["incident"] == {"slack#incidents"}
    for key in ("postmortem", "done", "started", "blocked", "scope"):
        assert "task" in needs[key] and any(p.startswith("slack") for p in needs[key]), key
    per_source = {
        src: sum(src in n for n in needs.values()) for src in ("task", "slack#platform-team")
    }
    per_source["slack#incidents"] = sum("slack#incidents" in n for n in needs.values())
    assert min(per_source.values()) >= 3, per_source


def _where(source: str) -> str:
    return source.split(":", 1)[1].split("/")[0] if source.startswith("slack:") else ""
