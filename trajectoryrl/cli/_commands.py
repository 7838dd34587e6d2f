"""Subcommands. Each registers its parser and a handler returning an exit code."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()


def _state_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--state-dir",
        type=Path,
        default=Path("~/.trajectoryrl/validator").expanduser(),
        help="the validator's state folder (state.db, audit.jsonl)",
    )


# -- audit -------------------------------------------------------------------------------
def _audit_verify(args: argparse.Namespace) -> int:
    from trajectoryrl.audit import verify_log
    from trajectoryrl.store import Store

    path = args.state_dir / "audit.jsonl" if args.log is None else args.log
    anchor = None
    db = args.state_dir / "state.db"
    if db.exists():  # the validator's store anchors the log's head after each step
        store = Store(db)
        anchor = store.audit_anchor()
        store.close()
    problems = verify_log(path, expected_head=args.head, anchor=anchor)
    if not problems:
        console.print(f"[green]audit log intact[/]: {path}")
        return 0
    t = Table(title=f"audit problems in {path}")
    for col in ("line", "code", "detail"):
        t.add_column(col)
    for p in problems:
        t.add_row(str(p.line), p.code, p.detail)
    console.print(t)
    return 1


# -- ledger ------------------------------------------------------------------------------
def _ledger(args: argparse.Namespace) -> int:
    from trajectoryrl.ledger import Ledger
    from trajectoryrl.store import Store

    ledger = Ledger(Store(args.state_dir / "state.db"))
    for by in ("day", "month", "model", "hotkey"):
        rows = ledger.totals(by)
        t = Table(title=f"LLM spend by {by}")
        for col in (by, "calls", "episodes", "tokens in", "tokens out", "cost (USD)"):
            t.add_column(col, justify="right" if col != by else "left")
        for r in rows:
            t.add_row(
                str(r["k"]),
                str(r["calls"]),
                str(r["episodes"]),
                str(r["tokens_in"]),
                str(r["tokens_out"]),
                f"{float(r['cost']):.4f}",
            )
        console.print(t)
    console.print(f"cost per episode: ${ledger.cost_per_episode():.4f}")
    estimated = sum(int(r["estimated_calls"] or 0) for r in ledger.totals("model"))
    if estimated:  # the provider sent no usage: counts are the harness's estimate
        console.print(f"{estimated} call(s) with estimated token counts (no usage reported)")
    if args.epoch is not None:
        spend = ledger.epoch_spend(args.epoch)
        t = Table(title=f"epoch {args.epoch}: spend per miner")
        for col in ("miner", "calls", "episodes", "tokens", "cost (USD)", "eliminated", "saved"):
            t.add_column(col, justify="left" if col in ("miner", "eliminated") else "right")
        for p in spend.packs:
            t.add_row(
                p.hotkey,
                str(p.calls),
                str(p.episodes),
                str(p.tokens_in + p.tokens_out),
                f"{p.cost_usd:.4f}",
                p.eliminated,
                f"{p.saved_usd:.4f}" if p.eliminated else "",
            )
        console.print(t)
        console.print(
            f"epoch {args.epoch}: spent ${spend.cost_usd:.4f}; elimination saved about "
            f"${spend.saved_usd:.4f} (episodes not run x ${spend.cost_per_episode_usd:.4f})"
        )
    return 0


# -- export ------------------------------------------------------------------------------
def _export(args: argparse.Namespace) -> int:
    from clawbench import HARNESS_VERSION
    from trajectoryrl.export import export_all, load_episodes
    from trajectoryrl.store import Store

    episodes = load_episodes(
        Store(args.state_dir / "state.db"),
        evaluator=f"clawbench/{HARNESS_VERSION}",
        epochs=set(args.epoch) if args.epoch else None,
        scenarios=set(args.scenario) if args.scenario else None,
        labels=set(args.label) if args.label else None,
    )
    counts = export_all(episodes, args.out)
    console.print(f"wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


# -- reconcile ---------------------------------------------------------------------------
def _reconcile(args: argparse.Namespace) -> int:
    import asyncio

    from clawbench.scenario import load_suite
    from trajectoryrl.chain import LocalChain
    from trajectoryrl.store import Store
    from trajectoryrl.validator import reconcile_epoch

    chain_weights = None
    if args.chain_db is not None:
        chain = LocalChain(args.chain_db, netuid=args.netuid)
        chain_weights = asyncio.run(chain.weights_of(args.validator_hotkey))
        chain.close_sync()
    result = reconcile_epoch(
        Store(args.state_dir / "state.db"),
        args.epoch,
        load_suite(args.suite_dir),
        owner_uid=args.owner_uid,
        chain_weights=chain_weights,
    )
    console.print(
        f"epoch {result.epoch}: {result.packs} packs, {result.episodes} episodes re-scored; "
        f"recomputed winner {result.winner}, weights {result.weights}"
    )
    for note in result.notes:
        console.print(f"note: {note}")
    if result.ok:
        console.print("[green]reconciled: no differences[/]")
        return 0
    t = Table(title="differences")
    for col in ("what", "subject", "recorded", "recomputed"):
        t.add_column(col)
    for d in result.differences:
        t.add_row(d.what, d.subject, str(d.recorded), str(d.recomputed))
    console.print(t)
    return 1


# -- localnet ----------------------------------------------------------------------------
def _localnet(args: argparse.Namespace) -> int:
    import asyncio

    from trajectoryrl.localnet import (
        DEFAULT_MINERS,
        HOSTILE_MINERS,
        THREE_EPOCH_MINERS,
        next_dir,
        run_localnet,
    )

    own = None
    if args.pack is not None:
        from clawbench.pack import load_pack

        own = load_pack(args.pack)  # an invalid pack stops here, with the field named
    root = args.dir or next_dir(Path.cwd())
    miners = {"three-epoch": THREE_EPOCH_MINERS, "hostile": HOSTILE_MINERS}.get(
        args.plan, DEFAULT_MINERS
    )
    result = asyncio.run(
        run_localnet(
            miners=miners,
            root=root,
            epochs=args.epochs,
            suite_dir=args.suite_dir,
            sandbox=args.sandbox,
            console=console,
            own_pack=own,
            own_plays=args.pack_plays,
        )
    )
    last = result.epochs[-1]
    return 0 if last.status == "weights_set" else 1


# -- pack publish ------------------------------------------------------------------------
def _pack_publish(args: argparse.Namespace) -> int:
    from clawbench.pack import load_pack
    from trajectoryrl.miner import publish_pack

    pack = load_pack(args.pack)
    result = publish_pack(
        pack,
        args.repo,
        remote=args.remote,
        branch=args.branch,
        remote_url=args.remote_url,
        push=not args.no_push,
        hotkey=args.hotkey,
    )
    console.print(f"commit    {result.commit}")
    console.print(f"pack_hash {result.pack_hash}")
    console.print(f"branch    {result.branch} ({'pushed' if result.pushed else 'not pushed'})")
    return 0


# -- pack commit -------------------------------------------------------------------------
def _pack_commit(args: argparse.Namespace) -> int:
    import asyncio

    import bittensor as bt

    from trajectoryrl.chain import BittensorChain, ChainError, LocalChain
    from trajectoryrl.miner import PublishError, commit_claim, pushed_claim

    wallet = bt.Wallet(
        name=args.wallet_name, hotkey=args.wallet_hotkey, path=str(args.wallet_path.expanduser())
    )
    try:
        claim = pushed_claim(
            args.repo,
            args.repo_url,
            remote=args.remote,
            branch=args.branch,
            hotkey=wallet.hotkey.ss58_address,
        )
    except PublishError as err:
        console.print(f"[red]cannot commit[/] [{err.code}] {err}")
        return 2

    async def run() -> Any:
        chain: Any = (
            LocalChain(args.chain_db, args.netuid)
            if args.chain_db is not None
            else BittensorChain(args.network, args.netuid)
        )
        try:
            return await commit_claim(chain, wallet, wallet.hotkey.ss58_address, claim)
        finally:
            await chain.close()

    try:
        result = asyncio.run(run())
    except (ChainError, ValueError) as err:
        console.print(f"[red]commit failed[/] [{getattr(err, 'code', 'invalid')}] {err}")
        return 2
    state = "committed" if result.committed else "already committed"
    console.print(f"{state} at block {result.block}")
    console.print(f"commit    {claim.git_commit_hash}")
    console.print(f"pack_hash {claim.pack_hash}")
    console.print(f"value     {result.value} ({len(result.value.encode())} bytes)")
    return 0


def register_all(sub: Any) -> None:
    pack = sub.add_parser("pack", help="miner tools for packs").add_subparsers(
        dest="pack_cmd", required=True
    )
    pub = pack.add_parser(
        "publish", help="write the canonical pack.json into a git repository, commit and push"
    )
    pub.add_argument("pack", type=Path, help="a pack directory or pack.json")
    pub.add_argument(
        "--repo",
        type=Path,
        required=True,
        help="the local git working repository (created if needed)",
    )
    pub.add_argument("--remote", default="origin")
    pub.add_argument(
        "--remote-url",
        default=None,
        help="set the remote's URL (e.g. https://github.com/you/pack.git)",
    )
    pub.add_argument("--branch", default="main")
    pub.add_argument(
        "--hotkey",
        default=None,
        help="your hotkey's ss58 address, written to MINER_HOTKEY (validators require it)",
    )
    pub.add_argument("--no-push", action="store_true", help="commit only")
    pub.set_defaults(handler=_pack_publish)

    com = pack.add_parser(
        "commit",
        help="commit the published claim (repo, commit, pack_hash) on chain: the submission",
    )
    com.add_argument("--repo", type=Path, required=True, help="the local git repository")
    com.add_argument(
        "--repo-url", required=True, help="the public URL validators fetch (as on GitHub)"
    )
    com.add_argument("--remote", default="origin")
    com.add_argument("--branch", default="main")
    com.add_argument("--netuid", type=int, default=11)
    com.add_argument("--network", default="finney", help="finney | test | ws://...")
    com.add_argument(
        "--chain-db", type=Path, default=None, help="an embedded local chain file instead"
    )
    com.add_argument("--wallet-name", default="default")
    com.add_argument("--wallet-hotkey", default="default")
    com.add_argument("--wallet-path", type=Path, default=Path("~/.bittensor/wallets"))
    com.set_defaults(handler=_pack_commit)

    audit = sub.add_parser("audit", help="the tamper-evident audit log").add_subparsers(
        dest="audit_cmd", required=True
    )
    v = audit.add_parser("verify", help="check the hash chain; exit 1 naming every problem")
    _state_args(v)
    v.add_argument(
        "--log",
        type=Path,
        default=None,
        help="an audit log file (default: <state-dir>/audit.jsonl)",
    )
    v.add_argument("--head", default=None, help="the anchored head hash, to detect a cut tail")
    v.set_defaults(handler=_audit_verify)

    led = sub.add_parser("ledger", help="LLM spend totals by day, month, model and miner")
    _state_args(led)
    led.add_argument(
        "--epoch", type=int, default=None, help="also: spend per miner and saved by elimination"
    )
    led.set_defaults(handler=_ledger)

    ex = sub.add_parser("export", help="reward, SFT and preference JSONL from evaluated episodes")
    _state_args(ex)
    ex.add_argument("--out", type=Path, required=True)
    ex.add_argument("--epoch", type=int, action="append", help="only these epochs (repeatable)")
    ex.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    ex.add_argument("--label", action="append", choices=["gold", "silver", "bronze", "rejected"])
    ex.set_defaults(handler=_export)

    rc = sub.add_parser(
        "reconcile", help="recompute an epoch's scores, winner and weights from stored trajectories"
    )
    _state_args(rc)
    rc.add_argument("--epoch", type=int, required=True)
    rc.add_argument("--suite-dir", type=Path, default=Path("scenarios"))
    rc.add_argument(
        "--chain-db", type=Path, default=None, help="a local chain file to compare weights with"
    )
    rc.add_argument("--netuid", type=int, default=11)
    rc.add_argument("--validator-hotkey", default="", help="whose weights on the chain to compare")
    rc.add_argument(
        "--owner-uid",
        type=int,
        default=None,
        help="the subnet owner's UID (burn); default: the one a burned decision names",
    )
    rc.set_defaults(handler=_reconcile)

    ln = sub.add_parser(
        "localnet", help="run a whole local subnet: chain, forge, miners, validator"
    )
    ln.add_argument("--epochs", type=int, default=2)
    ln.add_argument(
        "--dir", type=Path, default=None, help="where to keep everything (default: ./localnet-<n>)"
    )
    ln.add_argument("--suite-dir", type=Path, default=Path("scenarios"))
    ln.add_argument("--sandbox", choices=["local", "docker"], default="local")
    ln.add_argument(
        "--plan",
        choices=["default", "three-epoch", "hostile"],
        default="default",
        help="default: strong, weak, a later copy, a wrong hash; three-epoch: later packs better "
        "by less and by more than delta (use --epochs 3); hostile: honest miners and one "
        "attacker per known attack (use --epochs 5)",
    )
    ln.add_argument(
        "--pack",
        type=Path,
        default=None,
        help="your pack (directory or pack.json): it joins as miner 'yours' (a hotkey created "
        "and registered on the local chain), is published to a local forge, committed, "
        "verified, scored, ranked, and gets an HTML report",
    )
    ln.add_argument(
        "--pack-plays",
        default="reference",
        help="with the scripted model, the script your pack replays (reference, "
        "bad_keyword_stuffed, pad:<k>, ...); set TRAJECTORYRL_MODEL=openai:<name> for a real model",
    )
    ln.set_defaults(handler=_localnet)
