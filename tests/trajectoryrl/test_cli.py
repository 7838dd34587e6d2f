"""The operator CLI's exit codes on honest and tampered state."""

from __future__ import annotations

from pathlib import Path

from trajectoryrl.audit import AuditLog
from trajectoryrl.cli import main
from trajectoryrl.ledger import Ledger, Provider
from trajectoryrl.store import Store


def test_audit_verify_exit_codes(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(1, "decision", {"winner": "a"})
    log.append(1, "weights", {"success": True})
    assert main(["audit", "verify", "--state-dir", str(tmp_path)]) == 0
    text = log.path.read_text().replace('"winner":"a"', '"winner":"b"')
    log.path.write_text(text)
    assert main(["audit", "verify", "--state-dir", str(tmp_path)]) == 1


def test_ledger_prints_totals(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    prov = Provider(
        name="p", model="m", input_usd_per_mtok=1, output_usd_per_mtok=1, context_limit=10
    )
    Ledger(Store(tmp_path / "state.db"), clock=lambda: 1_790_000_000.0).record(
        prov,
        tokens_in=1000,
        tokens_out=1000,
        latency_ms=1,
        status="ok",
        episode="e",
        hotkey="5Hk",
        epoch=1,
    )
    assert main(["ledger", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "5Hk" in out and "0.0020" in out


def test_export_on_empty_state_writes_empty_files(tmp_path: Path) -> None:
    Store(tmp_path / "state.db").close()
    assert main(["export", "--state-dir", str(tmp_path), "--out", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "sft.jsonl").read_text() == ""
