"""btauth/1 both ways: the validator signs the request, the miner signs its answer.

The answer is signed over the path ``/SubmitPack?response_to=<request nonce>``, which binds it
to the one request it answers (an old answer replayed to a later request does not verify) and
keeps answers and requests in separate signature domains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bittensor import http_auth
from bittensor.signing import resolve_signer

from trajectoryrl.protocol._message import SUBMIT_PACK_PATH

# Refusal codes for authentication failures (also the HTTP error bodies' "error" values).
_AUTH_CODES: dict[type[Exception], str] = {
    http_auth.MalformedAuth: "malformed_auth",
    http_auth.WrongReceiver: "wrong_receiver",
    http_auth.StaleRequest: "stale_request",
    http_auth.ReplayedRequest: "replayed_request",
    http_auth.BadSignature: "bad_signature",
}


class AuthRefused(Exception):
    """Authentication failed; ``code`` is one of malformed_auth, wrong_receiver,
    stale_request, replayed_request, bad_signature, wrong_sender."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def hotkey_of(signer: Any) -> str:
    """The ss58 hotkey address of a Wallet, Keypair or Signer."""
    return str(resolve_signer(signer, role="hotkey").ss58_address)


def response_path(request_nonce: int) -> str:
    return f"{SUBMIT_PACK_PATH}?response_to={int(request_nonce)}"


def _verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    path: str,
    receiver: str,
    nonce_store: http_auth.NonceStore,
    max_age: float,
    now_ns: int | None,
) -> http_auth.Caller:
    try:
        return http_auth.verify(
            headers,
            body,
            method="POST",
            path=path,
            self_hotkey_ss58=receiver,
            nonce_store=nonce_store,
            max_age=max_age,
            now_ns=now_ns,
        )
    except http_auth.AuthError as err:
        code = next((c for t, c in _AUTH_CODES.items() if isinstance(err, t)), "malformed_auth")
        raise AuthRefused(code, str(err)) from None


def sign_request(
    signer: Any, body: bytes, *, miner_hotkey: str, nonce_ns: int | None = None
) -> dict[str, str]:
    """Headers for a SubmitPack request from this validator to ``miner_hotkey``."""
    return http_auth.sign(
        signer,
        method="POST",
        path=SUBMIT_PACK_PATH,
        body=body,
        receiver_ss58=miner_hotkey,
        nonce_ns=nonce_ns,
    )


def verify_request(
    headers: Mapping[str, str],
    body: bytes,
    *,
    own_hotkey: str,
    nonce_store: http_auth.NonceStore,
    max_age: float = http_auth.DEFAULT_MAX_AGE,
    now_ns: int | None = None,
) -> http_auth.Caller:
    """The authenticated caller of a request to this miner, or ``AuthRefused``."""
    return _verify(
        headers,
        body,
        path=SUBMIT_PACK_PATH,
        receiver=own_hotkey,
        nonce_store=nonce_store,
        max_age=max_age,
        now_ns=now_ns,
    )


def sign_response(
    signer: Any, body: bytes, *, validator_hotkey: str, request_nonce: int
) -> dict[str, str]:
    """Headers for the miner's answer to the request carrying ``request_nonce``."""
    return http_auth.sign(
        signer,
        method="POST",
        path=response_path(request_nonce),
        body=body,
        receiver_ss58=validator_hotkey,
    )


def verify_response(
    headers: Mapping[str, str],
    body: bytes,
    *,
    own_hotkey: str,
    miner_hotkey: str,
    request_nonce: int,
    nonce_store: http_auth.NonceStore,
    max_age: float = http_auth.DEFAULT_MAX_AGE,
    now_ns: int | None = None,
) -> http_auth.Caller:
    """Check that ``miner_hotkey`` signed this answer to our request (``AuthRefused`` if
    not; ``wrong_sender`` when another hotkey signed it)."""
    caller = _verify(
        headers,
        body,
        path=response_path(request_nonce),
        receiver=own_hotkey,
        nonce_store=nonce_store,
        max_age=max_age,
        now_ns=now_ns,
    )
    if caller.hotkey_ss58 != miner_hotkey:
        raise AuthRefused("wrong_sender", "the answer was signed by another hotkey")
    return caller
