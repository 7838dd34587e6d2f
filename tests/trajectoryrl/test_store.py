"""Validator store: migrations, atomic steps, claims, push times, evaluation cache."""

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


def test_a_claim_keeps_its_earliest_block_and_resets_on_reregistration(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    s.record_claim("hk", 10, "p1", "u", "c1", block=50, committed_at=1000.0)
    # Seen again later (or re-committed): never re-dated.
    s.record_claim("hk", 10, "p1", "u", "c2", block=90, committed_at=2000.0)
    # Seen from an earlier chain read after a later one: the earliest block wins.
    s.record_claim("hk", 10, "p1", "u", "c0", block=40, committed_at=900.0)
    # The same hotkey re-registered (new registered_block): a new claim.
    s.record_claim("hk", 80, "p1", "u", "c3", block=95, committed_at=2100.0)
    rows = [(r["registered_block"], r["block"], r["commit_hash"]) for r in s.claims()]
    assert rows == [(10, 40, "c0"), (80, 95, "c3")]


def test_push_times_persist_and_keep_the_earliest(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    s = Store(db)
    assert s.push_time("u", "c") is None
    assert s.record_push_time("u", "c", 1000.0, "github_events") == (1000.0, "github_events")
    assert s.record_push_time("u", "c", 1500.0, "local_hook") == (1000.0, "github_events")
    s.close()
    assert Store(db).push_time("u", "c") == (1000.0, "github_events")  # survives a restart


def test_version_2_state_migrates_to_claims_keeping_scores(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    s = Store(db, migrations=MIGRATIONS[:2])
    s.query("INSERT INTO verifications VALUES (1, 'hk', 0, 'not_registered', '', NULL, NULL, '[]')")
    s.query("INSERT INTO pack_scores VALUES (1, 'hk', 'p', 0.5, 1, 0, '{}')")
    s.close()
    s = Store(db)
    assert s.verifications(1)[0]["pack_hash"] == ""
    assert s.pack_scores(1)[0]["final"] == 0.5
    # Two claims of one hotkey live side by side in an epoch.
    s.record_pack_score(
        1, "hk", "q", final=0.7, qualified=True, evaluator_failed=False, parts_json="{}"
    )
    assert [r["pack_hash"] for r in s.pack_scores(1)] == ["p", "q"]


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


def test_a_restart_keeps_the_first_receipt_of_a_submission(tmp_path: Path) -> None:
    s = Store(tmp_path / "v.db")
    s.record_submission(1, "hk", 1, "u", "c", "p", 120, received_at=1000.0)
    s.record_submission(1, "hk", 1, "u", "c", "p", 125, received_at=1060.0)  # after a restart
    s.record_submission(1, "hk", 1, "u", "c2", "p2", 126, received_at=1070.0)  # another claim
    rows = [(r["pack_hash"], r["received_block"]) for r in s.submissions(1)]
    assert rows == [("p", 120), ("p2", 126)]
