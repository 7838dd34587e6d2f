"""Versioned schema. Each migration moves ``PRAGMA user_version`` from i to i+1 inside one
transaction; a database newer than this code is refused loudly (never silently downgraded)."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 0 -> 1: the validator's state.
    """
    CREATE TABLE epochs (
        epoch INTEGER PRIMARY KEY,
        seed INTEGER NOT NULL,
        start_block INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('collecting', 'collected', 'evaluated', 'decided', 'weights_set', 'no_weights')),
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE submissions (
        epoch INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        uid INTEGER NOT NULL,
        repo_url TEXT NOT NULL,
        commit_hash TEXT NOT NULL,
        pack_hash TEXT NOT NULL,
        received_block INTEGER NOT NULL,
        received_at REAL NOT NULL,
        PRIMARY KEY (epoch, hotkey)
    );
    CREATE TABLE verifications (
        epoch INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        ok INTEGER NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        pack_hash TEXT,
        push_time REAL,
        warnings TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (epoch, hotkey)
    );
    CREATE TABLE packs (
        pack_hash TEXT PRIMARY KEY,
        pack_json TEXT NOT NULL
    );
    -- First-mover records, keyed by hotkey (never UID: UIDs are recycled). A record is reset
    -- when the hotkey re-registers (new registered_block); an improved score never moves it.
    CREATE TABLE first_seen (
        hotkey TEXT NOT NULL,
        pack_hash TEXT NOT NULL,
        uid INTEGER NOT NULL,
        registered_block INTEGER NOT NULL,
        push_time REAL NOT NULL,
        first_seen_block INTEGER NOT NULL,
        PRIMARY KEY (hotkey, pack_hash, registered_block)
    );
    -- Evaluation cache: key covers everything that changes a result.
    CREATE TABLE evaluations (
        cache_key TEXT PRIMARY KEY,
        pack_hash TEXT NOT NULL,
        scenario TEXT NOT NULL,
        seed INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        score_json TEXT NOT NULL,
        trajectory BLOB NOT NULL
    );
    CREATE INDEX evaluations_pack ON evaluations (pack_hash, seed);
    CREATE TABLE pack_scores (
        epoch INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        pack_hash TEXT NOT NULL,
        final REAL NOT NULL,
        qualified INTEGER NOT NULL,
        evaluator_failed INTEGER NOT NULL,
        parts_json TEXT NOT NULL,
        PRIMARY KEY (epoch, hotkey)
    );
    CREATE TABLE decisions (
        epoch INTEGER PRIMARY KEY,
        winner_hotkey TEXT,
        winner_uid INTEGER,
        burned INTEGER NOT NULL,
        weights_json TEXT NOT NULL,
        steps_json TEXT NOT NULL
    );
    CREATE TABLE weight_sets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        epoch INTEGER NOT NULL,
        block INTEGER,
        weights_json TEXT NOT NULL,
        success INTEGER NOT NULL,
        message TEXT NOT NULL
    );
    """,
    # 1 -> 2: LLM spend. One row per model call; wall-clock time is fine here (accounting,
    # not a scored path).
    """
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        day TEXT NOT NULL,
        month TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        latency_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        episode TEXT NOT NULL,
        hotkey TEXT NOT NULL,
        epoch INTEGER NOT NULL
    );
    CREATE INDEX ledger_day ON ledger (day);
    CREATE INDEX ledger_month ON ledger (month);
    """,
    # 2 -> 3: claims are on-chain commitments. A hotkey may hold several claims (an older pack
    # keeps its standing when a newer one is committed), so per-epoch rows are keyed by
    # (epoch, hotkey, pack_hash); first_seen (receipt-time precedence) is replaced by claims
    # (commitment blocks, the same for every validator); server-side push times are persisted
    # per (repo, commit) so they survive restarts and the forge's events window.
    """
    CREATE TABLE submissions_v3 (
        epoch INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        uid INTEGER NOT NULL,
        repo_url TEXT NOT NULL,
        commit_hash TEXT NOT NULL,
        pack_hash TEXT NOT NULL,
        received_block INTEGER NOT NULL,
        received_at REAL NOT NULL,
        PRIMARY KEY (epoch, hotkey, pack_hash)
    );
    INSERT INTO submissions_v3 SELECT * FROM submissions;
    DROP TABLE submissions;
    ALTER TABLE submissions_v3 RENAME TO submissions;
    CREATE TABLE verifications_v3 (
        epoch INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        ok INTEGER NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        pack_hash TEXT NOT NULL DEFAULT '',
        push_time REAL,
        warnings TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (epoch, hotkey, pack_hash)
    );
    INSERT INTO verifications_v3
        SELECT epoch, hotkey, ok, reason, detail, COALESCE(pack_hash, ''), push_time, warnings
        FROM verifications;
    DROP TABLE verifications;
    ALTER TABLE verifications_v3 RENAME TO verifications;
    CREATE TABLE pack_scores_v3 (
        epoch INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        pack_hash TEXT NOT NULL,
        final REAL NOT NULL,
        qualified INTEGER NOT NULL,
        evaluator_failed INTEGER NOT NULL,
        parts_json TEXT NOT NULL,
        PRIMARY KEY (epoch, hotkey, pack_hash)
    );
    INSERT INTO pack_scores_v3 SELECT * FROM pack_scores;
    DROP TABLE pack_scores;
    ALTER TABLE pack_scores_v3 RENAME TO pack_scores;
    DROP TABLE first_seen;
    -- Every claim seen on chain: the first commitment of a pack by a hotkey (per registration).
    CREATE TABLE claims (
        hotkey TEXT NOT NULL,
        registered_block INTEGER NOT NULL,
        pack_hash TEXT NOT NULL,
        repo_url TEXT NOT NULL,
        commit_hash TEXT NOT NULL,
        block INTEGER NOT NULL,
        committed_at REAL NOT NULL,
        PRIMARY KEY (hotkey, registered_block, pack_hash)
    );
    CREATE INDEX claims_pack ON claims (pack_hash);
    CREATE TABLE push_times (
        repo_url TEXT NOT NULL,
        commit_hash TEXT NOT NULL,
        push_time REAL NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (repo_url, commit_hash)
    );
    """,
    # 3 -> 4: a model call whose provider reported no usage has estimated token counts (the
    # trajectory's Usage.tokens_estimated); its ledger row says so, so spend built on
    # estimates is visible. Earlier rows were all provider-reported: 0.
    """
    ALTER TABLE ledger ADD COLUMN tokens_estimated INTEGER NOT NULL DEFAULT 0;
    """,
    # 4 -> 5: the audit log's head, anchored after each committed step's entries, so a cut
    # tail or a rewrite with recomputed hashes is caught by `audit verify`.
    """
    CREATE TABLE audit_anchor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        head TEXT NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
