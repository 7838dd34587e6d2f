"""Validator store: migrations, atomic steps, first-mover records, evaluation cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from trajectoryrl.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError


def test_fresh_store_is_at_the_current_schema_version(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    assert s.schema_version == SCHEMA_VERSION
    assert s.query("PRAGMA journal_mode")[0][0] == "wal"


def test_migrations_apply_step_by_step_and_keep_data(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    s = Store(db, migrations=MIGRATIONS[:1])
    s.begin_epoch(3, seed=42, start_block=100)
    s.close()
    extra = MIGRATIONS[:1] + ["ALTER TABLE epochs ADD COLUMN note TEXT NOT NULL DEFAULT 'x'"]
    s2 = Store(db, migrations=extra)
    assert s2.schema_version == 2
    row = s2.epoch(3)
    assert row is not None and row["seed"] == 42 and row["note"] == "x"


def test_a_failing_migration_leaves_the_previous_version_intact(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    Store(db).close()
    broken = [*MIGRATIONS, "CREATE TABLE t (a INT); INSERT INTO nowhere VALUES (1)"]
    with pytest.raises(sqlite3.OperationalError):
        Store(db, migrations=broken)
    s = Store(db)
    assert s.schema_version == SCHEMA_VERSION
    assert not s.query("SELECT name FROM sqlite_master WHERE name = 't'")


def test_a_newer_database_is_refused_loudly(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    Store(db, migrations=[*MIGRATIONS, "CREATE TABLE later (a INT)"]).close()
    with pytest.raises(StoreError, match="newer than this software"):
        Store(db)


def test_a_transaction_is_all_or_nothing(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    with pytest.raises(RuntimeError), s.transaction():
        s.begin_epoch(1, seed=1, start_block=10)
        s.record_submission(1, "hk", 5, "https://github.com/a/b", "c" * 40, "p" * 64, 11)
        raise RuntimeError("killed mid-step")
    assert s.epoch(1) is None
    assert not s.query("SELECT * FROM submissions")


def test_first_seen_is_kept_across_epochs_and_reset_on_reregistration(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    assert s.first_seen("hk", "p1", uid=3, registered_block=10, push_time=1000.0, block=50) == (
        1000.0,
        50,
    )
    # A later epoch (or a better score) never moves the original record.
    assert s.first_seen("hk", "p1", uid=3, registered_block=10, push_time=2000.0, block=90) == (
        1000.0,
        50,
    )
    # The same hotkey re-registered (new registered_block): a fresh record.
    assert s.first_seen("hk", "p1", uid=7, registered_block=80, push_time=2000.0, block=90) == (
        2000.0,
        90,
    )


def test_evaluation_cache_round_trips_compressed(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    traj = '{"messages": [' + ",".join(['"x"'] * 1000) + "]}"
    s.store_evaluation(
        "k1",
        pack_hash="p",
        scenario="sc",
        seed=3,
        epoch=1,
        score_json='{"s": 1}',
        trajectory_json=traj,
    )
    assert s.cached_evaluation("k1") == ('{"s": 1}', traj.encode())
    assert s.cached_evaluation("k2") is None
    blob = s.query("SELECT trajectory FROM evaluations")[0][0]
    assert len(blob) < len(traj) / 5


def test_first_received_block_is_the_earliest(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    s.record_submission(1, "hk", 1, "u", "c", "p", 120, received_at=1000.0)
    s.record_submission(2, "hk", 1, "u", "c", "p", 240, received_at=2000.0)
    assert s.first_received("hk", "p") == (120, 1000.0)
    assert s.first_received("hk", "other") is None


def test_a_restart_keeps_the_first_receipt_of_an_unchanged_submission(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    s.record_submission(1, "hk", 1, "u", "c", "p", 120, received_at=1000.0)
    s.record_submission(
        1, "hk", 1, "u", "c", "p", 125, received_at=1060.0
    )  # asked again after a restart
    assert s.first_received("hk", "p") == (120, 1000.0)
    s.record_submission(
        1, "hk", 1, "u", "c2", "p2", 126, received_at=1070.0
    )  # a different pack: its own receipt
    row = s.submissions(1)[0]
    assert (row["pack_hash"], row["received_block"], row["received_at"], row["commit_hash"]) == (
        "p2",
        126,
        1070.0,
        "c2",
    )
