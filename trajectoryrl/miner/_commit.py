"""Committing a claim on chain: the submission itself.

A claim (repo_url, commit, pack_hash) is signed by the miner's hotkey into the Commitments
pallet; its block is the submission time every validator uses. Order matters: **push first,
then commit** (validators refuse a claim whose commit was not public before the commitment's
block). Re-committing the claim already on chain is skipped: it would only move the hotkey's
latest commitment to a later block.
"""

from __future__ import annotations

from pathlib import Path

import git
from pydantic import BaseModel, ConfigDict

from trajectoryrl.chain import Chain, ChainError
from trajectoryrl.miner._publish import HOTKEY_FILE, PublishError, published_claim
from trajectoryrl.protocol import PackClaim, decode_claim, encode_claim


class CommitResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: PackClaim
    value: str
    committed: bool  # False: the same claim was already this hotkey's commitment
    block: int | None = None


def pushed_claim(
    repo_dir: str | Path,
    repo_url: str,
    *,
    remote: str = "origin",
    branch: str = "main",
    hotkey: str | None = None,
) -> PackClaim:
    """The claim for HEAD of ``repo_dir``, refused (``not_pushed``) unless ``remote``'s
    ``branch`` already points at that commit: commit on chain only what is public. With
    ``hotkey``, HEAD's ``MINER_HOTKEY`` must name it (``not_bound``), as validators require."""
    commit, digest = published_claim(repo_dir)
    try:
        repo = git.Repo(repo_dir)
        if hotkey is not None:
            try:
                named = (repo.head.commit.tree / HOTKEY_FILE).data_stream.read()
            except KeyError:
                named = b""
            if named.decode("utf-8", "replace").strip() != hotkey:
                raise PublishError(
                    "not_bound",
                    f"HEAD's {HOTKEY_FILE} does not name {hotkey}: publish with --hotkey",
                )
        heads = str(repo.git.ls_remote(remote, f"refs/heads/{branch}")).split()
    except git.GitCommandError as err:
        raise PublishError("not_pushed", f"cannot read {remote!r}: git {err.status!r}") from None
    if not heads or heads[0] != commit:
        remote_at = heads[0][:12] if heads else "nothing"
        raise PublishError(
            "not_pushed",
            f"{remote}/{branch} is at {remote_at}, HEAD is {commit[:12]}: push before committing",
        )
    return PackClaim(repo_url=repo_url, git_commit_hash=commit, pack_hash=digest)


async def commit_claim(chain: Chain, wallet: object, hotkey: str, claim: PackClaim) -> CommitResult:
    """Commit ``claim`` for ``hotkey`` (signed by ``wallet``) unless it is already committed."""
    value = encode_claim(claim)
    current = (await chain.commitments()).get(hotkey)
    if current is not None and decode_claim(current.value) == decode_claim(value):
        return CommitResult(claim=claim, value=value, committed=False, block=current.block)
    await chain.commit(wallet, value)
    after = (await chain.commitments()).get(hotkey)
    if after is None or decode_claim(after.value) != decode_claim(value):
        raise ChainError("the commitment is not visible on chain after committing", "rejected")
    return CommitResult(claim=claim, value=value, committed=True, block=after.block)
