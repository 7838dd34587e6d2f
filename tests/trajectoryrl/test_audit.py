"""Audit log: an honest log verifies; an edited score, a deleted entry and a swapped pair are
each detected; a torn write and a cut tail are reported."""

from __future__ import annotations

import json
from pathlib import Path

from trajectoryrl.audit import AuditLog, verify_log


def _honest(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for epoch in (1, 2):
        log.append(epoch, "scores", {"hk1": 0.81, "hk2": 0.42})
        log.append(epoch, "decision", {"winner": "hk1", "weights": {"1": 1.0}})
        log.append(epoch, "weights", {"success": True})
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines(keepends=True)


def test_an_honest_log_verifies_and_survives_reopening(tmp_path: Path) -> None:
    log = _honest(tmp_path)
    assert verify_log(log.path, expected_head=log.head) == []
    again = AuditLog(log.path)
    assert again.head == log.head and again.has(2, "decision")
    again.append(3, "scores", {})
    assert verify_log(log.path, expected_head=again.head) == []


def test_an_edited_score_is_detected(tmp_path: Path) -> None:
    log = _honest(tmp_path)
    lines = _lines(log)
    entry = json.loads(lines[0])
    entry["data"]["hk2"] = 0.99
    lines[0] = json.dumps(entry) + "\n"
    log.path.write_text("".join(lines))
    codes = [p.code for p in verify_log(log.path)]
    assert codes == ["hash_mismatch"]


def test_a_deleted_entry_is_detected(tmp_path: Path) -> None:
    log = _honest(tmp_path)
    lines = _lines(log)
    del lines[2]
    log.path.write_text("".join(lines))
    codes = {p.code for p in verify_log(log.path)}
    assert codes == {"seq_gap", "broken_link"}


def test_a_swapped_pair_is_detected(tmp_path: Path) -> None:
    log = _honest(tmp_path)
    lines = _lines(log)
    lines[3], lines[4] = lines[4], lines[3]
    log.path.write_text("".join(lines))
    problems = verify_log(log.path)
    assert {p.code for p in problems} == {"seq_gap", "broken_link"}
    assert {p.line for p in problems} >= {4, 5}


def test_a_cut_tail_is_caught_by_the_anchor_and_a_torn_line_is_unreadable(tmp_path: Path) -> None:
    log = _honest(tmp_path)
    head = log.head
    lines = _lines(log)
    log.path.write_text("".join(lines[:-1]))
    assert [p.code for p in verify_log(log.path, expected_head=head)] == ["head_mismatch"]
    log.path.write_text("".join(lines) + '{"seq": 6, "epo')
    assert [p.code for p in verify_log(log.path, expected_head=head)] == ["unreadable"]


def test_append_once_is_idempotent_across_restarts(tmp_path: Path) -> None:
    log = _honest(tmp_path)
    assert AuditLog(log.path).append_once(2, "decision", {"winner": "x"}) is None
    assert AuditLog(log.path).append_once(4, "decision", {"winner": "x"}) is not None
