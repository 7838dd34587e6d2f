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
    assert "5Hk" in out and "0.0020" in out and "estimated" not in out
    Ledger(Store(tmp_path / "state.db"), clock=lambda: 1_790_000_000.0).record(
        prov,
        tokens_in=10,
        tokens_out=10,
        latency_ms=1,
        status="ok",
        episode="e",
        hotkey="5Hk",
        epoch=1,
        tokens_estimated=True,
    )
    assert main(["ledger", "--state-dir", str(tmp_path)]) == 0
    assert "1 call(s) with estimated token counts" in capsys.readouterr().out


def test_export_on_empty_state_writes_empty_files(tmp_path: Path) -> None:
    Store(tmp_path / "state.db").close()
    assert main(["export", "--state-dir", str(tmp_path), "--out", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "sft.jsonl").read_text() == ""


def test_pack_publish_commits_and_pushes_the_canonical_pack(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import json
    import subprocess

    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "-q", "-b", "main", str(remote)], check=True)
    pack_dir = (
        Path(__file__).resolve().parents[2] / "scenarios" / "packs" / "morning_brief" / "optimized"
    )
    code = main(
        [
            "pack",
            "publish",
            str(pack_dir),
            "--repo",
            str(tmp_path / "work"),
            "--remote-url",
            remote.as_uri(),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    commit = out.split("commit")[1].split()[0]
    digest = out.split("pack_hash")[1].split()[0]
    published = subprocess.run(
        ["git", "--git-dir", str(remote), "show", f"{commit}:pack.json"],
        capture_output=True,
        check=True,
    ).stdout
    assert (
        hashlib.sha256(json.dumps(json.loads(published), sort_keys=True).encode()).hexdigest()
        == digest
    )
