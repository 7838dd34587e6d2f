"""Crash consistency of the validator: kill -9 anywhere, restart, and the state is whole.

``crash_driver.py`` runs one real validator process (LocalChain file, Store, AuditLog, the
real HarnessEvaluator on the shipped scenarios with ScriptedModels and LocalSandbox) over a
state directory. The tests SIGKILL it at random moments (and, separately, at random durable
writes, some of them torn in the middle of an audit line), restart it on the same directory
each time, let a last run finish, and then require: every epoch ``weights_set`` with the
expected winner on the chain, nothing lost or duplicated in any table, an intact audit chain
with each (epoch, kind) entry once, each cached episode once, and a final state equal to an
uninterrupted run in a fresh directory.

Also here: the model failing for every episode through the real evaluator (no weights from
that epoch, nobody zeroed), and the AuditLog's recovery of a torn last line.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import crash_driver
import pytest
from structlog.testing import capture_logs

from clawbench.errors import ModelError
from clawbench.pack import PolicyBundle, pack_hash
from clawbench.sandbox import LocalSandbox
from clawbench.scenario import ScenarioInstance, load_scenario
from trajectoryrl.audit import AuditLog, verify_log
from trajectoryrl.chain import LocalChain
from trajectoryrl.store import Store
from trajectoryrl.validator import (
    EpochParams,
    HarnessEvaluator,
    ModelFactory,
    ScriptedModels,
    Validator,
)

DRIVER = Path(crash_driver.__file__)
EPOCHS = 5  # enough work that most of the 20 kills land in a running epoch
LATENCY = "0.05"  # seconds per scripted model call: an epoch lasts about 0.7 s
KINDS_ONCE = ("submissions", "verification", "scores", "decision")

# One first mover (alice), a weaker pack (bob), a later copy of alice's pack (copycat), a pack
# whose claimed hash is wrong (mallory) and, from epoch 2, a pack better by more than delta
# (erin). "strong" plays the reference script on one scenario and a decent but imperfect run
# on the other (about 0.76; an approval-gated irreversible attempt would now be critical, so
# it no longer serves); "best" plays both references (1.0).
ANSWERS: dict[str, Any] = {
    "suite": ["client_escalation", "morning_brief"],
    "concurrency": 2,
    "scripts": {
        "strong": {"client_escalation": "reference", "morning_brief": "imperfect"},
        "weak": {"client_escalation": "bad_irreversible", "morning_brief": "bad_irreversible"},
        "best": {"client_escalation": "reference", "morning_brief": "reference"},
    },
    "miners": [
        {"hotkey": "alice", "pack": "strong", "push_time": 100, "invalid": False, "from_epoch": 0},
        {"hotkey": "bob", "pack": "weak", "push_time": 150, "invalid": False, "from_epoch": 0},
        {
            "hotkey": "copycat",
            "pack": "strong",
            "push_time": 200,
            "invalid": False,
            "from_epoch": 0,
        },
        {"hotkey": "mallory", "pack": "best", "push_time": 50, "invalid": True, "from_epoch": 0},
        {"hotkey": "erin", "pack": "best", "push_time": 300, "invalid": False, "from_epoch": 2},
    ],
}
EXPECTED_WINNER = {0: "alice", 1: "alice", 2: "erin", 3: "erin", 4: "erin"}


# -- running the driver -------------------------------------------------------------------
def _prepare(state: Path) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    (state / "answers.json").write_text(json.dumps(ANSWERS), encoding="utf-8")
    return state


def _start(state: Path, *extra: str) -> subprocess.Popen[str]:
    stderr = (state / "driver.log").open("a", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(state), "--epochs", str(EPOCHS), *extra],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    stderr.close()
    return proc


def _wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line).get("ready"):
            return
    raise AssertionError(f"driver exited with {proc.wait()} before it was ready")


def _finish(proc: subprocess.Popen[str], state: Path) -> dict[str, Any]:
    assert proc.stdout is not None
    lines = [json.loads(line) for line in proc.stdout]
    code = proc.wait(timeout=60)
    log_tail = (state / "driver.log").read_text(encoding="utf-8")[-3000:]
    assert code == 0, f"driver failed ({code}):\n{log_tail}"
    assert lines and lines[-1].get("done"), lines
    return lines[-1]


def _run_to_end(state: Path, *extra: str) -> dict[str, Any]:
    proc = _start(state, *extra)
    _wait_ready(proc)
    return _finish(proc, state)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """An uninterrupted run in a fresh directory, and how long one epoch of it took."""
    state = _prepare(tmp_path_factory.mktemp("reference"))
    proc = _start(state, "--latency", LATENCY)
    _wait_ready(proc)
    began = time.monotonic()
    _finish(proc, state)
    return state, (time.monotonic() - began) / EPOCHS


# -- what must hold afterwards ------------------------------------------------------------
def _rows(db: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.execute(sql).fetchall()]


def snapshot(state: Path) -> dict[str, Any]:
    """Everything an interrupted run must reproduce exactly. Weight-set attempts are left
    out: a kill after the chain accepted weights legitimately causes another attempt."""
    db = sqlite3.connect(state / "state.db")
    evaluations = [
        (key, pack, scenario, seed, score, zlib.decompress(blob).decode("utf-8"))
        for key, pack, scenario, seed, score, blob in db.execute(
            "SELECT cache_key, pack_hash, scenario, seed, score_json, trajectory"
            " FROM evaluations ORDER BY cache_key"
        )
    ]
    out: dict[str, Any] = {
        "epochs": _rows(
            db, "SELECT epoch, seed, start_block, status, detail FROM epochs ORDER BY 1"
        ),
        "submissions": _rows(db, "SELECT * FROM submissions ORDER BY epoch, hotkey, pack_hash"),
        "verifications": _rows(db, "SELECT * FROM verifications ORDER BY epoch, hotkey, pack_hash"),
        "packs": _rows(db, "SELECT * FROM packs ORDER BY pack_hash"),
        "claims": _rows(db, "SELECT * FROM claims ORDER BY hotkey, pack_hash"),
        "pack_scores": _rows(db, "SELECT * FROM pack_scores ORDER BY epoch, hotkey, pack_hash"),
        "decisions": _rows(db, "SELECT * FROM decisions ORDER BY epoch"),
        "evaluations": evaluations,
        "audit": {
            (e.epoch, e.kind): e.data
            for e in AuditLog(state / "audit.jsonl").entries()
            if e.kind != "weights"
        },
    }
    db.close()
    chain = LocalChain(state / "chain.db", crash_driver.NETUID, clock=lambda: crash_driver.T0)
    out["chain_weights"] = asyncio.run(chain.weights_of(crash_driver.OWNER))
    out["uids"] = {n.hotkey: n.uid for n in asyncio.run(chain.metagraph()).neurons}
    chain.close_sync()
    return out


def assert_consistent(state: Path) -> dict[str, Any]:
    snap = snapshot(state)
    db = sqlite3.connect(state / "state.db")
    # Every epoch finished, with the expected winner's weights on the chain at the end.
    assert [(e[0], e[3]) for e in snap["epochs"]] == [(e, "weights_set") for e in range(EPOCHS)]
    winners = {d[0]: d[1] for d in snap["decisions"]}
    assert winners == EXPECTED_WINNER
    last = EXPECTED_WINNER[EPOCHS - 1]
    assert snap["chain_weights"] == {snap["uids"][last]: 1.0}
    # Nothing lost, nothing duplicated: exactly the expected rows per (epoch, hotkey).
    for epoch in range(EPOCHS):
        serving = sorted(m["hotkey"] for m in ANSWERS["miners"] if m["from_epoch"] <= epoch)
        valid = sorted(
            m["hotkey"] for m in ANSWERS["miners"] if m["from_epoch"] <= epoch and not m["invalid"]
        )
        for table, expected in (
            ("submissions", serving),
            ("verifications", serving),
            ("pack_scores", valid),
        ):
            got = [
                r[0] for r in db.execute(f"SELECT hotkey FROM {table} WHERE epoch = ?", (epoch,))
            ]
            assert sorted(got) == expected, (table, epoch, got)
        oks = db.execute(
            "SELECT COUNT(*) FROM weight_sets WHERE epoch = ? AND success = 1", (epoch,)
        ).fetchone()[0]
        assert oks >= 1, f"epoch {epoch} has no accepted weights"
    assert (
        _rows(db, "SELECT epoch, COUNT(*) FROM decisions GROUP BY epoch HAVING COUNT(*) > 1") == []
    )
    assert _rows(db, "SELECT hotkey, pack_hash FROM claims GROUP BY 1, 2 HAVING COUNT(*) > 1") == []
    # The evaluation cache holds each (pack, scenario, seed) once.
    assert (
        _rows(
            db,
            "SELECT pack_hash, scenario, seed FROM evaluations GROUP BY 1, 2, 3 HAVING COUNT(*) > 1",
        )
        == []
    )
    db.close()
    # The audit chain is intact (a torn last line was recovered on open) and each
    # (epoch, kind) entry appears once; weights entries once per attempt, the last accepted.
    audit = AuditLog(state / "audit.jsonl")
    assert verify_log(audit.path, expected_head=audit.head) == []
    entries = audit.entries()
    for epoch in range(EPOCHS):
        kinds = [e.kind for e in entries if e.epoch == epoch]
        for kind in KINDS_ONCE:
            assert kinds.count(kind) == 1, (epoch, kind, kinds)
        weights = [e for e in entries if e.epoch == epoch and e.kind == "weights"]
        assert weights and weights[-1].data["success"], (epoch, [w.data for w in weights])
    return snap


def test_an_uninterrupted_run_is_consistent(reference: tuple[Path, float]) -> None:
    """The yardstick itself satisfies every property the crash tests demand."""
    state, _ = reference
    snap = assert_consistent(state)
    scores = {(r[0], r[1]): r[3] for r in snap["pack_scores"]}
    assert scores[(0, "alice")] == scores[(0, "copycat")] > scores[(0, "bob")]
    assert scores[(2, "erin")] > scores[(2, "alice")] + 0.05
    rejected = {(v[0], v[1]): v[3] for v in snap["verifications"] if not v[2]}
    assert set(rejected.values()) == {"pack_hash_mismatch"}
    assert {h for _, h in rejected} == {"mallory"}


@pytest.mark.slow
def test_kill_minus_9_at_twenty_random_moments(
    reference: tuple[Path, float], tmp_path: Path
) -> None:
    ref_state, epoch_seconds = reference
    state = _prepare(tmp_path / "state")
    rng = random.Random(20260607)
    interrupted = 0
    finished: list[int] = []
    for _ in range(20):
        proc = _start(state, "--latency", LATENCY)
        _wait_ready(proc)
        time.sleep(rng.uniform(0.0, epoch_seconds))
        if proc.poll() is None:
            interrupted += 1
        proc.kill()  # SIGKILL this driver (by its pid), wherever it is
        proc.wait(timeout=30)
        assert proc.stdout is not None
        said = [json.loads(line) for line in proc.stdout]
        proc.stdout.close()
        finished.append(sum(1 for x in said if "epoch" in x))
    _run_to_end(state)
    print(f"{interrupted}/20 kills hit a running validator; epochs finished per run: {finished}")
    # Not vacuous: a good share of the kills hit a running epoch.
    assert interrupted >= 5, f"only {interrupted} of 20 kills hit a running validator"
    assert assert_consistent(state) == snapshot(ref_state)


@pytest.mark.slow
def test_kill_at_random_durable_writes_some_torn(
    reference: tuple[Path, float], tmp_path: Path
) -> None:
    """The narrow windows timing rarely hits: between a step's commit and its audit entry,
    after the chain accepted weights, in the middle of an audit line."""
    ref_state, _ = reference
    state = _prepare(tmp_path / "state")
    rng = random.Random(7)
    died = 0
    tears = 0
    for i in range(12):
        tear = i % 3 == 0
        # A tearing run dies in its K-th audit append (about 5 per epoch), any other run at
        # its K-th durable write of any kind (about 35 per epoch).
        die_at = rng.randint(1, 6) if tear else rng.randint(1, 30)
        proc = _start(state, "--die-at", str(die_at), *(["--tear"] if tear else []))
        _wait_ready(proc)
        code = proc.wait(timeout=60)
        assert proc.stdout is not None
        proc.stdout.close()
        if code == -9:
            died += 1
            tears += tear
        else:
            assert code == 0
    _run_to_end(state)
    assert died >= 8 and tears >= 2
    assert assert_consistent(state) == snapshot(ref_state)
    assert "audit_torn_line" in (state / "driver.log").read_text(encoding="utf-8")


# -- the model failing for every episode, through the real evaluator ----------------------
class _DownModel:
    """A model endpoint that fails every call (retries spent)."""

    @property
    def info(self) -> Any:
        from clawbench.trajectory import ModelInfo

        return ModelInfo(provider="scripted", name="down")

    async def complete(self, messages: Any, tools: Any, *, seed: int, budget: Any = None) -> Any:
        raise ModelError("connection refused (after 3 retries)")


class _Switch:
    """The model factory: the scripted models until ``down`` is set."""

    def __init__(self, working: ModelFactory) -> None:
        self.working = working
        self.down = False
        self.failed_calls = 0

    def __call__(self, instance: ScenarioInstance, pack: PolicyBundle) -> Any:
        if self.down:
            self.failed_calls += 1
            return _DownModel()
        return self.working(instance, pack)


async def test_a_model_outage_sets_no_weights_and_zeroes_nobody(tmp_path: Path) -> None:
    state = _prepare(tmp_path)
    miners = crash_driver.Miners(ANSWERS)
    labels = {pack_hash(p): label for label, p in miners.packs.items()}
    scripts = crash_driver.write_scripts(state, ANSWERS["scripts"])
    chain = crash_driver.set_up_chain(state, [m["hotkey"] for m in ANSWERS["miners"]])
    store = Store(state / "state.db")
    models = _Switch(ScriptedModels(scripts, choose=lambda pack: labels[pack_hash(pack)]))
    evaluator = HarnessEvaluator(
        suite=[load_scenario(crash_driver.SCENARIOS / f"{n}.yaml") for n in ANSWERS["suite"]],
        model_factory=models,
        model_id="scripted:scripts",
        sandbox=LocalSandbox(),
        store=store,
    )
    v = Validator(
        chain=chain,
        wallet=crash_driver.OWNER,
        hotkey=crash_driver.OWNER,
        store=store,
        audit=AuditLog(state / "audit.jsonl"),
        source=miners,
        verifier=miners,
        evaluator=evaluator,
        params=EpochParams(epoch_blocks=crash_driver.EPOCH_BLOCKS, retry_backoff_s=0),
        clock=lambda: crash_driver.T0,
    )
    uids = {n.hotkey: n.uid for n in (await chain.metagraph()).neurons}
    assert await v.run_epoch(0, await chain.block()) == "weights_set"
    assert await chain.weights_of(crash_driver.OWNER) == {uids["alice"]: 1.0}
    cached = store.query("SELECT COUNT(*) FROM evaluations")[0][0]

    chain.advance(crash_driver.EPOCH_BLOCKS)
    models.down = True
    assert await v.run_epoch(1, await chain.block()) == "no_weights"
    assert models.failed_calls > 0  # the real loop really called the failing model
    assert await chain.weights_of(crash_driver.OWNER) == {uids["alice"]: 1.0}  # unchanged
    assert store.query("SELECT COUNT(*) FROM weight_sets WHERE epoch = 1")[0][0] == 0
    assert store.decision(1) is None
    assert store.pack_scores(1) == []  # nobody zeroed, nobody scored
    assert store.query("SELECT COUNT(*) FROM evaluations")[0][0] == cached  # nothing cached
    detail = json.loads(store.epoch(1)["detail"])  # type: ignore[index]
    assert set(detail) == {"alice", "bob", "copycat"} and set(detail.values()) == {
        "evaluator_failed"
    }
    scores_entry = [e for e in v.audit.entries(1) if e.kind == "scores"]
    assert len(scores_entry) == 1 and scores_entry[0].data["unevaluated"] == detail
    assert evaluator.metrics.model_errors._value.get() > 0
    assert v.metrics.evaluator_failures._value.get() == 3

    # The model is back: the next epoch evaluates the carried-over packs and decides as before.
    chain.advance(crash_driver.EPOCH_BLOCKS)
    models.down = False
    assert await v.run_epoch(2, await chain.block()) == "weights_set"
    assert store.decision(2)["winner_hotkey"] == "erin"  # type: ignore[index]
    chain.close_sync()
    store.close()


# -- the audit log's torn last line -------------------------------------------------------
def test_a_torn_last_audit_line_is_cut_on_open_and_said_so(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(0, "submissions", {"n": 1})
    log.append(0, "verification", {"n": 2})
    intact = path.read_bytes()
    with path.open("ab") as fh:
        fh.write(b'{"seq": 2, "epoch": 0, "kind": "sco')  # a crash in the middle of a write
    assert [p.code for p in verify_log(path)] == ["unreadable"]

    with capture_logs() as logs:
        reopened = AuditLog(path)
    assert path.read_bytes() == intact
    assert [(e["event"], e["offset"]) for e in logs] == [("audit_torn_line", len(intact))]
    assert reopened.head == log.head
    reopened.append(0, "scores", {"n": 3})
    assert verify_log(path, expected_head=reopened.head) == []
    assert [e.seq for e in reopened.entries()] == [0, 1, 2]
    assert (tmp_path / "audit.jsonl.torn").read_bytes() == b'{"seq": 2, "epoch": 0, "kind": "sco\n'
    with capture_logs() as logs:
        AuditLog(path)  # an intact log is left alone, silently
    assert logs == [] and verify_log(path, expected_head=reopened.head) == []


def test_a_damaged_line_before_the_end_is_not_cut(tmp_path: Path) -> None:
    """Only an unterminated final line is a crash's leftover; anything else is evidence."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(0, "a", {})
    log.append(0, "b", {})
    lines = path.read_bytes().splitlines(keepends=True)
    damaged = lines[0][:10] + b"\n" + lines[1]
    path.write_bytes(damaged)
    AuditLog(path)
    assert path.read_bytes() == damaged
    assert [p.code for p in verify_log(path)][:1] == ["unreadable"]
