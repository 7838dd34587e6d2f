"""The ``clawbench`` command line."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    raise SystemExit("clawbench CLI: not built yet")
