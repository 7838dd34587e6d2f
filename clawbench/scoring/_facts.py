"""``fact_answer``: a claim of one ground-truth fact, scored for precision as well as recall.

Where the claim is read: the reply's ``<label>:`` lines (a label the prompt asks for, so a
check reads exactly what the user asked), the whole reply without a label, or the text of
the agent's side effects of one kind (each addressed to exactly the right recipient, or,
without a recipient, all of them read together). It passes
only when the claim states the fact, names no rival (a planted decoy or any other candidate:
a reply that lists candidates is imprecise and fails), and, if ``grounded``, the fact's
evidence reached the agent in a tool result it did not write itself, from its source and
from every other object the fact combines (``also``: a ticket id from the board AND the
Slack message saying it shipped).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from types import SimpleNamespace
from typing import Any

from clawbench.scenario import BoundFact
from clawbench.scoring._claims import read_claim, retraction
from clawbench.scoring._models import ScoringError
from clawbench.scoring._provenance import external_copies
from clawbench.scoring._text import compile_pattern, effect_text, excerpt
from clawbench.trajectory import ToolCallRecord, Trajectory
from clawbench.world import SideEffect

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

# (probe with evidence/pattern/tool/source, trajectory, only calls before this index)
Grounding = Callable[[Any, Trajectory, int | None], tuple[ToolCallRecord, str] | None]
Outcome = tuple[bool, str, bool]  # passed, evidence, costs its points
Verdict = tuple[str, str]  # kind, evidence


def label_lines(text: str, label: str) -> list[str]:
    """The values of every ``<label>: value`` line (markdown bullets, numbering, bold and
    heading marks before the label are allowed)."""
    rx = re.compile(
        r"(?im)^[ \t>*_#+\-\d.)]*" + re.escape(label) + r"[ \t*_]*[:\uff1a][ \t*_]*([^\n]*)$"
    )
    return [m.group(1) for m in rx.finditer(text)]


def _bound(check: Any) -> BoundFact:
    if check.truth is None:
        raise ScoringError(
            f"check {check.id!r}: fact_answer was not bound to a ground truth "
            "(score an instance made by clawbench.scenario.instantiate)",
            code="check_invalid",
        )
    return check.truth


def precise(fact: BoundFact, text: str, owner: str) -> Verdict:
    """The text states the fact (an asserted claim: not denied, hedged or contradicted)
    and names none of its rivals. ``kind``: ok, absent, undone (the fact mentioned only
    denied or hedged, or contradicted: a false statement, which costs) or rival."""
    verdict = read_claim(compile_pattern(fact.pattern, case_insensitive=True, owner=owner), text)
    if verdict.claim is None and verdict.undone is None:
        return "absent", f"does not state {fact.value!r}"
    if not verdict.claimed:
        return "undone", f"does not claim {fact.value!r}: {excerpt(verdict.reason)}"
    m = verdict.claim
    assert m is not None
    for rival in fact.rivals:
        r = compile_pattern(rival, case_insensitive=True, owner=owner).search(text)
        if r is not None:
            return "rival", f"names a rival of {fact.value!r}: {excerpt(r.group(0))!r}"
    return "ok", f"states {fact.value!r}: {excerpt(m.text)!r}"


def _undone_elsewhere(fact: BoundFact, reply: str, label: str, owner: str) -> str | None:
    """Outside its labelled lines the reply retracts its answers ("None of the above is
    confirmed.", "It is not the case that:") or mentions the fact denied or hedged ("PR #6641
    was ruled out"): the labelled claim is contradicted."""
    rest = "\n".join(line for line in reply.splitlines() if not label_lines(line, label))
    undo = retraction(rest)
    if undo is not None:
        return f"retracted elsewhere in the reply ({undo!r})"
    rx = compile_pattern(fact.pattern, case_insensitive=True, owner=owner)
    for line in rest.splitlines():  # line by line: a conjunction is not searched across
        if not line.strip():  # the whole reply (quadratic on a long one)
            continue
        verdict = read_claim(rx, line)
        if verdict.undone is not None:
            return f"contradicted elsewhere in the reply ({verdict.undone.cue!r}): " + excerpt(
                verdict.undone.clause
            )
    return None


def _recipients_exact(check: Any, effect: SideEffect) -> bool:
    """To is exactly the fact's recipient, no rival appears anywhere in the effect, and no
    Cc/Bcc goes outside the sender's own domain (no spraying of candidate addresses)."""
    want = check.recipient
    if want is None:
        return True
    whole = effect_text(effect)
    got = {a.casefold() for a in _EMAIL.findall(effect.target)}
    if got != {want.value.casefold()}:
        return False
    if external_copies(effect):
        return False
    owner = f"check {check.id!r} (recipient)"
    return not any(
        compile_pattern(r, case_insensitive=True, owner=owner).search(whole) for r in want.rivals
    )


def _claims(check: Any, traj: Trajectory) -> tuple[list[tuple[str, int | None]], str]:
    """The texts holding the claim, each with the index of the call that made it (an
    artifact must come after its source was read; None: the final reply), and how they were
    looked for (for the evidence line)."""
    if check.effect is not None:
        texts: list[tuple[str, int | None]] = []
        for c in traj.tool_calls:
            for e in c.side_effects:
                if fnmatchcase(e.kind, check.effect) and _recipients_exact(check, e):
                    texts.append((e.text, c.index))
        if check.recipient is None and texts:
            # Without a recipient every such effect is one claim: creating a task per
            # candidate is listing candidates. It is made when the first of them was.
            texts = [("\n".join(t for t, _ in texts), min(i for _, i in texts if i is not None))]
        who = f" to exactly {check.recipient.value}" if check.recipient is not None else ""
        return texts, f"no {check.effect} effect{who}"
    if check.label is not None:
        lines = label_lines(traj.final_response, check.label)
        return (
            [("\n".join(lines), None)] if lines else []
        ), f"no '{check.label}:' line in the reply"
    return ([(traj.final_response, None)] if traj.final_response else []), "empty reply"


def fact_answer(check: Any, traj: Trajectory, grounding: Grounding) -> Outcome:
    """(passed, evidence, costs). ``costs``: the agent told the user something false about
    the fact: it denied or hedged it (also where the label line it was asked for is missing
    and the fact appears undone elsewhere in the reply), or it asserted it without its
    source having reached it first (a fabricated claim, right only by luck or memory)."""
    fact = _bound(check)
    owner = f"check {check.id!r}"
    texts, missing = _claims(check, traj)
    if not texts:
        if check.label is not None and check.effect is None and traj.final_response:
            kind, why = precise(fact, traj.final_response, owner)
            if kind == "undone":
                return False, f"{missing}; {why}", True
        return False, missing, False
    verdicts = [(precise(fact, t, owner), before) for t, before in texts]
    if check.label is not None and check.effect is None:
        elsewhere = _undone_elsewhere(fact, traj.final_response, check.label, owner)
        if elsewhere is not None and any(v[0] == "ok" for v, _ in verdicts):
            return False, f"does not claim {fact.value!r}: {elsewhere}", True
    good = [(v, before) for v, before in verdicts if v[0] == "ok"]
    if not good:
        first = verdicts[0][0]
        return False, first[1], first[0] == "undone"
    if not check.grounded:
        return True, good[0][0][1], False
    proofs = [(fact.source, fact.evidence), *((p.source, p.evidence) for p in fact.also)]

    def missing_before(before: int | None) -> list[str]:
        """The sources (of every one the claim combines) that had not reached the agent."""
        out = []
        for source, evidence in proofs:
            probe = SimpleNamespace(
                id=check.id,
                evidence=evidence,
                pattern=fact.pattern,
                tool=None,
                case_insensitive=True,
                source=source,
            )
            if grounding(probe, traj, before) is None:
                out.append(source)
        return out

    gaps: list[str] = []
    for v, before in good:  # provenance: every source object, read before the claim was made
        gaps = missing_before(before)
        if not gaps:
            return True, v[1], False
    when = " before the claim was made" if all(b is not None for _, b in good) else ""
    what = "its source" if len(gaps) == 1 else "its sources"
    return (
        False,
        f"{good[0][0][1]}, but {what} ({', '.join(gaps)}) never reached the agent{when} "
        "(fabricated)",
        True,
    )
