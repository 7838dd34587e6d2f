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


# -- epochs ------------------------------------------------------------------------------
class StateError(Exception):
    code = "no_state"


def _open_store(state_dir: Path) -> Any:
    """The validator's store, read as it is: a missing state.db is an error, never a new,
    empty store that would show no epochs."""
    from trajectoryrl.store import Store

    db = state_dir / "state.db"
    if not db.is_file():
        raise StateError(f"{state_dir}: no validator state here (no state.db)")
    return Store(db)


def epochs_table(rows: list[Any], width: int | None) -> Any:
    """Per epoch: status, claims, what became of the packs, winner, weights, spend. Nothing
    is cut: when the table is wider than ``width`` the winner's hotkey gives way to its UID,
    then the count of claims rejected at verification leaves (``--json`` has all)."""
    from clawbench.report import fits

    for hotkeys, rejected in ((True, True), (False, True)):
        table = _epochs_table(rows, hotkeys=hotkeys, rejected=rejected)
        if fits(table, width):
            return table
    return _epochs_table(rows, hotkeys=False, rejected=False)


def _epochs_table(rows: list[Any], *, hotkeys: bool, rejected: bool) -> Any:
    from rich.text import Text

    from clawbench.report import fitted_table, id_column, num_column

    caption = Text(
        "claims: standing claims; "
        + ("rej: failed verification; " if rejected else "")
        + "eval: evaluated in full; elim: stopped early; carry: our failure, last score kept; "
        "out: our failure, left out"
        + ("" if hotkeys else "; winners by UID (hotkeys: --json)")
        + ("" if rejected else "; rejected claims: --json")
    )
    t = fitted_table("validator epochs", caption)
    num_column(t, "epoch", 2)
    id_column(t, "status", [r.status for r in rows])
    counted = ("claims", "rej", "eval", "elim", "carry", "out")
    for col in counted:
        if col != "rej" or rejected:
            num_column(t, col, 1)
    winners = [r.winner if hotkeys else _winner_uid(r) for r in rows]
    id_column(t, "winner", winners)
    id_column(t, "weights", [r.weights for r in rows])
    num_column(t, "spend $", 6)
    for r, winner in zip(rows, winners, strict=True):
        counts = [
            Text(str(n), style="magenta" if n and col in ("carry", "out") else "")
            for col, n in zip(
                counted,
                (r.claims, r.rejected, r.evaluated, r.eliminated, r.carried_over, r.left_out),
                strict=True,
            )
            if col != "rej" or rejected
        ]
        t.add_row(
            Text(str(r.epoch)),
            Text(r.status, style="green" if r.status == "weights_set" else "yellow"),
            *counts,
            Text(winner),
            Text(r.weights),
            Text(f"{r.spend_usd:.4f}"),
        )
    return t


def _winner_uid(r: Any) -> str:
    if r.burned is None:
        return "–"
    if r.burned:
        return r.winner
    return f"uid {r.winner_uid}"


def _epochs(args: argparse.Namespace) -> int:
    import json
    import sys

    from trajectoryrl.validator import epoch_summaries

    store = _open_store(args.state_dir)
    try:
        rows = epoch_summaries(store, epochs=args.epoch, last=args.last)
    finally:
        store.close()
    if args.json:
        data = [{**r.model_dump(), "weights": r.weights, "winner": r.winner} for r in rows]
        sys.stdout.write(json.dumps({"epochs": data}, indent=2, sort_keys=True) + "\n")
        return 0
    if not rows:
        console.print(f"no epochs in {args.state_dir / 'state.db'}", soft_wrap=True)
        return 0
    console.print(epochs_table(rows, console.width))
    for r in rows:
        if r.detail:
            console.print(f"epoch {r.epoch}: {r.detail}", soft_wrap=True, markup=False)
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


# -- register ----------------------------------------------------------------------------
class RegisterError(Exception):
    def __init__(self, message: str, code: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code


def _register_wallet(args: argparse.Namespace) -> Any:
    import bittensor as bt

    path = args.wallet_path.expanduser()
    wallet = bt.Wallet(name=args.wallet_name, hotkey=args.wallet_hotkey, path=str(path))
    hotkey_file = path / args.wallet_name / "hotkeys" / args.wallet_hotkey
    if hotkey_file.is_file():
        return wallet, False
    if not args.create:
        raise RegisterError(
            f"no hotkey {args.wallet_name}/{args.wallet_hotkey} under {path}; add --create to "
            "make one for this local chain, or: btcli wallet new_hotkey "
            f"--wallet.name {args.wallet_name} --wallet.hotkey {args.wallet_hotkey}",
            code="no_wallet",
        )
    coldkey_file = path / args.wallet_name / "coldkeypub.txt"
    if not coldkey_file.is_file():
        wallet.create_new_coldkey(use_password=False, overwrite=False, suppress=True)
    wallet.create_new_hotkey(use_password=False, overwrite=False, suppress=True)
    return wallet, True


def _register(args: argparse.Namespace) -> int:
    """Register a hotkey on a local chain file (what ``localnet --pack`` does for its miner),
    so a miner can run ``neurons/miner.py`` against ``trajectoryrl localnet``'s chain."""
    import json
    import sqlite3
    import sys

    from trajectoryrl.chain import ChainError, LocalChain

    try:
        if args.network != "local":
            raise RegisterError(
                f"--subtensor.network {args.network}: this command registers on a local chain "
                "only; on test or finney a registration burns TAO, use btcli: btcli subnets "
                f"register --netuid {args.netuid} --network {args.network} --wallet.name "
                f"{args.wallet_name} --wallet.hotkey {args.wallet_hotkey}",
                code="not_local",
            )
        if args.chain_db is None:
            raise RegisterError(
                "--local_chain.db FILE is required (trajectoryrl localnet writes DIR/chain.db)",
                code="usage",
            )
        db = args.chain_db.expanduser()
        try:  # opened before any key is made: a wrong path or netuid creates nothing
            chain = LocalChain(db, args.netuid, create=False)
        except ChainError as err:
            raise RegisterError(str(err), code="chain_not_found") from None
        except sqlite3.DatabaseError as err:
            raise RegisterError(
                f"{db}: not a local chain file ({err})", code="chain_invalid"
            ) from None
        try:
            wallet, created = _register_wallet(args)
            hotkey = _public_hotkey(wallet)
            before = {n.hotkey: n for n in _metagraph(chain).neurons}
            try:
                uid = chain.register(hotkey, wallet.coldkeypub.ss58_address)
            except ChainError as err:
                raise RegisterError(str(err), code=err.code, exit_code=1) from None
            neuron = {n.hotkey: n for n in _metagraph(chain).neurons}[hotkey]
        finally:
            chain.close_sync()
    except RegisterError as err:
        print(f"trajectoryrl: error [{err.code}]: {err}", file=sys.stderr)
        return err.exit_code
    already = hotkey in before
    result = {
        "hotkey": hotkey,
        "uid": uid,
        "netuid": args.netuid,
        "chain_db": str(db),
        "registered_block": neuron.registered_block,
        "already_registered": already,
        "wallet_created": created,
        "wallet": f"{args.wallet_name}/{args.wallet_hotkey}",
        "wallet_path": str(args.wallet_path.expanduser()),
    }
    if args.json:
        sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
        return 0
    if created:
        console.print(
            f"created wallet {result['wallet']} under {result['wallet_path']} "
            "(no password: for local chains only)",
            soft_wrap=True,
            markup=False,
        )
    state = "already registered" if already else "registered"
    console.print(
        f"{state}: hotkey {hotkey} is uid {uid} on subnet {args.netuid} of {db} "
        f"(since block {neuron.registered_block})",
        soft_wrap=True,
        markup=False,
    )
    console.print(
        "serve: python neurons/miner.py --subtensor.network local "
        f"--local_chain.db {db} --netuid {args.netuid} --wallet.path {result['wallet_path']} "
        f"--wallet.name {args.wallet_name} --wallet.hotkey {args.wallet_hotkey} "
        "--pack.repo_dir DIR --pack.repo_url URL",
        soft_wrap=True,
        markup=False,
    )
    return 0


def _public_hotkey(wallet: Any) -> str:
    """The hotkey's address from its public file when the wallet has one, so an encrypted
    hotkey is never unlocked (nor a password asked) just to register it."""
    try:
        if wallet.hotkeypub_file.exists_on_device():
            return str(wallet.hotkeypub.ss58_address)
    except Exception:  # an older wallet layout without the public file
        pass
    return str(wallet.hotkey.ss58_address)


def _metagraph(chain: Any) -> Any:
    import asyncio

    return asyncio.run(chain.metagraph())


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

    reg = sub.add_parser(
        "register",
        help="register a hotkey on a local chain (trajectoryrl localnet's chain.db)",
        description="Register a hotkey on a local chain file, as `trajectoryrl localnet --pack` "
        "does for its miner; an already registered hotkey keeps its UID. On test or finney "
        "use btcli (a registration burns TAO). Exit codes: 0 registered (or already); 1 the "
        "chain refused (subnet full); 2 bad usage, no chain file or subnet, no wallet.",
    )
    reg.add_argument(
        "--subtensor.network",
        "--network",
        dest="network",
        default="local",
        help="local (the only one this command registers on; test/finney: use btcli)",
    )
    reg.add_argument(
        "--local_chain.db",
        "--chain.db",
        "--chain-db",
        dest="chain_db",
        type=Path,
        default=None,
        help="the local chain's file, e.g. localnet-1/chain.db (must exist)",
    )
    reg.add_argument("--netuid", type=int, default=11)
    reg.add_argument("--wallet.name", "--wallet-name", dest="wallet_name", default="default")
    reg.add_argument("--wallet.hotkey", "--wallet-hotkey", dest="wallet_hotkey", default="default")
    reg.add_argument(
        "--wallet.path",
        "--wallet-path",
        dest="wallet_path",
        type=Path,
        default=Path("~/.bittensor/wallets"),
    )
    reg.add_argument(
        "--create",
        action="store_true",
        help="create the wallet (coldkey and hotkey, no password) if it does not exist",
    )
    reg.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    reg.set_defaults(handler=_register)

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

    ep = sub.add_parser(
        "epochs",
        help="per epoch: status, claims, evaluated/eliminated/carried over/left out, winner, "
        "weights block, spend",
    )
    _state_args(ep)
    ep.add_argument("--epoch", type=int, action="append", help="only these epochs (repeatable)")
    ep.add_argument("--last", type=int, default=None, help="only the last N epochs")
    ep.add_argument(
        "--json", action="store_true", help="print the epochs as one JSON document on stdout"
    )
    ep.set_defaults(handler=_epochs)

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
