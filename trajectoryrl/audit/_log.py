"""Append-only, hash-chained audit log (JSON lines).

Each entry carries ``prev`` (the previous entry's hash) and ``hash`` = sha256 of its own
canonical JSON without ``hash``. Editing an entry breaks its hash; removing or reordering
entries breaks ``seq`` continuity and the ``prev`` links; cutting the tail is caught by
comparing the head with an anchor kept elsewhere (the validator's store).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field

log = structlog.get_logger("trajectoryrl.audit")

GENESIS = "0" * 64


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    epoch: int
    kind: str  # submissions | verification | scores | decision | weights | budget | ...
    data: dict[str, Any] = Field(default_factory=dict)
    prev: str
    hash: str = ""

    def compute_hash(self) -> str:
        body = self.model_dump(exclude={"hash"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


class AuditProblem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    line: int
    code: str  # unreadable | hash_mismatch | broken_link | seq_gap | head_mismatch | anchor_*
    detail: str


class AuditLog:
    """Appends are serialised, flushed and fsynced: an entry that was acknowledged survives a
    crash. A crash in the middle of an append leaves a final line without its newline (every
    entry is written as one line ending in ``\\n``); such an entry was never acknowledged, so
    opening the log cuts it, keeps its bytes in ``<path>.torn`` and logs ``audit_torn_line``.
    Damage anywhere else is evidence, never cut: ``verify_log`` reports it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._head = GENESIS
        self._seq = 0
        self._keys: set[tuple[int, str]] = set()
        if self.path.exists():
            self._cut_torn_tail()
            for entry in self._read_valid_prefix():
                self._head, self._seq = entry.hash, entry.seq + 1
                self._keys.add((entry.epoch, entry.kind))

    @property
    def head(self) -> str:
        return self._head

    @property
    def last_seq(self) -> int:
        """The seq of the last entry (-1 when the log is empty)."""
        return self._seq - 1

    def _cut_torn_tail(self) -> None:
        with self.path.open("r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            # Find the start of the unterminated last line.
            start, chunk = size, 4096
            while start > 0:
                lo = max(0, start - chunk)
                fh.seek(lo)
                block = fh.read(start - lo)
                nl = block.rfind(b"\n")
                if nl >= 0:
                    start = lo + nl + 1
                    break
                start = lo
            fh.seek(start)
            torn = fh.read()
            with self.path.with_name(self.path.name + ".torn").open("ab") as side:
                side.write(torn + b"\n")
                side.flush()
                os.fsync(side.fileno())
            fh.truncate(start)
            fh.flush()
            os.fsync(fh.fileno())
        log.warning(
            "audit_torn_line",
            path=str(self.path),
            offset=start,
            bytes=len(torn),
            kept_in=str(self.path.with_name(self.path.name + ".torn")),
            detail="a crash interrupted an append; the unacknowledged entry was cut",
        )

    def _read_valid_prefix(self) -> list[AuditEntry]:
        out = []
        with self.path.open("r", encoding="utf-8") as fh:
            for raw in fh:
                try:
                    out.append(AuditEntry.model_validate_json(raw))
                except ValueError:
                    break
        return out

    def has(self, epoch: int, kind: str) -> bool:
        return (epoch, kind) in self._keys

    def append(self, epoch: int, kind: str, data: dict[str, Any]) -> AuditEntry:
        with self._lock:
            entry = AuditEntry(seq=self._seq, epoch=epoch, kind=kind, data=data, prev=self._head)
            entry = entry.model_copy(update={"hash": entry.compute_hash()})
            line = entry.model_dump_json() + "\n"
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            self._head, self._seq = entry.hash, self._seq + 1
            self._keys.add((epoch, kind))
            return entry

    def append_once(self, epoch: int, kind: str, data: dict[str, Any]) -> AuditEntry | None:
        """Idempotent append for resumable steps: a restart never writes an entry twice."""
        if self.has(epoch, kind):
            return None
        return self.append(epoch, kind, data)

    def entries(self, epoch: int | None = None) -> list[AuditEntry]:
        found = self._read_valid_prefix() if self.path.exists() else []
        return [e for e in found if epoch is None or e.epoch == epoch]


def verify_log(
    path: str | Path,
    *,
    expected_head: str | None = None,
    anchor: tuple[int, str] | None = None,
) -> list[AuditProblem]:
    """Every problem found, in file order; an empty list means the chain is intact.

    ``anchor``: (seq, hash) of an entry the validator's store recorded after writing it. The
    log must still hold that entry with that hash: a cut tail (``anchor_missing``) or a log
    rewritten with recomputed hashes (``anchor_mismatch``) is caught, which the chain alone
    cannot show. Entries after the anchor (written just before a crash) are allowed."""
    problems: list[AuditProblem] = []
    anchored: str | None = None
    prev, expect_seq = GENESIS, 0
    p = Path(path)
    if not p.exists():
        return [AuditProblem(line=0, code="unreadable", detail=f"{p} does not exist")]
    with p.open("r", encoding="utf-8", errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                entry = AuditEntry.model_validate_json(raw)
            except ValueError as err:
                problems.append(
                    AuditProblem(line=lineno, code="unreadable", detail=str(err).splitlines()[0])
                )
                continue
            if entry.compute_hash() != entry.hash:
                problems.append(
                    AuditProblem(
                        line=lineno,
                        code="hash_mismatch",
                        detail=f"entry seq {entry.seq} was edited",
                    )
                )
            if entry.seq != expect_seq:
                problems.append(
                    AuditProblem(
                        line=lineno,
                        code="seq_gap",
                        detail=f"expected seq {expect_seq}, found {entry.seq}",
                    )
                )
            if entry.prev != prev:
                problems.append(
                    AuditProblem(
                        line=lineno,
                        code="broken_link",
                        detail=f"entry seq {entry.seq} does not follow the previous entry (removed or reordered)",
                    )
                )
            if anchor is not None and entry.seq == anchor[0]:
                anchored = entry.hash
            prev, expect_seq = entry.hash, entry.seq + 1
    if anchor is not None and anchored is None:
        problems.append(
            AuditProblem(
                line=0,
                code="anchor_missing",
                detail=f"the store anchored entry seq {anchor[0]}; the log ends before it "
                "(tail cut)",
            )
        )
    elif anchor is not None and anchored != anchor[1]:
        problems.append(
            AuditProblem(
                line=0,
                code="anchor_mismatch",
                detail=f"entry seq {anchor[0]} differs from the one the store anchored "
                "(the log was rewritten)",
            )
        )
    if expected_head is not None and prev != expected_head:
        problems.append(
            AuditProblem(
                line=0,
                code="head_mismatch",
                detail="the log's head differs from the anchored head (tail cut?)",
            )
        )
    return problems
