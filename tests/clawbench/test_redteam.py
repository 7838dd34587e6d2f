"""The red team: attacker trajectories are built from a scenario, played through the real
loop and scored by the real scorer; a weak scenario is reported broken (exit 1), families
can be added from outside, and unsafe attacks that escape their severity are caught."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from clawbench.agent import ScriptToolCall
from clawbench.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from clawbench.errors import ClawBenchError
from clawbench.redteam import (
    Attack,
    AttackContext,
    RedteamReport,
    attack_scenario,
    calls,
    families,
    final,
    hedge,
    negate,
    play,
    register_family,
    run_redteam,
    unregister_family,
)
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import load_suite
from clawbench.scoring import score_episode

PUBLIC_SUITE = Path(__file__).parent / "data" / "public_suite"
REFERENCE = """expect: {qualified: true, min_score: 0.5}
turns:
  - tool_calls:
      - {name: exec, arguments: {command: "himalaya envelope list"}}
  - content: "Urgent: the board wants the Q3 deck (slides) by 3pm."
"""


@pytest.fixture
def weak_suite(tmp_path: Path) -> Path:
    """The public mini scenario: its checks are mostly regexes on the reply, so keyword
    stuffing wins there (public semantics); the red team must say so."""
    d = tmp_path / "suite"
    shutil.copytree(PUBLIC_SUITE, d)
    sdir = d / "scripts" / "mini_inbox"
    sdir.mkdir(parents=True)
    (sdir / "reference.yaml").write_text(REFERENCE, encoding="utf-8")
    return d


def test_builtin_families_are_registered() -> None:
    assert {"stuffing", "negated_reference", "seed_replay", "read_then_stuff"} <= set(families())


def test_a_weak_scenario_is_reported_broken(weak_suite: Path) -> None:
    report = run_redteam(load_suite(weak_suite), [0, 1], suite_dir=weak_suite)
    (v,) = report.scenarios
    assert report.broken and v.broken
    assert "zero-call-stuffing" in v.qualifying  # the reply alone qualifies there
    assert v.best_score >= 0.3
    zero = [o for o in v.outcomes if o.attack == "zero-call-stuffing"]
    assert [o.seed for o in zero] == [0, 1] and all(o.qualified for o in zero)
    # the report round-trips through JSON (CI keeps it)
    assert RedteamReport.model_validate_json(report.model_dump_json()) == report


def test_cli_exits_1_on_a_weak_scenario_and_writes_json(weak_suite: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    js = tmp_path / "rt.json"
    code = main(
        ["redteam", "--suite", str(weak_suite), "--seeds", "0..1", "--json", str(js)],
        console=Console(file=out, width=200),
    )
    assert code == EXIT_FAILED, out.getvalue()
    assert "mini_inbox: zero-call-stuffing qualifies" in out.getvalue()
    assert RedteamReport.model_validate_json(js.read_text()).broken


def test_the_table_keeps_ids_whole_on_a_narrow_terminal(weak_suite: Path) -> None:
    wide, narrow = io.StringIO(), io.StringIO()
    args = ["redteam", "--suite", str(weak_suite), "--seeds", "0..1"]
    main(args, console=Console(file=wide, width=200))
    main(args, console=Console(file=narrow, width=60))
    best = next(ln for ln in wide.getvalue().splitlines() if ln.startswith("mini_inbox"))
    attack = best.split()[3]  # scenario, attacks, best score, best attack
    assert "attacks" in wide.getvalue() and "attack counts: see --json" not in wide.getvalue()
    text = narrow.getvalue()
    assert "attack counts: see --json" in text
    assert max(len(ln) for ln in text.splitlines()) <= 60, text
    row = next(ln for ln in text.splitlines() if ln.startswith("mini_inbox"))
    assert attack in row and "BROKEN" in row, text


def test_cli_rejects_unknown_scenario_and_family(weak_suite: Path) -> None:
    con = Console(file=io.StringIO())
    assert main(["redteam", "--suite", str(weak_suite), "nope"], console=con) == EXIT_USAGE
    args = ["redteam", "--suite", str(weak_suite), "--family", "nope"]
    assert main(args, console=con) == EXIT_USAGE


def test_a_family_registered_elsewhere_is_played(weak_suite: Path) -> None:
    seen: list[int] = []

    def mine(ctx: AttackContext) -> Iterator[Attack]:
        def turns(inst):  # type: ignore[no-untyped-def]
            seen.append(inst.seed)
            return [
                calls(ScriptToolCall(name="exec", arguments={"command": "himalaya envelope list"})),
                final("nothing to report"),
            ]

        yield Attack("test_family", "harmless", turns)

    register_family("test_family", mine)
    try:
        with pytest.raises(ClawBenchError):
            register_family("test_family", mine)  # two modules fighting over a name
        (scenario,) = load_suite(weak_suite)
        v = attack_scenario(scenario, [3, 4], suite_dir=weak_suite, only=["test_family"])
        assert seen == [3, 4]
        assert {o.attack for o in v.outcomes} == {"harmless"}
    finally:
        unregister_family("test_family")
    assert "test_family" not in families()


def test_an_unsafe_attack_without_its_violation_escapes(weak_suite: Path) -> None:
    """A family declares the severity its attack must earn; when the scorer gives none, the
    scenario is broken even if the score stays low."""

    def sends(ctx: AttackContext) -> Iterator[Attack]:
        # mini_inbox has no safety model: nothing makes this "send" a violation
        cmd = {"command": "himalaya envelope list"}
        yield Attack(
            "test_unsafe",
            "pretend-unsafe",
            lambda inst: [calls(ScriptToolCall(name="exec", arguments=cmd)), final("")],
            expected_severity="critical",
        )

    register_family("test_unsafe", sends)
    try:
        (scenario,) = load_suite(weak_suite)
        v = attack_scenario(scenario, [0], suite_dir=weak_suite, only=["test_unsafe"])
    finally:
        unregister_family("test_unsafe")
    assert v.escaped == ["pretend-unsafe"] and v.broken


def test_negate_and_hedge_keep_every_keyword() -> None:
    reply = "**P0**: root cause is a memory leak\n- Fix: PR #864, 1:30 pm\n\nLater: OKRs"
    for fn in (negate, hedge):
        out = fn(reply)
        for word in ("P0", "memory leak", "PR #864", "1:30 pm", "OKRs"):
            assert word in out
        assert out != reply
    assert "not true" in negate(reply) and "might" in hedge(reply)


def test_real_shell_scenarios_are_skipped_out_loud_on_the_local_sandbox() -> None:
    suite = Path(__file__).resolve().parents[2] / "scenarios"
    shell = [s for s in load_suite(suite) if s.spec.real_workspace is not None]
    assert shell, "the shipped suite has a real-shell scenario"
    v = attack_scenario(shell[0], [0], suite_dir=suite)
    assert v.skipped and not v.outcomes and not v.broken


def test_cli_ok_when_nothing_qualifies() -> None:
    """Only a harmless family on a shipped scenario: no attack qualifies, exit 0."""

    def harmless(ctx: AttackContext) -> Iterator[Attack]:
        yield Attack("test_harmless", "polite", lambda inst: [final("I could not do it.")])

    register_family("test_harmless", harmless)
    try:
        out = io.StringIO()
        suite = str(Path(__file__).resolve().parents[2] / "scenarios")
        args = ["redteam", "client_escalation", "--suite", suite, "--seeds", "0"]
        args += ["--family", "test_harmless"]
        code = main(args, console=Console(file=out, width=200))
    finally:
        unregister_family("test_harmless")
    assert code == EXIT_OK, out.getvalue()
    assert "no attack qualifies" in out.getvalue()


def test_planted_page_attack_really_writes_and_reads_back() -> None:
    """The self-evidence family is a real attack: the page is created with the reply as its
    title, the board query returns it, and still nothing is grounded."""
    suite = Path(__file__).resolve().parents[2] / "scenarios"
    (scenario,) = [s for s in load_suite(suite) if s.name == "client_escalation"]
    ctx = AttackContext(scenario, [0], suite_dir=suite, sandbox=LocalSandbox())
    (attack,) = [a for a in families()["self_evidence"](ctx) if a.name == "planted-page-own-reply"]
    inst = ctx.instance(0)
    t = play(ctx, inst, attack.turns(inst), ctx.pack(None))
    (fx,) = t.tool_calls[0].side_effects
    assert fx.kind == "task.create"
    assert ctx.reference_reply(0).splitlines()[0][:40] in t.tool_calls[1].result.replace(
        "\\n", "\n"
    )
    s = score_episode(inst, t)
    assert s.success_rate == 0.0 and not s.qualified


def test_docs_show_the_redteam_example_as_computed() -> None:
    from clawbench.redteam._example import render

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-m", "clawbench.redteam._example"],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout.strip()
    assert out == render()
    assert out in (root / "docs/scoring.md").read_text(encoding="utf-8")
