"""One episode per scenario against any OpenAI-compatible endpoint: how a real model (or a
local server) behaves through the harness.

    python benchmarks/real_model.py --base-url http://127.0.0.1:8080/v1 --model qwen2.5-coder
    python benchmarks/real_model.py --base-url URL --model NAME --api-key-env OPENAI_API_KEY \\
        --tool-call-format text --max-tokens 512 --timeout 300

Prints, per episode: wall time, termination, and per model call the prompt/completion
tokens (``~`` when estimated because the server sent no usage), the finish reason and the
tool calls parsed; then totals. Seed 0, the local sandbox (real-shell scenarios are left out),
each scenario's example ``optimized`` pack (``--pack`` to use one pack for all).

Without ``--base-url`` (nor ``$CLAWBENCH_BENCH_BASE_URL``) it prints that it is skipped and
exits 0, so CI can call it with no endpoint. A test runs it against the scripted server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from clawbench.agent import OpenAIModel, run_episode  # noqa: E402
from clawbench.pack import PolicyBundle, load_pack, pack_hash  # noqa: E402
from clawbench.sandbox import LocalSandbox  # noqa: E402
from clawbench.scenario import instantiate, load_suite  # noqa: E402


@dataclass
class Call:
    prompt: int
    completion: int
    estimated: bool
    finish: str
    tool_calls: int


@dataclass
class Episode:
    scenario: str
    wall_s: float
    termination: str
    calls: list[Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _pack_for(suite_dir: Path, scenario: str, pack: Path | None) -> PolicyBundle:
    if pack is not None:
        return load_pack(pack)
    for where in (suite_dir / "packs" / scenario / "optimized", suite_dir / "packs" / scenario):
        if (where / "pack.yaml").is_file() or (where / "pack.json").is_file():
            return load_pack(where)
    raise SystemExit(f"{suite_dir}/packs/{scenario}: no example pack; pass --pack")


async def bench(args: argparse.Namespace) -> list[Episode]:
    suite_dir = Path(args.suite)
    suite = [s for s in load_suite(suite_dir) if s.spec.real_workspace is None]
    if args.scenario:
        suite = [s for s in suite if s.name in args.scenario]
    model = OpenAIModel(
        args.model,
        base_url=args.base_url,
        api_key_env=None if args.api_key_env.lower() == "none" else args.api_key_env,
        timeout_s=args.timeout,
        retries=args.max_retries,
        max_tokens=args.max_tokens,
        tool_call_format=args.tool_call_format,
    )
    out: list[Episode] = []
    async with model:
        for scenario in suite:
            instance = instantiate(scenario, 0)
            pack = _pack_for(suite_dir, scenario.name, Path(args.pack) if args.pack else None)
            start = time.monotonic()
            traj = await run_episode(
                instance, pack, model, LocalSandbox(), pack_hash=pack_hash(pack)
            )
            wall = time.monotonic() - start
            assistant = [m for m in traj.messages if m.role == "assistant"]
            calls = [
                Call(
                    u.prompt_tokens,
                    u.completion_tokens,
                    u.tokens_estimated,
                    u.finish_reason or "?",
                    len(m.tool_calls),
                )
                for u, m in zip(traj.usage, assistant, strict=False)
            ]
            out.append(
                Episode(scenario.name, wall, traj.termination.value, calls, list(traj.errors))
            )
            _print(out[-1])
    return out


def _print(ep: Episode) -> None:
    print(f"{ep.scenario}: {ep.wall_s:.1f} s, {ep.termination}, {len(ep.calls)} model call(s)")
    for i, c in enumerate(ep.calls):
        mark = "~" if c.estimated else ""
        print(
            f"  call {i}: prompt {mark}{c.prompt}  completion {mark}{c.completion}  "
            f"finish {c.finish}  tool calls parsed {c.tool_calls}"
        )
    for e in ep.errors:
        print(f"  error: {e}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", default=os.environ.get("CLAWBENCH_BENCH_BASE_URL"))
    p.add_argument("--model", default=os.environ.get("CLAWBENCH_BENCH_MODEL", "default"))
    p.add_argument("--api-key-env", default="none", help="variable holding the key, or none")
    p.add_argument("--suite", default=str(ROOT / "scenarios"))
    p.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    p.add_argument("--pack", help="one pack for every scenario (default: each one's example)")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--max-retries", type=int, default=2)
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--tool-call-format", choices=("native", "text"), default="native")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.base_url:
        print("skipped: no endpoint (--base-url URL or $CLAWBENCH_BENCH_BASE_URL)")
        return 0
    episodes = asyncio.run(bench(args))
    calls = [c for e in episodes for c in e.calls]
    finishes: dict[str, int] = {}
    for c in calls:
        finishes[c.finish] = finishes.get(c.finish, 0) + 1
    print(
        f"total: {len(episodes)} episode(s), {sum(e.wall_s for e in episodes):.1f} s, "
        f"{len(calls)} call(s), {sum(c.prompt + c.completion for c in calls)} tokens "
        f"({sum(c.estimated for c in calls)} call(s) estimated), "
        f"{sum(c.tool_calls for c in calls)} tool call(s) parsed, finish reasons {finishes}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
