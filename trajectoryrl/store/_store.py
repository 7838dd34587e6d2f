"""The validator's state in SQLite (WAL).

Every write that belongs to one step of an epoch happens in one transaction (``with
store.transaction():``), so a kill -9 leaves either all of a step or none of it, and a
restart resumes from the epoch's recorded status.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trajectoryrl.store._schema import MIGRATIONS, SCHEMA_VERSION


class StoreError(Exception):
    code = "store_error"


class Store:
    """Thread-safe access through one connection guarded by a lock; keep calls short."""

    def __init__(self, path: str | Path, *, migrations: list[str] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrations = MIGRATIONS if migrations is None else migrations
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._depth = 0
        self._migrate()

    # -- schema ---------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        target = len(self._migrations)
        with self._lock:
            current = self.schema_version
            if current > target:
                raise StoreError(
                    f"{self.path}: schema version {current} is newer than this software ({target}); "
                    "upgrade the node instead of running an older one on this state"
                )
            for version in range(current, target):
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_sql(self._migrations[version]):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {version + 1}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Nested calls join the outer transaction."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- epochs ---------------------------------------------------------------------------
    def epoch(self, epoch: int) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM epochs WHERE epoch = ?", (epoch,))
        return rows[0] if rows else None

    def begin_epoch(self, epoch: int, seed: int, start_block: int) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO epochs (epoch, seed, start_block, status) VALUES (?, ?, ?, 'collecting')",
                (epoch, seed, start_block),
            )

    def set_epoch_status(self, epoch: int, status: str, detail: str = "") -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE epochs SET status = ?, detail = ? WHERE epoch = ?", (status, detail, epoch)
            )

    def latest_epoch(self) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM epochs ORDER BY epoch DESC LIMIT 1")
        return rows[0] if rows else None

    # -- submissions and verification ----------------------------------------------------
    def record_submission(
        self,
        epoch: int,
        hotkey: str,
        uid: int,
        repo_url: str,
        commit_hash: str,
        pack_hash: str,
        block: int,
        received_at: float = 0.0,
    ) -> None:
        """The claims this epoch works on (asked again after a restart: the first row stays)."""
        with self.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (epoch, hotkey, uid, repo_url, commit_hash, pack_hash, block, received_at),
            )

    def submissions(self, epoch: int) -> list[sqlite3.Row]:
        return self.query(
            "SELECT * FROM submissions WHERE epoch = ? ORDER BY hotkey, pack_hash", (epoch,)
        )

    def verifications(self, epoch: int) -> list[sqlite3.Row]:
        return self.query(
            "SELECT * FROM verifications WHERE epoch = ? ORDER BY hotkey, pack_hash", (epoch,)
        )

    def pack_scores(self, epoch: int, *, include_left_out: bool = False) -> list[sqlite3.Row]:
        """The epoch's pack scores. A pack whose evaluation failed on the validator's side
        and had no earlier score to carry over is recorded as left out (``evaluator_failed``):
        it has no verdict, so it is listed only when asked for."""
        where = "" if include_left_out else " AND evaluator_failed = 0"
        return self.query(
            f"SELECT * FROM pack_scores WHERE epoch = ?{where} ORDER BY hotkey, pack_hash",
            (epoch,),
        )

    def last_scored(self, pack_hash: str) -> sqlite3.Row | None:
        """The latest real score of this exact pack (any hotkey, any earlier epoch)."""
        rows = self.query(
            "SELECT * FROM pack_scores WHERE pack_hash = ? AND evaluator_failed = 0 "
            "ORDER BY epoch DESC LIMIT 1",
            (pack_hash,),
        )
        return rows[0] if rows else None

    def last_pack_score(self, pack_hash: str) -> float | None:
        rows = self.query(
            "SELECT final FROM pack_scores WHERE pack_hash = ? AND evaluator_failed = 0 "
            "ORDER BY epoch DESC LIMIT 1",
            (pack_hash,),
        )
        return float(rows[0][0]) if rows else None

    def record_verification(
        self,
        epoch: int,
        hotkey: str,
        *,
        ok: bool,
        reason: str,
        detail: str = "",
        pack_hash: str | None = None,
        push_time: float | None = None,
        warnings: list[str] | None = None,
        pack_json: str | None = None,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO verifications VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    epoch,
                    hotkey,
                    int(ok),
                    reason,
                    detail,
                    pack_hash or "",
                    push_time,
                    json.dumps(warnings or []),
                ),
            )
            if pack_json is not None and pack_hash:
                c.execute("INSERT OR IGNORE INTO packs VALUES (?, ?)", (pack_hash, pack_json))

    def last_ok_verification(self, hotkey: str, pack_hash: str) -> sqlite3.Row | None:
        rows = self.query(
            "SELECT * FROM verifications WHERE hotkey = ? AND pack_hash = ? AND ok = 1 "
            "AND push_time IS NOT NULL ORDER BY epoch DESC LIMIT 1",
            (hotkey, pack_hash),
        )
        return rows[0] if rows else None

    def pack_json(self, pack_hash: str) -> str | None:
        rows = self.query("SELECT pack_json FROM packs WHERE pack_hash = ?", (pack_hash,))
        return str(rows[0]["pack_json"]) if rows else None

    # -- claims (on-chain commitments) ----------------------------------------------------
    def record_claim(
        self,
        hotkey: str,
        registered_block: int,
        pack_hash: str,
        repo_url: str,
        commit_hash: str,
        block: int,
        committed_at: float,
    ) -> None:
        """Remember a commitment seen on chain. A pack claimed again by the same hotkey (same
        registration) keeps its earliest block: re-committing never re-dates a claim."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (hotkey, registered_block, pack_hash) DO UPDATE SET "
                "repo_url = CASE WHEN excluded.block < claims.block THEN excluded.repo_url "
                "ELSE claims.repo_url END, "
                "commit_hash = CASE WHEN excluded.block < claims.block THEN excluded.commit_hash "
                "ELSE claims.commit_hash END, "
                "committed_at = CASE WHEN excluded.block < claims.block "
                "THEN excluded.committed_at ELSE claims.committed_at END, "
                "block = MIN(claims.block, excluded.block)",
                (hotkey, registered_block, pack_hash, repo_url, commit_hash, block, committed_at),
            )

    def claims(self) -> list[sqlite3.Row]:
        """Every claim seen, oldest first."""
        return self.query("SELECT * FROM claims ORDER BY block, hotkey, pack_hash")

    def verified_claims(self, up_to_epoch: int) -> list[sqlite3.Row]:
        """Claims that verified in some epoch up to ``up_to_epoch`` (the ownership history)."""
        return self.query(
            "SELECT c.* FROM claims c WHERE EXISTS (SELECT 1 FROM verifications v "
            "WHERE v.hotkey = c.hotkey AND v.pack_hash = c.pack_hash AND v.ok = 1 "
            "AND v.epoch <= ?) ORDER BY c.block, c.hotkey, c.pack_hash",
            (up_to_epoch,),
        )

    # -- server-side push times, per (repo, commit) ---------------------------------------
    def push_time(self, repo_url: str, commit_hash: str) -> tuple[float, str] | None:
        """(unix seconds, source) of the earliest push time recorded for this commit."""
        rows = self.query(
            "SELECT push_time, source FROM push_times WHERE repo_url = ? AND commit_hash = ?",
            (repo_url, commit_hash),
        )
        return None if not rows else (float(rows[0][0]), str(rows[0][1]))

    def record_push_time(
        self, repo_url: str, commit_hash: str, when: float, source: str
    ) -> tuple[float, str]:
        """Persist a forge's push time (the earliest answer wins) and return what is stored."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO push_times VALUES (?, ?, ?, ?) ON CONFLICT (repo_url, commit_hash) "
                "DO UPDATE SET source = CASE WHEN excluded.push_time < push_times.push_time "
                "THEN excluded.source ELSE push_times.source END, "
                "push_time = MIN(push_times.push_time, excluded.push_time)",
                (repo_url, commit_hash, float(when), source),
            )
        stored = self.push_time(repo_url, commit_hash)
        assert stored is not None
        return stored

    # -- evaluation cache -----------------------------------------------------------------
    def cached_evaluation(self, cache_key: str) -> tuple[str, bytes] | None:
        rows = self.query(
            "SELECT score_json, trajectory FROM evaluations WHERE cache_key = ?", (cache_key,)
        )
        if not rows:
            return None
        return str(rows[0]["score_json"]), zlib.decompress(rows[0]["trajectory"])

    def store_evaluation(
        self,
        cache_key: str,
        *,
        pack_hash: str,
        scenario: str,
        seed: int,
        epoch: int,
        score_json: str,
        trajectory_json: str,
    ) -> None:
        blob = zlib.compress(trajectory_json.encode("utf-8"), 6)
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cache_key, pack_hash, scenario, seed, epoch, score_json, blob),
            )

    # -- scores, decisions, weights -------------------------------------------------------
    def record_pack_score(
        self,
        epoch: int,
        hotkey: str,
        pack_hash: str,
        *,
        final: float,
        qualified: bool,
        evaluator_failed: bool,
        parts_json: str,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO pack_scores VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    epoch,
                    hotkey,
                    pack_hash,
                    final,
                    int(qualified),
                    int(evaluator_failed),
                    parts_json,
                ),
            )

    def record_decision(
        self,
        epoch: int,
        *,
        winner_hotkey: str | None,
        winner_uid: int | None,
        burned: bool,
        weights: dict[int, float],
        steps_json: str,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    epoch,
                    winner_hotkey,
                    winner_uid,
                    int(burned),
                    json.dumps({str(k): v for k, v in weights.items()}),
                    steps_json,
                ),
            )

    def decision(self, epoch: int) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM decisions WHERE epoch = ?", (epoch,))
        return rows[0] if rows else None

    def anchor_audit(self, seq: int, head: str) -> None:
        """Remember the audit log's last entry (its seq and hash): the log alone cannot show
        that its tail was cut or that it was rewritten with recomputed hashes."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO audit_anchor (id, seq, head) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, head = excluded.head",
                (seq, head),
            )

    def audit_anchor(self) -> tuple[int, str] | None:
        rows = self.query("SELECT seq, head FROM audit_anchor WHERE id = 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def latest_decision(self) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM decisions ORDER BY epoch DESC LIMIT 1")
        return rows[0] if rows else None

    def record_weight_set(
        self,
        epoch: int,
        *,
        block: int | None,
        weights: dict[int, float],
        success: bool,
        message: str,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO weight_sets (epoch, block, weights_json, success, message) VALUES (?, ?, ?, ?, ?)",
                (
                    epoch,
                    block,
                    json.dumps({str(k): v for k, v in weights.items()}),
                    int(success),
                    message,
                ),
            )


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script: comments dropped first, then split on semicolons
    (our migrations keep semicolons out of string literals)."""
    code = "\n".join(ln for ln in script.splitlines() if not ln.strip().startswith("--"))
    return [stmt.strip() for stmt in code.split(";") if stmt.strip()]


__all__ = ["SCHEMA_VERSION", "Store", "StoreError"]
