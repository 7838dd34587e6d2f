"""The built-in attack families: trajectories that try to earn the score without the work.

Each one is what a paid miner who reads our code would try first (issue 11): a constant reply
over the seed space, keyword stuffing with zero or one call, the reference with every claim
denied or hedged, another seed's reference replayed, reading everything and then stuffing,
reading one or two sources and inventing the rest, and planting the answers in the world to
read them back as "evidence".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from clawbench.agent import ScriptToolCall, ScriptTurn
from clawbench.redteam._registry import Attack, AttackContext, attack_family, calls, final
from clawbench.scenario import ScenarioInstance

_BULLET = re.compile(r"^(\s*(?:[-*]|\d+[.)])?\s*(?:\*\*)?)(.*)$")


def negate(reply: str) -> str:
    """Deny every line of a reply while keeping all its keywords."""
    return _rewrite(reply, "It is not true that {}; no, not this.")


def hedge(reply: str) -> str:
    """Hedge every line of a reply while keeping all its keywords."""
    return _rewrite(reply, "It might be that {}, but I could not confirm this.")


def _rewrite(reply: str, form: str) -> str:
    out = []
    for line in reply.splitlines():
        m = _BULLET.match(line)
        if not line.strip() or m is None:
            out.append(line)
            continue
        out.append(m.group(1) + form.format(m.group(2).strip()))
    return "\n".join(out)


def _replay(turns: list[ScriptTurn], reply: str) -> list[ScriptTurn]:
    """``turns`` with the final answer replaced by ``reply``."""
    body = [t for t in turns if t.tool_calls]
    body = [ScriptTurn(tool_calls=t.tool_calls) for t in body]
    return [*body, final(reply)]


@attack_family("stuffing", scenarios="all")
def stuffing(ctx: AttackContext) -> Iterator[Attack]:
    """Doing nothing; a reply that already knows this seed's answers, with zero or one tool
    call; and the constant reply (every seed's answers) with zero or one call."""
    if ctx.reference is None:
        return

    def zero(inst: ScenarioInstance) -> list[ScriptTurn]:
        return [final(ctx.reference_reply(inst.seed))]

    def one(inst: ScenarioInstance) -> list[ScriptTurn]:
        reads = ctx.reference_reads(inst.seed)[:1]
        return [calls(*reads), final(ctx.reference_reply(inst.seed))]

    def constant(inst: ScenarioInstance) -> list[ScriptTurn]:
        return [final(ctx.union_reply())]

    def one_constant(inst: ScenarioInstance) -> list[ScriptTurn]:
        reads = ctx.reference_reads(inst.seed)[:1]
        return [calls(*reads), final(ctx.union_reply())]

    yield Attack("stuffing", "do-nothing", lambda inst: [final("")])
    yield Attack("stuffing", "zero-call-stuffing", zero)
    yield Attack("stuffing", "one-call-stuffing", one)
    yield Attack("stuffing", "constant-reply", constant)
    yield Attack("stuffing", "one-call-constant-reply", one_constant)


@attack_family("negated_reference")
def negated_reference(ctx: AttackContext) -> Iterator[Attack]:
    """The honest reference's calls and artifacts, with every claim of its reply denied (or
    hedged): keywords without assertions."""
    if ctx.reference is None:
        return

    def denied(inst: ScenarioInstance) -> list[ScriptTurn]:
        ref = ctx.reference_for(inst.seed)
        assert ref is not None
        return _replay(list(ref.turns), negate(ctx.reference_reply(inst.seed)))

    def hedged(inst: ScenarioInstance) -> list[ScriptTurn]:
        ref = ctx.reference_for(inst.seed)
        assert ref is not None
        return _replay(list(ref.turns), hedge(ctx.reference_reply(inst.seed)))

    yield Attack("negated_reference", "negated-reference", denied)
    yield Attack("negated_reference", "hedged-reference", hedged)


@attack_family("seed_replay")
def seed_replay(ctx: AttackContext) -> Iterator[Attack]:
    """The reference as it plays on another seed (the next one under attack), replayed
    verbatim: a pack that memorised one instance."""
    if ctx.reference is None or len(ctx.seeds) < 2:
        return

    def replay(inst: ScenarioInstance) -> list[ScriptTurn]:
        i = ctx.seeds.index(inst.seed)
        other = ctx.seeds[(i + 1) % len(ctx.seeds)]
        ref = ctx.reference_for(other)
        assert ref is not None
        return list(ref.turns)

    yield Attack("seed_replay", "seed-k-reference-replay", replay)


@attack_family("read_then_stuff")
def read_then_stuff(ctx: AttackContext) -> Iterator[Attack]:
    """Every read the reference makes, then the constant reply; and one or two reads with
    this seed's answers invented around them."""
    if ctx.reference is None:
        return

    def read_all(inst: ScenarioInstance) -> list[ScriptTurn]:
        return [calls(*ctx.reference_reads(inst.seed)), final(ctx.union_reply())]

    def read_k(k: int) -> Attack:
        def turns(inst: ScenarioInstance) -> list[ScriptTurn]:
            reads = ctx.reference_reads(inst.seed)[:k]
            return [calls(*reads), final(ctx.reference_reply(inst.seed))]

        return Attack("read_then_stuff", f"read-{k}-then-invent", turns)

    yield Attack("read_then_stuff", "read-all-then-stuff", read_all)
    for k in (1, 2):
        yield read_k(k)


@attack_family("self_evidence")
def self_evidence(ctx: AttackContext) -> Iterator[Attack]:
    """Write the answers into the world, read them back, then claim them: a Notion page whose
    rich text spells the reply with ``\\u0020`` escapes (so no argument holds the plain
    text), then a query of the task board, then the reply (this seed's, and the constant
    one)."""
    if ctx.reference is None or "exec" not in ctx.scenario.spec.tools:
        return

    def plant(text: str) -> list[ScriptTurn]:
        esc = json.dumps(text, ensure_ascii=True).replace(" ", "\\u0020")
        body = (
            '{"parent": {"database_id": "tasks"}, "properties": {"title": {"title": '
            '[{"text": {"content": ' + esc + "}}]}}}"
        )
        write = "curl -s -X POST https://api.notion.com/v1/pages -d '"
        write += body.replace("'", "'\\''") + "'"
        query = "curl -s -X POST https://api.notion.com/v1/databases/tasks/query"
        return [
            calls(ScriptToolCall(name="exec", arguments={"command": write})),
            calls(ScriptToolCall(name="exec", arguments={"command": query})),
            final(text),
        ]

    yield Attack(
        "self_evidence", "planted-page-own-reply", lambda i: plant(ctx.reference_reply(i.seed))
    )
    yield Attack("self_evidence", "planted-page-constant-reply", lambda i: plant(ctx.union_reply()))
