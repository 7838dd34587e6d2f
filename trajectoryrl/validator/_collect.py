"""The production collaborators of the epoch loop: ask miners over signed HTTP, verify
submissions with the git/forge checks."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import structlog

from trajectoryrl.chain import Metagraph
from trajectoryrl.protocol import SubmitPack, query_miner
from trajectoryrl.validator._metrics import Metrics
from trajectoryrl.validator._types import Received, Verified
from trajectoryrl.verify import SubmissionVerifier

log = structlog.get_logger("trajectoryrl.collect")


class MinerQuerier:
    """SubmitPack to every neuron that advertises an endpoint (except ourselves), concurrently.
    A miner that times out, refuses or answers unsigned simply has no submission this epoch."""

    def __init__(
        self,
        signer: Any,
        own_hotkey: str,
        *,
        timeout_s: float = 12.0,
        concurrency: int = 64,
        metrics: Metrics | None = None,
    ) -> None:
        self.signer = signer
        self.own_hotkey = own_hotkey
        self.timeout_s = timeout_s
        self._concurrency = concurrency
        self.metrics = metrics or Metrics()

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        targets = [
            n for n in metagraph.neurons if n.endpoint is not None and n.hotkey != self.own_hotkey
        ]
        sem = asyncio.Semaphore(self._concurrency)
        request = SubmitPack(validator_hotkey=self.own_hotkey, epoch=epoch)
        out: list[Received] = []
        async with aiohttp.ClientSession() as session:

            async def ask(n: Any) -> None:
                async with sem:
                    outcome = await query_miner(
                        session, n.endpoint, self.signer, n.hotkey, request, self.timeout_s
                    )
                if (
                    outcome.kind == "answer"
                    and outcome.answer is not None
                    and outcome.answer.is_answered()
                ):
                    a = outcome.answer
                    out.append(
                        Received(
                            hotkey=n.hotkey,
                            uid=n.uid,
                            repo_url=str(a.repo_url),
                            git_commit_hash=str(a.git_commit_hash),
                            pack_hash=str(a.pack_hash),
                        )
                    )
                else:
                    reason = outcome.code or outcome.kind
                    self.metrics.rejections.labels(reason=f"query_{outcome.kind}").inc()
                    log.info(
                        "no_submission",
                        hotkey=n.hotkey,
                        uid=n.uid,
                        outcome=outcome.kind,
                        code=reason,
                    )

            await asyncio.gather(*(ask(n) for n in targets))
        return sorted(out, key=lambda r: r.uid)


class GitVerifier:
    """Adapts the submission verifier (URL policy, bounded fetch, reachability, pack bytes,
    server-side push time) to the loop's ``Verifier``."""

    def __init__(self, verifier: SubmissionVerifier) -> None:
        self.verifier = verifier

    async def verify(self, sub: Received, submitted_at: float) -> Verified:
        r = await self.verifier.verify(sub, submitted_at)
        return Verified(
            ok=r.ok,
            reason=r.reason.value,
            detail=r.detail,
            pack_json=r.pack_json,
            push_time=r.push_time,
            warnings=list(r.warnings),
            validator_side=r.validator_side,
        )
