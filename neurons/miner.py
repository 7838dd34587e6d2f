"""The miner neuron: serve SubmitPack for the pack published in a git repository.

    python neurons/miner.py --netuid 11 --wallet.name miner --wallet.hotkey default \\
        --pack.repo_dir ./my-pack-repo --pack.repo_url https://github.com/me/my-pack \\
        --axon.port 8091 [--pack.dir ./pack --publish] [--serve_endpoint]

The claim is HEAD of ``--pack.repo_dir``: its commit and the hash of its pack.json. With
``--publish``, the pack in ``--pack.dir`` is first written, committed and pushed there; then
the claim is committed on chain (the submission; skipped when already committed, or with
``--no_commit``) and served over SubmitPack (the live channel, which agrees with it).
Collaborators (wallet, chain, server) are built here, in ``main``; the chain backend is
imported only when needed, so ``--help`` works anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("trajectoryrl.miner")
CHAIN_WAIT_S = 30.0  # how long start-up waits for the chain before saying so and exiting


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neurons/miner.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--netuid", type=int, default=11, help="subnet id")
    p.add_argument("--wallet.name", dest="wallet_name", default="default")
    p.add_argument("--wallet.hotkey", dest="wallet_hotkey", default="default")
    p.add_argument("--wallet.path", dest="wallet_path", default="~/.bittensor/wallets")
    p.add_argument(
        "--subtensor.network",
        dest="network",
        default="finney",
        help="finney | test | local | ws://host:port | wss://host:port "
        "(local: the embedded chain in --local_chain.db)",
    )
    p.add_argument(
        "--subtensor.chain_endpoint",
        dest="chain_endpoint",
        default=None,
        help="ws:// or wss:// endpoint; overrides --subtensor.network (Bittensor convention)",
    )
    p.add_argument(
        "--local_chain.db",
        "--chain.db",
        dest="chain_db",
        default=None,
        help="the local chain's file with --subtensor.network local; must exist "
        "(--chain.db is the old name)",
    )
    p.add_argument("--axon.ip", dest="axon_ip", default="0.0.0.0", help="address to listen on")
    p.add_argument("--axon.port", dest="axon_port", type=int, default=8091)
    p.add_argument(
        "--axon.external_ip",
        dest="external_ip",
        default=None,
        help="address published on chain with --serve_endpoint",
    )
    p.add_argument(
        "--serve_endpoint", action="store_true", help="publish ip:port on chain before serving"
    )
    p.add_argument(
        "--no_commit",
        dest="no_commit",
        action="store_true",
        help="do not commit the claim on chain (it is the submission: validators read it there)",
    )
    p.add_argument(
        "--pack.repo_dir",
        dest="repo_dir",
        required=False,
        help="local clone of the repository holding the published pack.json",
    )
    p.add_argument(
        "--pack.repo_url",
        dest="repo_url",
        required=False,
        help="the public URL validators fetch (https://github.com/<owner>/<repo>)",
    )
    p.add_argument(
        "--pack.dir",
        dest="pack_dir",
        default=None,
        help="pack source (a pack.json, or a directory with pack.yaml + files)",
    )
    p.add_argument("--pack.remote", dest="remote", default="origin")
    p.add_argument("--pack.branch", dest="branch", default="main")
    p.add_argument(
        "--publish",
        action="store_true",
        help="write, commit and push --pack.dir into --pack.repo_dir first",
    )
    p.add_argument(
        "--min_stake", type=float, default=0.0, help="refuse validators with less stake than this"
    )
    p.add_argument(
        "--rate.capacity",
        dest="rate_capacity",
        type=float,
        default=5.0,
        help="requests a validator may burst",
    )
    p.add_argument(
        "--rate.per_s",
        dest="rate_per_s",
        type=float,
        default=0.2,
        help="sustained requests per second per validator",
    )
    p.add_argument("--metagraph.refresh_s", dest="metagraph_refresh_s", type=float, default=300.0)
    p.add_argument("--logging.debug", dest="debug", action="store_true", help="debug logs")
    p.add_argument("--logging.trace", dest="trace", action="store_true", help="as --logging.debug")
    p.add_argument(
        "--logging.info", dest="info", action="store_true", help="info logs (the default)"
    )
    return p


class StartupError(Exception):
    pass


def _wallet(args: argparse.Namespace) -> Any:
    import bittensor as bt

    hotkey_file = (
        Path(args.wallet_path).expanduser() / args.wallet_name / "hotkeys" / args.wallet_hotkey
    )
    if not hotkey_file.is_file():
        raise StartupError(
            f"no hotkey {args.wallet_name}/{args.wallet_hotkey} under "
            f"--wallet.path; create it with btcli"
        )
    return bt.Wallet(
        name=args.wallet_name,
        hotkey=args.wallet_hotkey,
        path=str(Path(args.wallet_path).expanduser()),
    )


def _chain(args: argparse.Namespace) -> Any:
    try:
        from trajectoryrl import chain
    except ImportError as err:
        raise StartupError(
            f"the chain backend is not available ({err}); install the project with its dependencies"
        ) from None
    if args.network == "local":
        if not args.chain_db:
            raise StartupError("--subtensor.network local needs --local_chain.db")
        if not Path(args.chain_db).expanduser().is_file():
            # A mistyped path must not silently become a new, empty chain.
            raise StartupError(
                f"--local_chain.db: no local chain file at {args.chain_db} "
                "(`trajectoryrl localnet` creates one)"
            )
        return chain.LocalChain(Path(args.chain_db).expanduser(), args.netuid)
    if args.network not in ("finney", "test") and not args.network.startswith(("ws://", "wss://")):
        raise StartupError(
            f"--subtensor.network {args.network!r}: expected finney, test, local, "
            "ws://host:port or wss://host:port"
        )
    try:
        return chain.BittensorChain(args.network, args.netuid)
    except chain.ChainError as err:
        raise StartupError(f"cannot reach the chain {args.network!r}: {err}") from None


def _claim(args: argparse.Namespace, hotkey_of: Callable[[], str]) -> Any:
    """The claim this miner serves and commits: HEAD of --pack.repo_dir (published first with
    --publish, bound to the hotkey by MINER_HOTKEY; pushed and bound unless --no_commit)."""
    from clawbench.errors import PackError
    from clawbench.pack import load_pack
    from trajectoryrl.miner import (
        CurrentPack,
        PublishError,
        publish_pack,
        published_claim,
        pushed_claim,
    )

    if not args.repo_dir or not args.repo_url:
        raise StartupError("--pack.repo_dir and --pack.repo_url are required")
    try:
        if args.publish:
            if not args.pack_dir:
                raise StartupError("--publish needs --pack.dir")
            res = publish_pack(
                load_pack(args.pack_dir),
                args.repo_dir,
                remote=args.remote,
                branch=args.branch,
                hotkey=hotkey_of(),
            )
            print(f"published commit={res.commit} pack_hash={res.pack_hash}")
        commit, digest = published_claim(args.repo_dir)
        if not args.no_commit:  # what is committed on chain must be public and bound to us
            claim = pushed_claim(
                args.repo_dir,
                args.repo_url,
                remote=args.remote,
                branch=args.branch,
                hotkey=hotkey_of(),
            )
            commit, digest = claim.git_commit_hash, claim.pack_hash
    except (PublishError, PackError) as err:
        raise StartupError(f"pack: [{err.code}] {err}") from None
    return CurrentPack(repo_url=args.repo_url, git_commit_hash=commit, pack_hash=digest)


def _endpoint_host(args: argparse.Namespace) -> str:
    """The address published on chain. On a real network an unspecified (0.0.0.0, ::) or
    loopback address would make the miner invisible to every validator: refused."""
    import ipaddress

    host = args.external_ip or args.axon_ip
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise StartupError(f"--axon.external_ip: {host!r} is not an IP address") from None
    if args.network != "local" and (ip.is_unspecified or ip.is_loopback):
        raise StartupError(
            f"--axon.external_ip: {host} cannot be reached by validators; pass the public IP"
        )
    return host


async def _publish_endpoint(args: argparse.Namespace, wallet: Any, chain: Any, port: int) -> None:
    """ServeAxon, unless the chain already has this endpoint; a serving rate limit (a restart
    soon after the last ServeAxon) is a warning, not a reason to stop serving."""
    from trajectoryrl.chain import ChainError

    host = _endpoint_host(args)
    me = (await chain.metagraph()).by_hotkey().get(wallet.hotkey.ss58_address)
    if (
        me is not None
        and me.endpoint is not None
        and (me.endpoint.host, me.endpoint.port)
        == (
            host,
            port,
        )
    ):
        log.info("endpoint %s:%s already on chain; not serving it again", host, port)
        return
    try:
        await chain.serve_endpoint(wallet, host, port)
    except ChainError as err:
        if err.code != "rate_limited":
            raise
        log.warning("serving rate limit: endpoint not re-published (%s); still serving", err)


async def _commit(args: argparse.Namespace, wallet: Any, chain: Any, current: Any) -> None:
    """Commit the claim on chain (after the push; skipped when it is already committed)."""
    from trajectoryrl.miner import commit_claim
    from trajectoryrl.protocol import PackClaim

    claim = PackClaim(
        repo_url=current.repo_url,
        git_commit_hash=current.git_commit_hash,
        pack_hash=current.pack_hash,
    )
    result = await commit_claim(chain, wallet, wallet.hotkey.ss58_address, claim)
    if result.committed:
        print(f"committed claim at block {result.block}: {result.value}")
    else:
        print(f"claim already committed at block {result.block}")


async def _serve(args: argparse.Namespace, wallet: Any, chain: Any, current: Any) -> None:
    from trajectoryrl.miner import AccessPolicy, MinerServer, raise_fd_limit

    raise_fd_limit()  # idle connections from a flood must not run us out of descriptors

    policy = AccessPolicy(
        min_stake=args.min_stake,
        rate_capacity=args.rate_capacity,
        rate_per_s=args.rate_per_s,
        metagraph_refresh_s=args.metagraph_refresh_s,
    )
    server = MinerServer(wallet.hotkey, chain.metagraph, current=current, policy=policy)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:  # a bounded wait: an unreachable chain is said once, then the miner exits
        graph = await asyncio.wait_for(chain.metagraph(), CHAIN_WAIT_S)
    except Exception as err:
        cause = "no answer" if isinstance(err, TimeoutError) else str(err)
        await chain.close()
        raise StartupError(
            f"chain {args.network!r} not reachable within {CHAIN_WAIT_S:g} s ({cause})"
        ) from None
    try:
        port = await server.start(args.axon_ip, args.axon_port)
    except OSError as err:
        await chain.close()
        raise StartupError(
            f"--axon.port {args.axon_port}: cannot listen on {args.axon_ip} "
            f"({err.strerror or err}); is another miner using it?"
        ) from None
    hotkey = wallet.hotkey.ss58_address
    uid = next((n.uid for n in graph.neurons if n.hotkey == hotkey), None)
    for k, v in (
        ("hotkey", hotkey),
        ("uid", str(uid) if uid is not None else "not registered on this subnet"),
        ("netuid", str(args.netuid)),
        ("network", args.network),
        ("axon", f"{args.axon_ip}:{port}"),
        ("commit", current.git_commit_hash),
        ("pack_hash", current.pack_hash),
    ):
        print(
            f"  {k:<10} {v}" if k != "hotkey" else f"TrajectoryRL miner\n  {k:<10} {v}",
            file=sys.stderr,
        )
    try:
        if not args.no_commit:
            await _commit(args, wallet, chain, current)
        if args.serve_endpoint:
            await _publish_endpoint(args, wallet, chain, port)
        log.info(
            "serving SubmitPack on %s:%s commit=%s pack_hash=%s",
            args.axon_ip,
            port,
            current.git_commit_hash,
            current.pack_hash,
        )
        await stop.wait()
    finally:
        await server.stop()
        await chain.close()


class _JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (when stderr is not a terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                "level": record.levelname.lower(),
                "logger": record.name,
                "event": record.getMessage(),
            },
            sort_keys=True,
        )


def _configure_logging(args: argparse.Namespace) -> None:
    handler = logging.StreamHandler()
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    else:
        handler.setFormatter(_JsonFormatter())
    logging.basicConfig(
        level=logging.DEBUG if args.debug or args.trace else logging.INFO, handlers=[handler]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.chain_endpoint:  # Bittensor's rule: an explicit endpoint wins over the network
        args.network = args.chain_endpoint
    _configure_logging(args)
    try:
        current = _claim(args, lambda: _wallet(args).hotkey.ss58_address)
        wallet = _wallet(args)
        if args.serve_endpoint:
            _endpoint_host(args)
        chain = _chain(args)
    except StartupError as err:
        print(f"miner: {err}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args, wallet, chain, current))
    except StartupError as err:
        print(f"miner: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # chain refusals at start: one line with the reason code
        print(f"miner: error [{getattr(err, 'code', type(err).__name__)}]: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
