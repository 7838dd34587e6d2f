"""The ``clawbench`` command line: list, validate, run, score, report, compare, check, pack,
redteam.

Exit codes: 0 ok; 1 a check or expectation failed; 2 usage error or invalid input (the
message names the file and the problem); 3 evaluator failure in a run (model or sandbox).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from clawbench import HARNESS_VERSION
from clawbench.cli import _pack, _redteam, _report, _run, _suite
from clawbench.cli._app import (
    EXIT_CODES_HELP,
    EXIT_EVALUATOR,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    Ctx,
)
from clawbench.errors import ClawBenchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clawbench",
        description="Run, score and report ClawBench scenarios for AI-agent policy packs.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"clawbench {HARNESS_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    _suite.register(sub)
    _run.register(sub)
    _report.register(sub)
    _pack.register(sub)
    _redteam.register(sub)
    for p in sub.choices.values():
        p.epilog = EXIT_CODES_HELP
        p.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Entry point; ``console`` is injectable so tests can force a terminal."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    as_json = bool(getattr(args, "json", False))
    if as_json and console is None:
        console = Console(stderr=True)  # progress and messages; stdout holds only the JSON
    ctx = Ctx(console=console or Console(), cwd=Path.cwd(), json=as_json)
    handler: Callable[[argparse.Namespace, Ctx], int] = args.handler
    try:
        return handler(args, ctx)
    except KeyboardInterrupt:
        print("clawbench: interrupted", file=sys.stderr)
        return 130
    except CliError as err:
        print(f"clawbench: error [{err.code}]: {err}", file=sys.stderr)
        return err.exit_code
    except ClawBenchError as err:
        print(f"clawbench: error [{err.code}]: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        print(f"clawbench: error [io]: {err}", file=sys.stderr)
        return EXIT_USAGE


__all__ = ["EXIT_EVALUATOR", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]
