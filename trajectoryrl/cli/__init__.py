"""The ``trajectoryrl`` command line: operator tools around the validator's state.

Exit codes: 0 ok; 1 a check found a problem (audit tampering, reconcile differences) or the
chain refused (register: subnet full); 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from trajectoryrl.cli._commands import register_all

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trajectoryrl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    register_all(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a clear message with the reason code, never a traceback
        code = getattr(err, "code", type(err).__name__)
        print(f"trajectoryrl: error [{code}]: {err}", file=sys.stderr)
        return EXIT_USAGE


__all__ = ["build_parser", "main"]
