"""``fact_answer``: a claim of one ground-truth fact, scored for precision as well as recall.

Where the claim is read: the reply's ``<label>:`` lines (a label the prompt asks for, so a
check reads exactly what the user asked), the whole reply without a label, or the text of
the agent's side effects of one kind (each addressed to exactly the right recipient, or,
without a recipient, all of them read together). It passes
only when the claim states the fact, names no rival (a planted decoy or any other candidate:
a reply that lists candidates is imprecise and fails), and, if ``grounded``, the fact's
evidence reached the agent in a tool result it did not write itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from types import SimpleNamespace
from typing import Any

from clawbench.scenario import BoundFact
from clawbench.scoring._models import ScoringError
from clawbench.scoring._text import compile_pattern, effect_text, excerpt
from clawbench.trajectory import ToolCallRecord, Trajectory

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

Grounding = Callable[[Any, Trajectory], tuple[ToolCallRecord, str] | None]
Outcome = tuple[bool, str]


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


def precise(fact: BoundFact, text: str, owner: str) -> Outcome:
    """The text states the fact and names none of its rivals."""
    m = compile_pattern(fact.pattern, case_insensitive=True, owner=owner).search(text)
    if m is None:
        return False, f"does not state {fact.value!r}"
    for rival in fact.rivals:
        r = compile_pattern(rival, case_insensitive=True, owner=owner).search(text)
        if r is not None:
            return False, f"names a rival of {fact.value!r}: {excerpt(r.group(0))!r}"
    return True, f"states {fact.value!r}: {excerpt(m.group(0) or text)!r}"


def _recipients_exact(check: Any, target: str, whole: str) -> bool:
    want = check.recipient
    if want is None:
        return True
    got = {a.casefold() for a in _EMAIL.findall(target)}
    if got != {want.value.casefold()}:
        return False
    owner = f"check {check.id!r} (recipient)"
    return not any(
        compile_pattern(r, case_insensitive=True, owner=owner).search(whole) for r in want.rivals
    )


def _claims(check: Any, traj: Trajectory) -> tuple[list[str], str]:
    """The texts holding the claim, and how they were found (for the evidence line)."""
    if check.effect is not None:
        texts = []
        for c in traj.tool_calls:
            for e in c.side_effects:
                if fnmatchcase(e.kind, check.effect) and _recipients_exact(
                    check, e.target, effect_text(e)
                ):
                    texts.append(e.text)
        if check.recipient is None and texts:
            # Without a recipient every such effect is one claim: creating a task per
            # candidate is listing candidates.
            texts = ["\n".join(texts)]
        who = f" to exactly {check.recipient.value}" if check.recipient is not None else ""
        return texts, f"no {check.effect} effect{who}"
    if check.label is not None:
        lines = label_lines(traj.final_response, check.label)
        return (["\n".join(lines)] if lines else []), f"no '{check.label}:' line in the reply"
    return ([traj.final_response] if traj.final_response else []), "empty reply"


def fact_answer(check: Any, traj: Trajectory, grounding: Grounding) -> Outcome:
    fact = _bound(check)
    owner = f"check {check.id!r}"
    texts, missing = _claims(check, traj)
    if not texts:
        return False, missing
    verdicts = [precise(fact, t, owner) for t in texts]
    ok = next((v for v in verdicts if v[0]), None)
    if ok is None:
        return False, verdicts[0][1]
    if check.grounded:
        probe = SimpleNamespace(
            id=check.id,
            evidence=fact.evidence,
            pattern=fact.pattern,
            tool=None,
            case_insensitive=True,
        )
        if grounding(probe, traj) is None:
            return False, f"{ok[1]}, but its source ({fact.source}) never reached the agent"
    return True, ok[1]
