"""One validator process on a state directory, for the crash-consistency tests.

``python crash_driver.py DIR --epochs N`` opens (or creates) in DIR a LocalChain file, the
validator's Store and AuditLog, and runs epochs 0..N-1 to completion with the real
``Validator``, the real ``HarnessEvaluator`` on the shipped scenarios, ``LocalSandbox`` and
``ScriptedModels``. Miners, their packs and the script each pack "plays" come from
``DIR/answers.json`` (written by the test). Everything is resumable: the test SIGKILLs this
process at random moments and starts it again on the same DIR.

Nothing here reads the wall clock in a stored path: the chain's clock and the validator's
clock are constants, the chain's block moves only by ``advance``, so an interrupted run and
an uninterrupted one must end in the same state.

Fault injection for the write-level test: ``--die-at K`` SIGKILLs the process at its K-th
durable write (a store transaction about to commit, an audit append, the chain accepting
weights); with ``--tear`` only audit appends count, and the K-th leaves half of its line
behind before the kill, as a crash in the middle of ``write`` would.

Prints JSON lines: ``{"ready": true}`` once set up, ``{"epoch": e, "status": s}`` per epoch,
and ``{"done": true, "writes": n}`` at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from clawbench.pack import (  # noqa: E402
    PolicyBundle,
    canonical_json,
    load_pack,
    pack_from_json_bytes,
    pack_hash,
)
from clawbench.sandbox import LocalSandbox  # noqa: E402
from clawbench.scenario import load_scenario  # noqa: E402
from trajectoryrl.audit import AuditLog  # noqa: E402
from trajectoryrl.chain import LocalChain, Metagraph  # noqa: E402
from trajectoryrl.store import Store  # noqa: E402
from trajectoryrl.validator import (  # noqa: E402
    EpochParams,
    HarnessEvaluator,
    Received,
    ScriptedModels,
    Validator,
    Verified,
)

SCENARIOS = ROOT / "scenarios"
NETUID = 11
EPOCH_BLOCKS = 100
RATE_LIMIT = 2  # blocks between two weight settings of one validator
T0 = 1_700_000_000.0  # the fixed "now" of the chain and the validator
OWNER = "owner"


def build_pack(label: str) -> PolicyBundle:
    """A distinct, valid pack per label: the shipped optimized pack renamed."""
    base = load_pack(SCENARIOS / "packs" / "client_escalation" / "optimized")
    data = json.loads(canonical_json(base))
    data["metadata"]["pack_name"] = label
    return pack_from_json_bytes(json.dumps(data).encode("utf-8"))


class Miners:
    """Submission source and verifier from answers.json: each miner serves one pack from
    ``from_epoch`` on; an ``invalid`` one claims a hash its pack does not have."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.miners = answers["miners"]
        self.packs = {m["pack"]: build_pack(m["pack"]) for m in self.miners}

    def claimed_hash(self, miner: dict[str, Any]) -> str:
        return "f" * 64 if miner["invalid"] else pack_hash(self.packs[miner["pack"]])

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        uids = {n.hotkey: n.uid for n in metagraph.neurons}
        return [
            Received(
                hotkey=m["hotkey"],
                uid=uids[m["hotkey"]],
                repo_url=f"https://github.com/{m['hotkey']}/pack",
                git_commit_hash="a" * 40,
                pack_hash=self.claimed_hash(m),
                commit_block=int(m["push_time"]) - 10**6,  # before epoch 0, in push order
                committed_at=float(m["push_time"]),
            )
            for m in self.miners
            if m["from_epoch"] <= epoch
        ]

    async def verify(self, sub: Received, submitted_at: float) -> Verified:
        miner = next(m for m in self.miners if m["hotkey"] == sub.hotkey)
        pack = self.packs[miner["pack"]]
        if pack_hash(pack) != sub.pack_hash:
            return Verified(ok=False, reason="pack_hash_mismatch", detail="canonical hash differs")
        return Verified(
            ok=True, reason="ok", pack_json=canonical_json(pack), push_time=miner["push_time"]
        )


def write_scripts(state: Path, scripts: dict[str, dict[str, str]]) -> Path:
    """``state/scripts/<scenario>/<label>.yaml`` copied from the shipped scripts, atomically."""
    out = state / "scripts"
    for label, per_scenario in scripts.items():
        for scenario, source in per_scenario.items():
            target = out / scenario / f"{label}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            shutil.copyfile(SCENARIOS / "scripts" / scenario / f"{source}.yaml", tmp)
            os.replace(tmp, target)
    return out


def set_up_chain(state: Path, hotkeys: list[str]) -> LocalChain:
    chain = LocalChain(
        state / "chain.db", NETUID, block_time_s=12.0, clock=lambda: T0, genesis_hash="00" * 32
    )
    chain.set_hyperparameters(weights_rate_limit=RATE_LIMIT)
    chain.register(OWNER, validator_permit=True, stake=1000.0)
    chain.set_owner(OWNER)
    for hotkey in hotkeys:  # registration is idempotent: a restart keeps every UID
        chain.register(hotkey)
    return chain


class Writes:
    """Counts durable writes and kills the process at the chosen one."""

    def __init__(self, die_at: int | None, tear: bool) -> None:
        self.count = 0
        self.die_at = die_at
        self.tear = tear

    def hit(self, audit_line: tuple[Path, str] | None = None) -> None:
        if self.tear and audit_line is None:
            return  # tearing: only audit appends count
        self.count += 1
        if self.count != self.die_at:
            return
        if audit_line is not None and self.tear:
            path, line = audit_line
            with path.open("a", encoding="utf-8") as fh:
                fh.write(line[: max(1, len(line) // 2)])
                fh.flush()
                os.fsync(fh.fileno())
        os.kill(os.getpid(), signal.SIGKILL)


def instrument(writes: Writes, store: Store, audit: AuditLog, chain: LocalChain) -> None:
    """Put the write counter in front of every durable write of this process."""
    original_tx = store.transaction

    @contextmanager
    def transaction() -> Iterator[Any]:
        with original_tx() as conn:
            yield conn
            if store._depth == 1:  # the outermost transaction is about to commit
                writes.hit()

    store.transaction = transaction  # type: ignore[method-assign]

    original_append = audit.append

    def append(epoch: int, kind: str, data: dict[str, Any]) -> Any:
        from trajectoryrl.audit import AuditEntry

        entry = AuditEntry(seq=audit._seq, epoch=epoch, kind=kind, data=data, prev=audit.head)
        entry = entry.model_copy(update={"hash": entry.compute_hash()})
        writes.hit((audit.path, entry.model_dump_json() + "\n"))
        return original_append(epoch, kind, data)

    audit.append = append  # type: ignore[method-assign]

    original_set = chain.set_weights

    async def set_weights(wallet: object, weights: dict[int, float]) -> Any:
        result = await original_set(wallet, weights)
        writes.hit()  # the chain holds the weights; the store does not know yet
        return result

    chain.set_weights = set_weights  # type: ignore[method-assign,assignment]


async def no_sleep(_: float) -> None:
    return None


async def run(state: Path, epochs: int, latency_s: float, writes: Writes | None) -> None:
    answers = json.loads((state / "answers.json").read_text(encoding="utf-8"))
    miners = Miners(answers)
    labels = {pack_hash(p): label for label, p in miners.packs.items()}
    scripts = write_scripts(state, answers["scripts"])
    chain = set_up_chain(state, [m["hotkey"] for m in miners.miners])
    store = Store(state / "state.db")
    audit = AuditLog(state / "audit.jsonl")
    models = ScriptedModels(
        scripts, choose=lambda pack: labels[pack_hash(pack)], latency_s=latency_s
    )
    evaluator = HarnessEvaluator(
        suite=[load_scenario(SCENARIOS / f"{name}.yaml") for name in answers["suite"]],
        model_factory=models,
        model_id=models.model_id,
        sandbox=LocalSandbox(),
        store=store,
        concurrency=answers.get("concurrency", 2),
    )
    validator = Validator(
        chain=chain,
        wallet=OWNER,
        hotkey=OWNER,
        store=store,
        audit=audit,
        source=miners,
        verifier=miners,
        evaluator=evaluator,
        params=EpochParams(
            epoch_blocks=EPOCH_BLOCKS,
            seeds_per_scenario=answers.get("seeds", 1),
            weight_retries=1,
            retry_backoff_s=0,
        ),
        clock=lambda: T0,
        sleep=no_sleep,
    )
    if writes is not None:
        instrument(writes, store, audit, chain)
    print(json.dumps({"ready": True}), flush=True)
    for epoch in range(epochs):
        block = chain.current_block()
        if block < epoch * EPOCH_BLOCKS:
            chain.advance(epoch * EPOCH_BLOCKS - block)
        while True:
            status = await validator.run_epoch(epoch, await chain.block())
            if status in ("weights_set", "no_weights"):
                break
            # The chain refused the weights (rate limit after a weights set that the store had
            # not recorded yet): wait the limit out, as the daemon's loop does.
            chain.advance(RATE_LIMIT)
        print(json.dumps({"epoch": epoch, "status": status}), flush=True)
    store.close()
    await chain.close()
    print(json.dumps({"done": True, "writes": writes.count if writes else None}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state", type=Path)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per model call")
    parser.add_argument("--die-at", type=int, default=None)
    parser.add_argument("--count-writes", action="store_true")
    parser.add_argument("--tear", action="store_true")
    args = parser.parse_args()
    # Logs to stderr: stdout carries only this driver's JSON lines.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    writes = (
        Writes(args.die_at, args.tear) if args.die_at is not None or args.count_writes else None
    )
    asyncio.run(run(args.state, args.epochs, args.latency, writes))


if __name__ == "__main__":
    main()
