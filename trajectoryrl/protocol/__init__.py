"""SubmitPack over HTTP with btauth/1 both ways (bittensor v11 has no Axon/Dendrite).

The validator POSTs a signed ``SubmitPack`` (request fields only) to the miner's
``/SubmitPack``; the miner checks the signature, answers the same type with the answer fields
filled in, and signs its answer bound to the request's nonce; ``query_miner`` checks which
miner answered and returns a typed ``QueryOutcome`` instead of raising.

The submission itself is the on-chain claim (``PackClaim``, ``encode_claim``/``decode_claim``):
SubmitPack is the live channel and must agree with it.
"""

from trajectoryrl.protocol._auth import (
    AuthRefused,
    hotkey_of,
    response_path,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)
from trajectoryrl.protocol._claim import (
    CLAIM_PREFIX,
    MAX_CLAIM_BYTES,
    RAW_FIELD_BYTES,
    PackClaim,
    decode_claim,
    encode_claim,
)
from trajectoryrl.protocol._client import QueryOutcome, query_miner
from trajectoryrl.protocol._message import MAX_MESSAGE_BYTES, SUBMIT_PACK_PATH, SubmitPack

__all__ = [
    "CLAIM_PREFIX",
    "MAX_CLAIM_BYTES",
    "RAW_FIELD_BYTES",
    "PackClaim",
    "decode_claim",
    "encode_claim",
    "MAX_MESSAGE_BYTES",
    "SUBMIT_PACK_PATH",
    "AuthRefused",
    "QueryOutcome",
    "SubmitPack",
    "hotkey_of",
    "query_miner",
    "response_path",
    "sign_request",
    "sign_response",
    "verify_request",
    "verify_response",
]
