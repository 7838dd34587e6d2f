"""Claims are read as claims: a mention that is denied or hedged states nothing.

A reply can carry every expected keyword while denying each fact ("it is not a memory leak",
"not PR #247") or hedging it ("might be a memory leak"). A pattern match therefore counts as
a claim only when no negation or hedge cue stands before it in its clause (the text since
the last sentence end, line break or ``;``) or within the few words after it ("memory leak?
unconfirmed", "PR #247 was ruled out"); a fact both asserted and undone is a contradiction
and earns nothing either. Words inside the match are the fact's own ("not approved").

Further on in its clause, at any distance, a denial of the truth still undoes it ("PR #247,
which after a long review turned out to be wrong", "..., but I doubt it"), unless the denial
has its own subject ("PR #247 (the board status is wrong)"). And a *retraction* anywhere in
the text undoes every claim in it: a denial whose subject is the answers themselves ("That
is not true.", "None of the above is confirmed.", "It is not the case that:", "I made these
up.", "Scratch that.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clawbench.scoring._text import TextPattern

# Clause boundaries: sentence ends, semicolons, line breaks.
_BOUNDARY = re.compile(r"[.!?](?=\s|$)|;|\n")
_AFTER_WORDS = 6  # how far after a match a cue still undoes it
# After a match only what denies or doubts *it* counts ("X is not the cause", "X? unclear"),
# not a relative clause that is part of the fact ("a prototype that is not in the sprint").
_AFTER = re.compile(
    r"(?<!that )(?<!which )(?<!who )\b(?:is|was|are|were|seems|looks)\s+(?:not|n[o']t)\b|"
    r"\b(?:isn't|wasn't|aren't|weren't|ruled\s+out|not\s+(?:the|a|an|confirmed|it|true|"
    r"correct|right|verified|sure)|unconfirmed|unverified|unclear|unlikely|false|wrong|"
    r"incorrect|maybe|perhaps|possibly|probably|I\s+think|I\s+guess|or\s+not)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|neither|nor|without|cannot|non|false|untrue|wrong|"
    r"incorrect|denied?|ruled?\s+out|rules\s+out|instead\s+of|rather\s+than|other\s+than|"
    r"except|excluding|nobody|no\s+one)\b|n't\b|n’t\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(
    r"\b(?:might|may|maybe|perhaps|possibly|possible|probably|likely|unlikely|could|would|"
    r"seems?|appears?|suspect(?:ed)?|guess|assume[ds]?|unclear|unconfirmed|uncertain|unsure|"
    r"unverified|unknown|speculat\w*|rumou?r\w*|allegedly|supposedly|hypothe\w+|if|whether|"
    r"one\s+of)\b|\?",
    re.IGNORECASE,
)


# A denial of the truth that reaches any distance further on in the clause. Predicates
# ("... is wrong", "... was ruled out") undo the fact only when their subject is the fact
# itself, a pronoun or nothing ("which ... turned out to be wrong"); "the board is wrong" is
# about the board. The others ("I doubt it", "I have not verified this") always do.
_FAR_PREDICATE = re.compile(
    r"\b(?P<verb>is|was|are|were|be|been|being|seems?|looks?|'s|’s)\s+(?:\w+\s+){0,2}?"
    r"(?:not\s+(?:true|correct|right|accurate|the\s+(?:case|fix|cause|one|answer|right\s+\w+)|"
    r"confirmed|verified|real|so|it)|wrong|false|incorrect|untrue|mistaken|ruled\s+out|"
    r"unconfirmed|unverified|made\s+up|invented|(?:a|pure|just\s+a|only\s+a)\s+guess)\b"
    r"|\b(?P<neg>isn[’']t|wasn[’']t|aren[’']t|weren[’']t)\s+(?:true|correct|right|accurate|"
    r"confirmed|verified|it|the\s+(?:case|fix|cause|one|answer))\b",
    re.IGNORECASE,
)
_FAR_ALWAYS = re.compile(
    r"\b(?:I|we)\s+(?:\w+\s+)?doubt\b|\bdoubtful\b|\bguesswork\b|\bjust\s+kidding\b|"
    r"\bscratch\s+that\b|\bor\s+not\b|\bnot\s+(?:really|sure)\b|"
    r"\b(?:have|has|had|did|could|can)\s*(?:not|n[’']t)\s+(?:(?:yet|actually|really)\s+)?"
    r"(?:verif\w*|confirm\w*|check\w*)|\bcannot\s+(?:verify|confirm)\b",
    re.IGNORECASE,
)
# Words before a predicate that leave the fact as its subject (no noun of their own).
_NO_SUBJECT = frozenset(
    "it this that which who what these those all everything to could might may must will "
    "would should can has have had also then now actually probably certainly turned out "
    "and but so just".split()
)
_META = (
    r"(?:that|this|it|these|those|everything(?:\s+(?:above|below))?|the\s+(?:above|following)|"
    r"(?:all|any|each|every|most|some)\s+of\s+(?:this|that|these|those|it|them|the\s+above|"
    r"the\s+following)|the\s+(?:lines?|answers?|list|points?|facts?|items?)\s+(?:above|below))"
)
_TRUTH = r"(?:true|correct|right|accurate|the\s+case|confirmed|verified|real|reliable|checked)"
_RETRACTION = re.compile(
    rf"\b{_META}\s+(?:is|are|was|were|'s|’s|has\s+been|have\s+been)\s+(?:\w+\s+)?"
    rf"(?:not\s+{_TRUTH}|wrong|false|incorrect|untrue|made\s+up|invented|fabricated|"
    r"unconfirmed|unverified|speculat\w*|fiction|placeholders?|(?:a\s+|pure\s+|just\s+)?"
    r"guess(?:es|work)?)\b"
    rf"|\b{_META}\s+(?:isn[’']t|aren[’']t|wasn[’']t|weren[’']t)\s+{_TRUTH}\b"
    rf"|\bnone\s+of\s+(?:this|that|these|those|it|them|the\s+above|the\s+following|"
    rf"the\s+(?:lines?|answers?|points?)\s+(?:above|below))\s+(?:is|are|was|were|has\s+been|"
    rf"have\s+been)\s+(?:\w+\s+)?{_TRUTH}\b"
    r"|\bit\s+is\s+not\s+(?:the\s+case|true)\b|\bit\s+isn[’']t\s+(?:the\s+case|true)\b"
    r"|\b(?:just\s+kidding|scratch\s+that|j/k)\b"
    r"|\b(?:disregard|ignore)\s+(?:the\s+above|everything(?:\s+above)?|all\s+of\s+(?:this|the\s+above)|"
    r"(?:my|these|those|the)\s+(?:answers?|lines?|points?))\b"
    r"|\b(?:I|we)\s+(?:have\s+not|haven[’']t|did\s+not|didn[’']t|could\s+not|couldn[’']t|"
    r"cannot|can[’']t)\s+(?:\w+\s+)?(?:verif|confirm|check)\w*\s+(?:any\s+of\s+)?"
    r"(?:this|that|these|those|it|them|the\s+above|any(?:thing)?)\b"
    r"|\bI\s+(?:\w+\s+)?(?:made|invented|guessed|fabricated|faked)\s+(?:(?:all\s+(?:of\s+)?)?"
    r"(?:this|that|these|those|it|them|everything|the\s+(?:answers?|lines?)))\b"
    r"|(?:^|[.!?]\s+|\n)\s*(?:not\s+(?:really|true)|nope|false|wrong)\s*[.!]*\s*(?=$|\n)",
    re.IGNORECASE,
)


def retraction(text: str) -> str | None:
    """A denial whose subject is the answers themselves ("That is not true.", "None of the
    above is confirmed.", "It is not the case that:"): it undoes every claim in ``text``."""
    m = _RETRACTION.search(text)
    return " ".join(m.group(0).split()) if m else None


def _far_cue(after: str) -> str | None:
    """A denial of the truth anywhere further on in the clause (see ``_FAR_PREDICATE``)."""
    m = _FAR_ALWAYS.search(after)
    if m:
        return m.group(0)
    for m in _FAR_PREDICATE.finditer(after):
        words = re.findall(r"[\w’']+", after[: m.start()])
        if not words or words[-1].casefold() in _NO_SUBJECT:
            return m.group(0)  # its subject is the fact (right after it) or a pronoun
        if words[0].casefold() in ("which", "that", "who"):
            return m.group(0)  # a relative clause about the fact ("X, which ... was wrong")
    return None


@dataclass(frozen=True)
class Mention:
    """One match of a claim pattern, with its clause and what (if anything) undoes it."""

    start: int
    end: int
    text: str
    clause: str
    cue: str | None  # the negation or hedge word that makes it no claim; None: asserted

    @property
    def asserted(self) -> bool:
        return self.cue is None


# How far a clause reaches either side of a mention. Unbounded, a reply of one endless
# clause repeating the fact cost time quadratic in its length (a 256,000-character reply
# took 357 s to score); no real sentence runs 600 characters.
_CLAUSE_REACH = 600


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    lo = max(0, start - _CLAUSE_REACH)
    for m in _BOUNDARY.finditer(text, lo, start):
        lo = m.end()
    far = min(len(text), end + _CLAUSE_REACH)
    hit = _BOUNDARY.search(text, end, far)
    hi = hit.start() if hit else far
    return lo, hi


def _cue(before: str, after: str) -> str | None:
    """A cue before the match in its clause, or in the first words after it."""
    tail = " ".join(after.split(" ")[: _AFTER_WORDS + 1])
    for rx in (_NEGATION, _HEDGE):
        m = rx.search(before)
        if m:
            return m.group(0)
    m = _AFTER.search(tail)
    return m.group(0) if m else _far_cue(after)


def _tight(rx: TextPattern, text: str, pos: int) -> tuple[int, int]:
    """The shortest span a zero-width (lookahead) match at ``pos`` needs: the smallest end
    at which it still matches, then the latest start (patterns such as
    ``(?=.*memory leak)(?=.*tenant router)`` state a conjunction without consuming it)."""
    lo, hi = pos, len(text)
    while lo < hi:  # smallest endpos that still matches
        mid = (lo + hi) // 2
        if rx.match(text, pos, mid):
            hi = mid
        else:
            lo = mid + 1
    end = lo
    lo, hi = pos, end
    while lo < hi:  # latest start that still matches up to ``end``
        mid = (lo + hi + 1) // 2
        if rx.match(text, mid, end):
            lo = mid
        else:
            hi = mid - 1
    return lo, end


def mentions(rx: TextPattern, text: str) -> list[Mention]:
    """Every match of ``rx`` in ``text`` with its clause and cue."""
    out = []
    pos = 0
    while pos <= len(text):
        m = rx.search(text, pos)
        if m is None:
            break
        start, end = m.start(), m.end()
        inside = ""
        if end == start:
            start, end = _tight(rx, text, start)
            if end == start:
                pos = start + 1
                continue
            inside = text[start:end]  # words between a conjunction's terms are not the fact
        lo, hi = _clause(text, start, end)
        cue = _cue(text[lo:start] + " " + inside, text[end:hi])
        if cue is None and text[end : end + 3].lstrip().startswith("?"):
            cue = "?"  # a question is no claim ("memory leak?")
        out.append(Mention(start, end, text[start:end], text[lo:hi], cue))
        pos = end
    return out


@dataclass(frozen=True)
class ClaimVerdict:
    claim: Mention | None  # the first asserted mention, when the text claims the fact
    undone: Mention | None  # the first denied or hedged mention
    reason: str

    @property
    def claimed(self) -> bool:
        return self.claim is not None and self.undone is None


def read_claim(rx: TextPattern, text: str) -> ClaimVerdict:
    """Does ``text`` claim what ``rx`` describes? Only asserted mentions claim; any denied or
    hedged mention next to an asserted one is a contradiction (no claim either)."""
    found = mentions(rx, text)
    undo = retraction(text) if found else None
    if undo is not None:  # the text takes its answers back: no mention of it claims
        found = [Mention(m.start, m.end, m.text, m.clause, undo) for m in found]
    claim = next((m for m in found if m.asserted), None)
    undone = next((m for m in found if not m.asserted), None)
    if claim is None and undone is None:
        return ClaimVerdict(None, None, "not mentioned")
    if claim is None:
        assert undone is not None
        return ClaimVerdict(
            None, undone, f"mentioned only as not a claim ({undone.cue!r}): {undone.clause!r}"
        )
    if undone is not None:
        return ClaimVerdict(
            claim, undone, f"contradicted: asserted, and undone ({undone.cue!r}) elsewhere"
        )
    return ClaimVerdict(claim, None, "asserted")
