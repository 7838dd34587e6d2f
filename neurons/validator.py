"""TrajectoryRL validator entry point: parse config, build collaborators, run the loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from contextlib import AsyncExitStack
from typing import Any

import structlog

from trajectoryrl.validator._build import build_validator
from trajectoryrl.validator._config import ConfigError, load_config

CHAIN_WAIT_S = 30.0  # how long start-up waits for the chain before saying so and exiting


def _configure_logging(debug: bool) -> None:
    """Readable lines on a terminal, one JSON object per line otherwise (log collectors)."""
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=True)
        if sys.stdout.isatty()
        else structlog.processors.JSONRenderer(sort_keys=True)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if debug else logging.INFO
        ),
    )


def _banner(cfg: Any, hotkey: str, uid: int | None) -> None:
    """What this process is, before its first log line (stderr: logs keep stdout)."""
    rows = [
        ("hotkey", hotkey),
        ("uid", str(uid) if uid is not None else "not registered on this subnet"),
        ("netuid", str(cfg.netuid)),
        ("network", str(cfg.subtensor_network)),
        ("state dir", str(cfg.state_dir.expanduser())),
        ("model", cfg.model),
        ("sandbox", cfg.sandbox),
    ]
    print("TrajectoryRL validator", file=sys.stderr)
    for k, v in rows:
        print(f"  {k:<10} {v}", file=sys.stderr)


async def _run(argv: list[str]) -> int:
    cfg, args = load_config(argv)
    _configure_logging(cfg.logging_debug or cfg.logging_trace)
    problems = cfg.check_environment(os.environ)
    if problems:
        for problem in problems:  # one line each
            print(f"validator: cannot start: {problem}", file=sys.stderr)
        return 2
    async with AsyncExitStack() as stack:
        validator = await build_validator(cfg, stack)
        try:  # a bounded wait: an unreachable chain is said once, not retried forever
            graph = await asyncio.wait_for(validator.chain.metagraph(), CHAIN_WAIT_S)
        except Exception as err:  # TimeoutError or the chain client's own error
            cause = "no answer" if isinstance(err, TimeoutError) else str(err)
            print(
                f"validator: cannot start: chain {cfg.subtensor_network!r} not reachable "
                f"within {CHAIN_WAIT_S:g} s ({cause}); check --subtensor.network / "
                "--subtensor.chain_endpoint",
                file=sys.stderr,
            )
            return 2
        uid = next((n.uid for n in graph.neurons if n.hotkey == validator.hotkey), None)
        _banner(cfg, validator.hotkey, uid)
        loop = asyncio.get_running_loop()
        main_task = asyncio.current_task()
        signals = 0

        def on_signal() -> None:
            # First signal: finish the current step (it commits), then exit. Second: abandon it
            # now; the step's uncommitted work is redone after the restart.
            nonlocal signals
            signals += 1
            validator.stop()
            if signals > 1 and main_task is not None:
                main_task.cancel()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        try:
            await validator.run(max_epochs=args.epochs)
        except asyncio.CancelledError:
            print(
                "validator: stopped mid-step; it resumes from the last committed step",
                file=sys.stderr,
            )
            return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return asyncio.run(_run(sys.argv[1:] if argv is None else argv))
    except ConfigError as err:
        print(f"validator: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a clear line with the reason code, not a traceback
        print(
            f"validator: error [{getattr(err, 'code', type(err).__name__)}]: {err}", file=sys.stderr
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
