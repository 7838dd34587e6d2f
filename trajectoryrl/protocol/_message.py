"""The SubmitPack message: one type for the request and the answer.

The public validator once used two classes (request, response) and lost every response field,
because the client rebuilt the reply into the class it *sent*. Here the validator sends a
``SubmitPack`` with only the request fields; the miner answers with the same type, the request
fields echoed and the optional answer fields filled in.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SUBMIT_PACK_PATH = "/SubmitPack"
MAX_MESSAGE_BYTES = 16_384  # a SubmitPack is a few hundred bytes; anything larger is hostile


class SubmitPack(BaseModel):
    """Request fields: ``validator_hotkey``, ``epoch``. Answer fields (optional, the miner's
    claim, unverified): ``git_commit_hash`` (40 lowercase hex), ``repo_url``, ``pack_hash``
    (64 lowercase hex). Authentication is in the btauth/1 headers, not in the body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    validator_hotkey: str = Field(min_length=1, max_length=64)
    epoch: int = Field(ge=0)
    git_commit_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    repo_url: str | None = Field(default=None, min_length=1, max_length=512)
    pack_hash: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    def is_answered(self) -> bool:
        """All three answer fields are present."""
        return None not in (self.git_commit_hash, self.repo_url, self.pack_hash)

    def answered(self, *, git_commit_hash: str, repo_url: str, pack_hash: str) -> SubmitPack:
        """This request with the answer fields filled in (validated)."""
        data = self.model_dump()
        data.update(git_commit_hash=git_commit_hash, repo_url=repo_url, pack_hash=pack_hash)
        return SubmitPack.model_validate(data)

    def request_part(self) -> SubmitPack:
        """Only the request fields (what a validator sends)."""
        return SubmitPack(validator_hotkey=self.validator_hotkey, epoch=self.epoch)

    def to_body(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode("utf-8")

    @classmethod
    def from_body(cls, body: bytes) -> SubmitPack:
        """Parse a received body (raises ``ValueError`` / ``pydantic.ValidationError``)."""
        if len(body) > MAX_MESSAGE_BYTES:
            raise ValueError(f"message is {len(body)} bytes; the limit is {MAX_MESSAGE_BYTES}")
        return cls.model_validate_json(body)
