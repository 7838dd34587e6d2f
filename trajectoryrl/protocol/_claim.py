"""A miner's on-chain claim: the compact commitment a hotkey signs in the Commitments pallet.

    trl1 <pack_hash: 43 base64url chars> <commit: 27 base64url chars> <repo>

without the spaces; ``<repo>`` is ``gh:<owner>/<name>`` for ``https://github.com/<owner>/<name>``
(a ``.git`` suffix dropped), else the URL itself (local networks). Only this canonical spelling
decodes (no base64 look-alikes). A GitHub claim is 80-220
bytes; the value is written as Raw fields of at most 128 bytes each (``MAX_CLAIM_BYTES`` in
all). Hashes are lowercase hex once decoded, so a claim decodes to exactly one
(repo_url, commit, pack_hash). Anything else on chain is not a claim (``decode_claim`` -> None).
"""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import BaseModel, ConfigDict, Field

CLAIM_PREFIX = "trl1"
RAW_FIELD_BYTES = 128
MAX_CLAIM_FIELDS = 3
MAX_CLAIM_BYTES = RAW_FIELD_BYTES * MAX_CLAIM_FIELDS
_GITHUB = re.compile(r"^https://github\.com/([^/\s]+)/([^/\s]+?)(?:\.git)?$")


class PackClaim(BaseModel):
    """What a hotkey claims: the pack (its hash) published at this commit of this repo."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repo_url: str = Field(min_length=1)
    git_commit_hash: str = Field(pattern=r"^[0-9a-f]{40}$")
    pack_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


def _b64(hexstr: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hexstr)).decode("ascii").rstrip("=")


def _unb64(text: str, size: int) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == size else None


def encode_claim(claim: PackClaim) -> str:
    """The commitment text; ValueError when it would not fit the pallet's fields."""
    m = _GITHUB.match(claim.repo_url)
    repo = f"gh:{m.group(1)}/{m.group(2)}" if m else claim.repo_url
    text = CLAIM_PREFIX + _b64(claim.pack_hash) + _b64(claim.git_commit_hash) + repo
    size = len(text.encode("utf-8"))
    if size > MAX_CLAIM_BYTES:
        raise ValueError(
            f"claim: {size} bytes exceeds {MAX_CLAIM_BYTES} ({MAX_CLAIM_FIELDS} Raw fields of"
            f" {RAW_FIELD_BYTES}); use a shorter repository URL"
        )
    return text


def decode_claim(value: str) -> PackClaim | None:
    """A commitment's text -> the claim, or None when it is not a well-formed claim."""
    if not isinstance(value, str) or not value.startswith(CLAIM_PREFIX):
        return None
    body = value[len(CLAIM_PREFIX) :]
    pack, commit, repo = _unb64(body[:43], 32), _unb64(body[43:70], 20), body[70:]
    if pack is None or commit is None or not repo:
        return None
    if repo.startswith("gh:"):
        repo = "https://github.com/" + repo[3:]
    try:
        claim = PackClaim(repo_url=repo, git_commit_hash=commit, pack_hash=pack)
        canonical = encode_claim(claim)
    except ValueError:
        return None
    # Only the canonical spelling is a claim: one value per claim, no look-alike encodings.
    return claim if canonical == value else None
