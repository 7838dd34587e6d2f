"""Shared CLI plumbing: exit codes, the error type handlers raise, and the context they get."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

EXIT_OK = 0
EXIT_FAILED = 1  # a check or expectation failed
EXIT_USAGE = 2  # bad usage or invalid input (the message names the file and the problem)
EXIT_EVALUATOR = 3  # the evaluator failed (model or sandbox error) in a run
EXIT_PREFLIGHT = 4  # the preflight found the model endpoint or the sandbox unusable
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT); finished episodes are kept, resume with --resume

EXIT_CODES_HELP = """exit codes:
  0  ok
  1  a check or expectation failed (clawbench check)
  2  usage error or invalid input: the message names the file and the problem
  3  evaluator failure in a run (model or sandbox error): not the pack's score
  4  preflight failed: the model endpoint, key, model or Docker is unusable; no episode ran
  130  interrupted (Ctrl-C): finished episodes are kept; clawbench run --resume RUN_DIR"""


class CliError(Exception):
    """A clean failure: printed as ``clawbench: error [code]: message``, never a traceback."""

    def __init__(self, message: str, *, exit_code: int = EXIT_USAGE, code: str = "usage") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code


@dataclass
class Ctx:
    console: Console  # tables, progress, messages (stderr when --json)
    cwd: Path
    json: bool = False  # --json: the result is one JSON document on stdout

    def emit(self, data: Any) -> None:
        """The result as JSON on stdout (``--json``): nothing else goes there."""
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def say(self, message: str, style: str = "") -> None:
        """One message line, never re-wrapped (paths and commands stay copyable)."""
        self.console.print(Text(message, style=style), soft_wrap=True)


def add_json_flag(p: Any) -> None:
    p.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON document on stdout (messages go to stderr)",
    )
