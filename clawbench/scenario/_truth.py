"""An instance's ground truth: the answers its story hides in the world, and the wrong ones.

A generated scenario's seed picks the facts (which incident, which PR, which meeting clashes,
...). Each ``Fact`` says how a claim of it is recognised (``pattern``), which world object
holds it and how it reads there (``source``, ``evidence``), and which claims are wrong
(``rivals``: decoys planted in the same world, and patterns for the rest of the answer
space). Checks bind to these (``fact_answer``) and attack builders read them, so nothing
about the answers lives anywhere but here.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Proof(_Strict):
    """Where a fact shows in the world: the object (``<kind>:<id>``) and a regex matching
    the fact there as the tools print it."""

    source: str
    evidence: str


class Rival(_Strict):
    """A wrong answer to a fact. ``decoy``: planted in this instance's world (at ``source``),
    so an agent that reads carelessly will meet it; otherwise another value of the answer
    space that a reply listing candidates would name."""

    value: str
    pattern: str
    decoy: bool = False
    source: str | None = None
    note: str = ""


class Fact(_Strict):
    """One answer of the story.

    ``value``: the answer as a reply states it (``PR #4821``). ``pattern``: a regex that
    recognises a claim of it. ``source``: the world object holding it, ``<kind>:<id>``
    (``inbox:7``, ``slack:#incidents/m4``, ``task:t-12``, ``calendar:e5``, ``contact:c3``).
    ``evidence``: a regex matching the fact in that object as the tools print it.
    ``also``: the other objects a claim of it combines (the board's ticket id for what Slack
    says is done): each must have reached the agent before the claim too, so a fact that
    needs two sources cannot be grounded by reading one.
    """

    value: str
    pattern: str
    source: str
    evidence: str
    also: list[Proof] = Field(default_factory=list)
    rivals: list[Rival] = Field(default_factory=list)

    @property
    def proofs(self) -> list[Proof]:
        """Every object the claim needs, its own ``source`` first."""
        return [Proof(source=self.source, evidence=self.evidence), *self.also]

    @property
    def decoys(self) -> list[Rival]:
        return [r for r in self.rivals if r.decoy]


class GroundTruth(_Strict):
    """Every fact of one instance, by key (the key a ``fact_answer`` check names)."""

    generator: str
    facts: dict[str, Fact] = Field(default_factory=dict)

    def fact(self, key: str) -> Fact:
        try:
            return self.facts[key]
        except KeyError:
            known = ", ".join(sorted(self.facts)) or "none"
            raise KeyError(f"{self.generator}: no fact {key!r} (known: {known})") from None
