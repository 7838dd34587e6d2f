"""TrajectoryRL validator entry point: parse config, build collaborators, run the loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from contextlib import AsyncExitStack

import structlog

from trajectoryrl.validator._build import build_validator
from trajectoryrl.validator._config import ConfigError, load_config


def _configure_logging(debug: bool) -> None:
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.DEBUG if debug else logging.INFO
        ),
    )


async def _run(argv: list[str]) -> int:
    cfg, args = load_config(argv)
    _configure_logging(cfg.logging_debug)
    problems = cfg.check_environment(os.environ)
    if problems:
        print("validator: cannot start:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2
    async with AsyncExitStack() as stack:
        validator = await build_validator(cfg, stack)
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
