"""``clawbench run``, ``score`` and ``check``."""

from __future__ import annotations

import argparse

from clawbench.cli._app import Ctx, not_available


def cmd_run(args: argparse.Namespace, ctx: Ctx) -> int:
    raise not_available("clawbench run (needs clawbench.agent.run_episode and clawbench.scoring)")


def cmd_score(args: argparse.Namespace, ctx: Ctx) -> int:
    raise not_available("clawbench score (needs clawbench.scoring)")


def cmd_check(args: argparse.Namespace, ctx: Ctx) -> int:
    raise not_available("clawbench check (needs clawbench.agent and clawbench.scoring)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a pack on scenarios x seeds; write a run folder")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("score", help="re-score a run folder's trajectories")
    p.add_argument("run_dir")
    p.set_defaults(handler=cmd_score)
    p = sub.add_parser(
        "check", help="replay every scenario's scripts and assert their expectations"
    )
    p.set_defaults(handler=cmd_check)
