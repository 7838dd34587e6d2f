"""In-memory miners for validator tests: each hotkey serves one pack, and every submission
verifies (the git and forge checks have tests of their own)."""

from __future__ import annotations

from clawbench.pack import PolicyBundle, canonical_json, pack_hash
from trajectoryrl.chain import Metagraph
from trajectoryrl.validator import Received, Verified

PRE_GENESIS = 10**6  # claims of the fakes are committed this many blocks before block 0


class PackMiners:
    """Both the submission source and the verifier. ``push_times`` maps hotkey -> server-side
    push time; by default a miner's push time is its UID (registered earlier, pushed earlier)."""

    def __init__(
        self, packs: dict[str, PolicyBundle], push_times: dict[str, float] | None = None
    ) -> None:
        self.packs = packs
        self.push_times = push_times or {}

    async def collect(self, metagraph: Metagraph, epoch: int) -> list[Received]:
        uids = {n.hotkey: n.uid for n in metagraph.neurons}
        return [
            Received(
                hotkey=h,
                uid=uids[h],
                repo_url="file:///x",
                git_commit_hash="a" * 40,
                pack_hash=pack_hash(p),
                # committed before the test's first epoch, in push-time order
                commit_block=int(self.push_times.get(h, float(uids[h]))) - PRE_GENESIS,
                committed_at=self.push_times.get(h, float(uids[h])),
            )
            for h, p in sorted(self.packs.items())
        ]

    async def verify(self, sub: Received, submitted_at: float) -> Verified:
        return Verified(
            ok=True,
            reason="ok",
            pack_json=canonical_json(self.packs[sub.hotkey]),
            push_time=self.push_times.get(sub.hotkey, float(sub.uid)),
        )
