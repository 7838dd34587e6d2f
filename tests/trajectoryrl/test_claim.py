"""The on-chain claim: compact, within the pallet's Raw fields, one meaning per value."""

from __future__ import annotations

import pytest

from trajectoryrl.protocol import MAX_CLAIM_BYTES, PackClaim, decode_claim, encode_claim

CLAIM = PackClaim(
    repo_url="https://github.com/some-owner/some-pack",
    git_commit_hash="0a" * 20,
    pack_hash="f1" * 32,
)


def test_a_github_claim_round_trips_in_one_raw_field() -> None:
    value = encode_claim(CLAIM)
    assert value.startswith("trl1") and value.endswith("gh:some-owner/some-pack")
    assert len(value.encode()) <= 128
    assert decode_claim(value) == CLAIM
    dotgit = CLAIM.model_copy(update={"repo_url": CLAIM.repo_url + ".git"})
    assert decode_claim(encode_claim(dotgit)) == CLAIM  # the same repository, one spelling


def test_local_urls_stay_whole_and_too_long_is_refused() -> None:
    local = CLAIM.model_copy(update={"repo_url": "file:///tmp/forge/pack.git"})
    assert decode_claim(encode_claim(local)) == local
    huge = CLAIM.model_copy(update={"repo_url": "file:///" + "x" * MAX_CLAIM_BYTES})
    with pytest.raises(ValueError, match="Raw fields"):
        encode_claim(huge)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "pack:abc",
        "trl1",
        "trl1" + "A" * 70,  # no repository
        "trl1" + "!" * 70 + "gh:a/b",  # not base64url
        encode_claim(CLAIM)[:40] + encode_claim(CLAIM)[41:],  # truncated hash
        "trl2" + encode_claim(CLAIM)[4:],  # another version
    ],
)
def test_anything_else_on_chain_is_not_a_claim(value: str) -> None:
    assert decode_claim(value) is None
