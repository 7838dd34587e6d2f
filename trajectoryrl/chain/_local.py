"""An embedded local chain in one SQLite file, for localnets and tests.

What this backend guarantees:

- **Shared by several local processes.** The file runs in WAL mode with a busy timeout;
  every write is one short ``BEGIN IMMEDIATE`` transaction, every multi-row read one
  snapshot, so processes (validator, miners, the localnet driver) see one consistent chain.
- **A block clock.** ``block = floor((clock() - genesis) / block_time) + offset``; the genesis
  time, block time and offset live in the file, so every process agrees on the block.
  ``advance(n)`` moves the chain forward for tests without waiting.
- **The real chain's rules that the node relies on**, each refusal with a reason code:
  registration with UID recycling (a full subnet replaces its lowest-stake neuron without a
  validator permit, and the newcomer gets a new ``registered_block``); weights only from a
  registered hotkey holding a validator permit, at most once per ``weights_rate_limit``
  blocks (allowed when ``since >= limit``), to registered UIDs, finite and non-negative, not
  all zero; stored quantised to u16 as the chain does and read back normalised to sum 1;
  endpoints (IP literal, port 1..65535) and commitments (at most 3 Raw fields of 128 bytes)
  only from registered hotkeys, commitments dated by their block and timestamped by the clock
  when written; every commitment is kept in a log (``commitment_history``), block hashes
  derive from a random per-file genesis hash (``block_hash``).
- **Never blocks the event loop.** Protocol methods are async and run SQLite in a thread.

What it does not model: stake-weighted consensus, emissions, immunity periods, commit-reveal,
serving / commitment rate limits and fees. Admin methods (``register``, ``set_stake`` ...)
are synchronous: they are for localnet set-up and tests, not for the node.

Test seam (explicit, per handle, not stored in the file): ``fail_next_set_weights(n)`` makes
the next ``n`` set_weights calls of this handle return a failed result (code "injected");
``unreachable(True)`` makes every protocol method of this handle raise ``ChainError``
(code "unreachable") until ``unreachable(False)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from trajectoryrl.chain._types import (
    ChainError,
    Commitment,
    Endpoint,
    Metagraph,
    Neuron,
    WeightsResult,
)

T = TypeVar("T")

U16_MAX = 65535
RAW_FIELD_BYTES = 128  # the Commitments pallet's largest Raw field
MAX_COMMITMENT_FIELDS = 3
MAX_COMMITMENT_BYTES = RAW_FIELD_BYTES * MAX_COMMITMENT_FIELDS
DEFAULT_BLOCK_TIME_S = 12.0
DEFAULT_TEMPO = 360
DEFAULT_WEIGHTS_RATE_LIMIT = 100
DEFAULT_MAX_UIDS = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subnet (
    netuid INTEGER PRIMARY KEY,
    owner_hotkey TEXT,
    tempo INTEGER NOT NULL,
    weights_rate_limit INTEGER NOT NULL,
    max_uids INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS neurons (
    netuid INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    hotkey TEXT NOT NULL,
    coldkey TEXT NOT NULL,
    stake REAL NOT NULL,
    validator_permit INTEGER NOT NULL,
    host TEXT,
    port INTEGER,
    registered_block INTEGER NOT NULL,
    PRIMARY KEY (netuid, uid),
    UNIQUE (netuid, hotkey)
);
CREATE TABLE IF NOT EXISTS commitments (
    netuid INTEGER NOT NULL,
    hotkey TEXT NOT NULL,
    value TEXT NOT NULL,
    block INTEGER NOT NULL,
    PRIMARY KEY (netuid, hotkey)
);
CREATE TABLE IF NOT EXISTS commitment_log (
    netuid INTEGER NOT NULL,
    hotkey TEXT NOT NULL,
    value TEXT NOT NULL,
    block INTEGER NOT NULL,
    ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS weights (
    netuid INTEGER NOT NULL,
    validator_hotkey TEXT NOT NULL,
    uid INTEGER NOT NULL,
    weight INTEGER NOT NULL,
    block INTEGER NOT NULL,
    PRIMARY KEY (netuid, validator_hotkey, uid)
);
CREATE TABLE IF NOT EXISTS weights_meta (
    netuid INTEGER NOT NULL,
    validator_hotkey TEXT NOT NULL,
    last_update INTEGER NOT NULL,
    PRIMARY KEY (netuid, validator_hotkey)
);
"""


def hotkey_of(wallet: object) -> str:
    """The hotkey ss58 of a wallet (``.hotkey.ss58_address``), a keypair, or a plain string."""
    if isinstance(wallet, str):
        if not wallet:
            raise ValueError("wallet: empty hotkey string")
        return wallet
    hotkey = getattr(wallet, "hotkey", None)
    address = getattr(hotkey, "ss58_address", None) or getattr(wallet, "ss58_address", None)
    if not isinstance(address, str) or not address:
        raise ValueError(
            f"wallet: {type(wallet).__name__} has no hotkey.ss58_address (pass a bt.Wallet,"
            " a keypair or a hotkey ss58 string)"
        )
    return address


def check_endpoint(host: str, port: int) -> None:
    """The chain stores an IP and a port: refuse anything else before writing."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"endpoint: host {host!r} is not an IP address") from None
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ValueError(f"endpoint: port {port!r} is not in 1..65535")


def commitment_bytes(value: str) -> bytes:
    """UTF-8 bytes of a commitment, refused above the pallet's limit (3 Raw fields of 128)."""
    data = value.encode("utf-8")
    if not data:
        raise ValueError("commitment: empty value")
    if len(data) > MAX_COMMITMENT_BYTES:
        raise ValueError(
            f"commitment: {len(data)} bytes exceeds {MAX_COMMITMENT_FIELDS} Raw fields of"
            f" {RAW_FIELD_BYTES} bytes"
        )
    return data


def commitment_fields(value: str) -> list[bytes]:
    """The commitment split into the pallet's Raw fields (each at most 128 bytes)."""
    data = commitment_bytes(value)
    return [data[i : i + RAW_FIELD_BYTES] for i in range(0, len(data), RAW_FIELD_BYTES)]


def quantise(weights: dict[int, float]) -> dict[int, int]:
    """Max-upscale to u16 and drop zeros, as the chain stores weights."""
    top = max(weights.values())
    out = {uid: round(w / top * U16_MAX) for uid, w in sorted(weights.items())}
    return {uid: v for uid, v in out.items() if v > 0}


class LocalChain:
    """The Chain protocol over a SQLite file, plus admin calls for localnets and tests."""

    def __init__(
        self,
        db_path: str | Path,
        netuid: int,
        *,
        block_time_s: float | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout_ms: int = 10_000,
        genesis_hash: str | None = None,
        create: bool = True,
    ) -> None:
        """Open (or create) the chain file and the subnet ``netuid`` in it.

        ``create=False`` opens an existing chain only: a missing file or a subnet the file does
        not hold is a ``ChainError`` (``not_found``), so a mistyped path or netuid never
        becomes a new, empty chain.

        ``block_time_s`` is fixed when the file is created (default 12 s); passing a different
        value for an existing file is an error, so all processes keep one clock. ``clock``
        returns seconds (wall time by default; tests pass a fake). ``genesis_hash`` (hex) is
        fixed when the file is created, random by default (tests that compare two chains'
        runs pass the same one).
        """
        if block_time_s is not None and not block_time_s > 0:
            raise ValueError(f"block_time_s must be positive, got {block_time_s!r}")
        self.netuid = netuid
        self.path = Path(db_path)
        if not create and not self.path.is_file():
            raise ChainError(f"{self.path}: no local chain file here", code="not_found")
        self._clock = clock
        self._lock = threading.Lock()
        self._fail_set_weights = 0
        self._unreachable = False
        self._closed = False
        self._conn = sqlite3.connect(
            self.path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._write() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('genesis', ?)", (repr(float(self._clock())),)
            )
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('block_time', ?)",
                (repr(float(block_time_s or DEFAULT_BLOCK_TIME_S)),),
            )
            db.execute("INSERT OR IGNORE INTO meta VALUES ('offset', '0')")
            # Each chain file has its own genesis hash, so two chains never share block hashes.
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('genesis_hash', ?)",
                (genesis_hash or os.urandom(32).hex(),),
            )
            if create:
                db.execute(
                    "INSERT OR IGNORE INTO subnet VALUES (?, NULL, ?, ?, ?)",
                    (netuid, DEFAULT_TEMPO, DEFAULT_WEIGHTS_RATE_LIMIT, DEFAULT_MAX_UIDS),
                )
            held = [int(r[0]) for r in db.execute("SELECT netuid FROM subnet ORDER BY netuid")]
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if netuid not in held:
            self._conn.close()
            raise ChainError(
                f"{self.path}: no subnet {netuid} on this chain (it has: "
                f"{', '.join(map(str, held)) or 'none'})",
                code="not_found",
            )
        self._genesis = float(meta["genesis"])
        self._genesis_hash = str(meta["genesis_hash"])
        self.block_time_s = float(meta["block_time"])
        if block_time_s is not None and not math.isclose(block_time_s, self.block_time_s):
            self._conn.close()
            raise ValueError(
                f"{self.path}: this chain runs {self.block_time_s} s blocks, not {block_time_s}"
            )

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; the write lock is taken up front (no upgrade races)."""
        with self._lock:
            if self._closed:
                raise ChainError("local chain handle is closed", code="closed")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for a multi-row read."""
        with self._lock:
            if self._closed:
                raise ChainError("local chain handle is closed", code="closed")
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def _block_in(self, db: sqlite3.Connection) -> int:
        offset = int(db.execute("SELECT value FROM meta WHERE key='offset'").fetchone()[0])
        elapsed = max(0.0, self._clock() - self._genesis)
        return int(elapsed // self.block_time_s) + offset

    def _uid_of(self, db: sqlite3.Connection, hotkey: str) -> int | None:
        row = db.execute(
            "SELECT uid FROM neurons WHERE netuid=? AND hotkey=?", (self.netuid, hotkey)
        ).fetchone()
        return None if row is None else int(row[0])

    async def _run(self, fn: Callable[[], T]) -> T:
        if self._unreachable:
            raise ChainError("local chain unreachable (injected)", code="unreachable")
        try:
            return await asyncio.to_thread(fn)
        except sqlite3.Error as err:
            raise ChainError(f"local chain: {err}", code="unreachable") from err

    # -- test seam ------------------------------------------------------------------------
    def fail_next_set_weights(self, n: int = 1) -> None:
        """Test seam: the next ``n`` set_weights calls of this handle fail (code "injected")."""
        self._fail_set_weights = max(0, int(n))

    def unreachable(self, flag: bool = True) -> None:
        """Test seam: while set, every protocol method of this handle raises ChainError."""
        self._unreachable = bool(flag)

    # -- admin (localnet and tests) -------------------------------------------------------
    def advance(self, n: int = 1) -> int:
        """Move the chain ``n`` blocks forward (stored, so every process sees it)."""
        if n < 0:
            raise ValueError("advance: n must be >= 0")
        with self._write() as db:
            db.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key='offset'", (int(n),)
            )
            return self._block_in(db)

    def current_block(self) -> int:
        """The block now (synchronous, for admin code)."""
        with self._read() as db:
            return self._block_in(db)

    def register(
        self,
        hotkey: str,
        coldkey: str = "",
        *,
        stake: float = 0.0,
        validator_permit: bool = False,
    ) -> int:
        """Register ``hotkey`` and return its UID (an already registered hotkey keeps its UID).

        When the subnet is full, the neuron with the lowest stake and no validator permit is
        replaced (earliest registration, then lowest UID, breaks ties); its weights and rate-limit
        record go with it, and the newcomer's ``registered_block`` is the current block.
        """
        if not hotkey:
            raise ValueError("register: empty hotkey")
        if not math.isfinite(stake) or stake < 0:
            raise ValueError(f"register: stake must be finite and >= 0, got {stake!r}")
        with self._write() as db:
            existing = self._uid_of(db, hotkey)
            if existing is not None:
                return existing
            block = self._block_in(db)
            (max_uids,) = db.execute(
                "SELECT max_uids FROM subnet WHERE netuid=?", (self.netuid,)
            ).fetchone()
            taken = {
                int(r[0])
                for r in db.execute("SELECT uid FROM neurons WHERE netuid=?", (self.netuid,))
            }
            free = [uid for uid in range(max_uids) if uid not in taken]
            if free:
                uid = free[0]
            else:
                victim = db.execute(
                    "SELECT uid, hotkey FROM neurons WHERE netuid=? AND validator_permit=0"
                    " ORDER BY stake ASC, registered_block ASC, uid ASC LIMIT 1",
                    (self.netuid,),
                ).fetchone()
                if victim is None:
                    raise ChainError(
                        f"subnet {self.netuid} is full ({max_uids} UIDs) and every neuron holds"
                        " a validator permit",
                        code="subnet_full",
                    )
                uid, old_hotkey = int(victim[0]), str(victim[1])
                db.execute("DELETE FROM neurons WHERE netuid=? AND uid=?", (self.netuid, uid))
                for table in ("weights", "weights_meta"):
                    db.execute(
                        f"DELETE FROM {table} WHERE netuid=? AND validator_hotkey=?",
                        (self.netuid, old_hotkey),
                    )
            db.execute(
                "INSERT INTO neurons VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
                (self.netuid, uid, hotkey, coldkey, float(stake), int(validator_permit), block),
            )
            return uid

    def set_owner(self, hotkey: str | None) -> None:
        """The subnet owner's hotkey (the burn target when nobody qualifies)."""
        with self._write() as db:
            db.execute("UPDATE subnet SET owner_hotkey=? WHERE netuid=?", (hotkey, self.netuid))

    def set_stake(self, hotkey: str, stake: float) -> None:
        if not math.isfinite(stake) or stake < 0:
            raise ValueError(f"set_stake: stake must be finite and >= 0, got {stake!r}")
        self._update_neuron(hotkey, "stake", float(stake))

    def set_permit(self, hotkey: str, validator_permit: bool) -> None:
        self._update_neuron(hotkey, "validator_permit", int(validator_permit))

    def _update_neuron(self, hotkey: str, column: str, value: Any) -> None:
        with self._write() as db:
            cur = db.execute(
                f"UPDATE neurons SET {column}=? WHERE netuid=? AND hotkey=?",
                (value, self.netuid, hotkey),
            )
            if cur.rowcount == 0:
                raise ChainError(f"hotkey {hotkey} is not registered", code="not_registered")

    def set_hyperparameters(
        self,
        *,
        tempo: int | None = None,
        weights_rate_limit: int | None = None,
        max_uids: int | None = None,
    ) -> None:
        """Change subnet hyperparameters (a smaller max_uids does not evict anyone)."""
        changes = {"tempo": tempo, "weights_rate_limit": weights_rate_limit, "max_uids": max_uids}
        for name, value in changes.items():
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"set_hyperparameters: {name} must be an int >= 0")
        if max_uids is not None and max_uids < 1:
            raise ValueError("set_hyperparameters: max_uids must be >= 1")
        with self._write() as db:
            for name, value in changes.items():
                if value is not None:
                    db.execute(
                        f"UPDATE subnet SET {name}=? WHERE netuid=?",
                        (value, self.netuid),
                    )

    def hyperparameters(self) -> dict[str, Any]:
        with self._read() as db:
            row = db.execute(
                "SELECT owner_hotkey, tempo, weights_rate_limit, max_uids FROM subnet"
                " WHERE netuid=?",
                (self.netuid,),
            ).fetchone()
        return dict(
            zip(("owner_hotkey", "tempo", "weights_rate_limit", "max_uids"), row, strict=True)
        )

    # -- the Chain protocol ---------------------------------------------------------------
    async def block(self) -> int:
        return await self._run(self.current_block)

    async def metagraph(self) -> Metagraph:
        def read() -> Metagraph:
            with self._read() as db:
                block = self._block_in(db)
                (owner,) = db.execute(
                    "SELECT owner_hotkey FROM subnet WHERE netuid=?", (self.netuid,)
                ).fetchone()
                rows = db.execute(
                    "SELECT uid, hotkey, coldkey, stake, validator_permit, host, port,"
                    " registered_block FROM neurons WHERE netuid=? ORDER BY uid",
                    (self.netuid,),
                ).fetchall()
            neurons = [
                Neuron(
                    uid=uid,
                    hotkey=hotkey,
                    coldkey=coldkey,
                    stake=stake,
                    validator_permit=bool(permit),
                    endpoint=Endpoint(host=host, port=port) if host is not None else None,
                    registered_block=registered,
                )
                for uid, hotkey, coldkey, stake, permit, host, port, registered in rows
            ]
            return Metagraph(netuid=self.netuid, block=block, neurons=neurons, owner_hotkey=owner)

        return await self._run(read)

    async def commitments(self) -> dict[str, Commitment]:
        def read() -> dict[str, Commitment]:
            with self._read() as db:
                rows = db.execute(
                    "SELECT c.hotkey, c.value, c.block, (SELECT MAX(l.ts) FROM commitment_log l"
                    " WHERE l.netuid=c.netuid AND l.hotkey=c.hotkey AND l.block=c.block)"
                    " FROM commitments c WHERE c.netuid=? ORDER BY c.hotkey",
                    (self.netuid,),
                ).fetchall()
            return {
                h: Commitment(hotkey=h, value=v, block=b, committed_at=t) for h, v, b, t in rows
            }

        return await self._run(read)

    async def commitment_history(self) -> list[Commitment]:
        """Every commitment ever made on this subnet, oldest first (the embedded chain keeps
        them all; a node keeps only the latest per hotkey)."""

        def read() -> list[Commitment]:
            with self._read() as db:
                rows = db.execute(
                    "SELECT hotkey, value, block, ts FROM commitment_log WHERE netuid=?"
                    " ORDER BY block, rowid",
                    (self.netuid,),
                ).fetchall()
            return [Commitment(hotkey=h, value=v, block=b, committed_at=t) for h, v, b, t in rows]

        return await self._run(read)

    async def block_hash(self, block: int) -> str:
        """A block's hash: sha256 of this chain's random genesis hash and the block number."""

        def read() -> str:
            with self._read() as db:
                now = self._block_in(db)
            if not 0 <= block <= now:
                raise ChainError(f"block {block} does not exist yet (head {now})", "not_found")
            digest = hashlib.sha256(f"{self._genesis_hash}|{block}".encode()).hexdigest()
            return "0x" + digest

        return await self._run(read)

    async def set_weights(self, hotkey_wallet: object, weights: dict[int, float]) -> WeightsResult:
        hotkey = hotkey_of(hotkey_wallet)
        if self._fail_set_weights > 0 and not self._unreachable:
            self._fail_set_weights -= 1
            return WeightsResult(success=False, message="injected failure", code="injected")

        def write() -> WeightsResult:
            with self._write() as db:
                return self._set_weights_in(db, hotkey, weights)

        return await self._run(write)

    def _set_weights_in(
        self, db: sqlite3.Connection, hotkey: str, weights: dict[int, float]
    ) -> WeightsResult:
        block = self._block_in(db)

        def refuse(code: str, message: str) -> WeightsResult:
            return WeightsResult(success=False, message=message, code=code, block=block)

        row = db.execute(
            "SELECT validator_permit FROM neurons WHERE netuid=? AND hotkey=?",
            (self.netuid, hotkey),
        ).fetchone()
        if row is None:
            return refuse("not_registered", f"hotkey {hotkey} is not registered on {self.netuid}")
        if not row[0]:
            return refuse("no_permit", f"hotkey {hotkey} holds no validator permit")
        (limit,) = db.execute(
            "SELECT weights_rate_limit FROM subnet WHERE netuid=?", (self.netuid,)
        ).fetchone()
        last = db.execute(
            "SELECT last_update FROM weights_meta WHERE netuid=? AND validator_hotkey=?",
            (self.netuid, hotkey),
        ).fetchone()
        if last is not None and limit and block - int(last[0]) < limit:
            since = block - int(last[0])
            return refuse(
                "rate_limited",
                f"weights last set {since} blocks ago; the rate limit is {limit} blocks",
            )
        try:
            clean = {int(uid): float(w) for uid, w in weights.items()}
        except (TypeError, ValueError) as err:
            return refuse("invalid_weights", f"weights must map int uid -> float: {err}")
        if not clean:
            return refuse("invalid_weights", "no weights given")
        bad = [w for w in clean.values() if not math.isfinite(w) or w < 0]
        if bad:
            return refuse("invalid_weights", f"weights must be finite and >= 0, got {bad[0]!r}")
        if max(clean.values()) == 0:
            return refuse("invalid_weights", "all weights are zero")
        registered = {
            int(r[0]) for r in db.execute("SELECT uid FROM neurons WHERE netuid=?", (self.netuid,))
        }
        unknown = sorted(set(clean) - registered)
        if unknown:
            return refuse("invalid_weights", f"uids not registered: {unknown}")
        values = quantise(clean)
        db.execute(
            "DELETE FROM weights WHERE netuid=? AND validator_hotkey=?", (self.netuid, hotkey)
        )
        db.executemany(
            "INSERT INTO weights VALUES (?, ?, ?, ?, ?)",
            [(self.netuid, hotkey, uid, v, block) for uid, v in values.items()],
        )
        db.execute(
            "INSERT INTO weights_meta VALUES (?, ?, ?) ON CONFLICT (netuid, validator_hotkey)"
            " DO UPDATE SET last_update=excluded.last_update",
            (self.netuid, hotkey, block),
        )
        return WeightsResult(success=True, message="ok", block=block)

    async def weights_of(self, validator_hotkey: str) -> dict[int, float]:
        """The weights a validator last set, normalised to sum 1 ({} if none)."""

        def read() -> dict[int, float]:
            with self._read() as db:
                rows = db.execute(
                    "SELECT uid, weight FROM weights WHERE netuid=? AND validator_hotkey=?"
                    " ORDER BY uid",
                    (self.netuid, validator_hotkey),
                ).fetchall()
            total = sum(v for _, v in rows)
            return {int(uid): v / total for uid, v in rows} if total else {}

        return await self._run(read)

    async def weights_rate_limit(self) -> int:
        def read() -> int:
            with self._read() as db:
                (limit,) = db.execute(
                    "SELECT weights_rate_limit FROM subnet WHERE netuid=?", (self.netuid,)
                ).fetchone()
            return int(limit)

        return await self._run(read)

    async def blocks_since_last_update(self, uid: int) -> int:
        """Blocks since the neuron at ``uid`` last set weights (the current block if never)."""

        def read() -> int:
            with self._read() as db:
                block = self._block_in(db)
                row = db.execute(
                    "SELECT m.last_update FROM neurons n LEFT JOIN weights_meta m"
                    " ON m.netuid=n.netuid AND m.validator_hotkey=n.hotkey"
                    " WHERE n.netuid=? AND n.uid=?",
                    (self.netuid, uid),
                ).fetchone()
            if row is None:
                raise ChainError(f"no uid {uid} on netuid {self.netuid}", code="not_found")
            return block - int(row[0] or 0)

        return await self._run(read)

    async def serve_endpoint(self, hotkey_wallet: object, host: str, port: int) -> None:
        hotkey = hotkey_of(hotkey_wallet)
        check_endpoint(host, port)

        def write() -> None:
            with self._write() as db:
                cur = db.execute(
                    "UPDATE neurons SET host=?, port=? WHERE netuid=? AND hotkey=?",
                    (host, port, self.netuid, hotkey),
                )
                if cur.rowcount == 0:
                    raise ChainError(f"hotkey {hotkey} is not registered", code="not_registered")

        await self._run(write)

    async def commit(self, hotkey_wallet: object, value: str) -> None:
        hotkey = hotkey_of(hotkey_wallet)
        commitment_bytes(value)

        def write() -> None:
            with self._write() as db:
                if self._uid_of(db, hotkey) is None:
                    raise ChainError(f"hotkey {hotkey} is not registered", code="not_registered")
                block = self._block_in(db)
                db.execute(
                    "INSERT INTO commitments VALUES (?, ?, ?, ?) ON CONFLICT (netuid, hotkey)"
                    " DO UPDATE SET value=excluded.value, block=excluded.block",
                    (self.netuid, hotkey, value, block),
                )
                db.execute(
                    "INSERT INTO commitment_log VALUES (?, ?, ?, ?, ?)",
                    (self.netuid, hotkey, value, block, float(self._clock())),
                )

        await self._run(write)

    async def close(self) -> None:
        """Close this handle's connection (idempotent; the file stays)."""
        self.close_sync()

    def close_sync(self) -> None:
        """``close`` for synchronous admin code."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
