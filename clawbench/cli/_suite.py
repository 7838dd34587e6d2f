"""``clawbench list`` and ``clawbench validate``."""

from __future__ import annotations

import argparse

from clawbench.cli._app import Ctx, not_available


def cmd_list(args: argparse.Namespace, ctx: Ctx) -> int:
    raise not_available("clawbench list (needs clawbench.scenario.load_suite)")


def cmd_validate(args: argparse.Namespace, ctx: Ctx) -> int:
    raise not_available("clawbench validate (needs clawbench.scenario.load_scenario)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="the scenarios of a suite")
    p.add_argument(
        "--suite", default="scenarios", help="scenario suite directory (default ./scenarios)"
    )
    p.set_defaults(handler=cmd_list)
    p = sub.add_parser("validate", help="validate scenarios, packs and scripts; name every problem")
    p.add_argument("--suite", default="scenarios")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(handler=cmd_validate)
