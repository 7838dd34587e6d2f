"""Shared CLI plumbing: exit codes, the error type handlers raise, and the context they get."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1  # a check or expectation failed
EXIT_USAGE = 2  # bad usage or invalid input (the message names the file and the problem)
EXIT_EVALUATOR = 3  # the evaluator failed (model or sandbox error) in a run

EXIT_CODES_HELP = """exit codes:
  0  ok
  1  a check or expectation failed (clawbench check)
  2  usage error or invalid input: the message names the file and the problem
  3  evaluator failure in a run (model or sandbox error): not the pack's score"""


class CliError(Exception):
    """A clean failure: printed as ``clawbench: error [code]: message``, never a traceback."""

    def __init__(self, message: str, *, exit_code: int = EXIT_USAGE, code: str = "usage") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.code = code


@dataclass
class Ctx:
    console: Console  # stdout: tables, progress, results
    cwd: Path
