"""The production collaborators of the epoch loop: claims from on-chain commitments (checked
against the miners' live SubmitPack answers), verified with the git/forge checks."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import structlog

from trajectoryrl.chain import Chain, Metagraph
from trajectoryrl.protocol import SubmitPack, decode_claim, query_miner
from trajectoryrl.validator._metrics import Metrics
from trajectoryrl.validator._types import Received, Verified
from trajectoryrl.verify import SubmissionVerifier

log = structlog.get_logger("trajectoryrl.collect")


class MinerQuerier:
    """SubmitPack to every neuron that advertises an endpoint (except ourselves), concurrently.
    A miner that times out, refuses or answers unsigned simply has no answer this epoch. The
    answers are the live channel: ``ChainClaims`` compares them with the commitments, they
    never decide anything (``commit_block`` is -1: not a claim)."""

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
                            commit_block=-1,
                            committed_at=0.0,
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


class ChainClaims:
    """The claims are the hotkeys' commitments on chain (``trl1`` claims, see
    ``trajectoryrl.protocol.encode_claim``), each dated by its block and the chain's timestamp
    of that block: the same facts for every validator, whatever it heard from miners and when.

    Every claim visible on chain is returned (the validator records them all, so a claim a
    miner replaces later is not lost); the validator counts for an epoch only the claims
    committed before its first block. A commitment made before its hotkey's current
    registration belongs to the previous holder of the registration and is left out.

    ``live`` (SubmitPack) is asked too: an answer that disagrees with the hotkey's latest claim
    is counted and logged (``submitpack_disagrees``), never used. A miner that does not answer
    loses nothing: its commitment stands."""

    def __init__(
        self,
        chain: Chain,
        live: Any = None,
        *,
        epoch_blocks: int,
        metrics: Metrics | None = None,
    ) -> None:
        self.chain = chain
        self.live = live
        self.epoch_blocks = epoch_blocks
        self.metrics = metrics or Metrics()

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        neurons = metagraph.by_hotkey()
        uids = {h: n.uid for h, n in neurons.items()}
        out: list[Received] = []
        latest: dict[str, Received] = {}
        for c in await self.chain.commitment_history():
            claim = decode_claim(c.value)
            if claim is None or c.hotkey not in uids or c.committed_at is None:
                continue
            if c.block < neurons[c.hotkey].registered_block:
                continue  # made under an earlier registration of this hotkey
            sub = Received(
                hotkey=c.hotkey,
                uid=uids[c.hotkey],
                repo_url=claim.repo_url,
                git_commit_hash=claim.git_commit_hash,
                pack_hash=claim.pack_hash,
                commit_block=c.block,
                committed_at=c.committed_at,
            )
            out.append(sub)
            latest[c.hotkey] = sub
        if self.live is not None:
            try:
                answers = await self.live.collect(metagraph, epoch)
            except Exception as err:  # the live channel is advisory: never fail the epoch on it
                log.warning("live_channel_failed", error=type(err).__name__)
                answers = []
            for a in answers:
                mine = latest.get(a.hotkey)
                if mine is None or (a.pack_hash, a.git_commit_hash) != (
                    mine.pack_hash,
                    mine.git_commit_hash,
                ):
                    self.metrics.rejections.labels(reason="submitpack_disagrees").inc()
                    log.info("submitpack_disagrees", hotkey=a.hotkey, committed=mine is not None)
        return out


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
