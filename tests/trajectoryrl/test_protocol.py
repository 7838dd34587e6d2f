"""SubmitPack: one type both ways; btauth/1 request and answer signatures."""

from __future__ import annotations

import pytest
from bittensor import http_auth
from fakes.wallets import make_wallet
from pydantic import ValidationError

from trajectoryrl.protocol import (
    AuthRefused,
    SubmitPack,
    hotkey_of,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)

COMMIT = "a" * 40
PHASH = "b" * 64


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("wallets")
    return {n: make_wallet(root, n).hotkey for n in ("validator", "miner", "other")}


def test_one_type_carries_request_and_answer() -> None:
    req = SubmitPack(validator_hotkey="5V", epoch=3)
    assert not req.is_answered()
    ans = req.answered(git_commit_hash=COMMIT, repo_url="https://github.com/o/r", pack_hash=PHASH)
    # the answer round-trips through the wire into the SAME class, with every field intact
    back = SubmitPack.from_body(ans.to_body())
    assert back == ans and back.is_answered() and back.request_part() == req
    assert b"git_commit_hash" not in req.to_body()


@pytest.mark.parametrize(
    "field,value",
    [
        ("git_commit_hash", "A" * 40),
        ("git_commit_hash", "a" * 39),
        ("pack_hash", "g" * 64),
        ("pack_hash", "a" * 65),
        ("epoch", -1),
        ("extra", "x"),
    ],
)
def test_invalid_fields_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        SubmitPack.model_validate({"validator_hotkey": "5V", "epoch": 1, field: value})


def test_oversized_body_refused() -> None:
    with pytest.raises(ValueError):
        SubmitPack.from_body(b" " * 20_000)


def test_request_signature_round_trip_and_replay(keys) -> None:
    v, m = keys["validator"], keys["miner"]
    body = SubmitPack(validator_hotkey=hotkey_of(v), epoch=1).to_body()
    headers = sign_request(v, body, miner_hotkey=hotkey_of(m))
    store = http_auth.InMemoryNonceStore()
    caller = verify_request(headers, body, own_hotkey=hotkey_of(m), nonce_store=store)
    assert caller.hotkey_ss58 == hotkey_of(v)
    with pytest.raises(AuthRefused) as err:
        verify_request(headers, body, own_hotkey=hotkey_of(m), nonce_store=store)
    assert err.value.code == "replayed_request"
    with pytest.raises(AuthRefused) as err:
        verify_request(
            headers,
            body + b" ",
            own_hotkey=hotkey_of(m),
            nonce_store=http_auth.InMemoryNonceStore(),
        )
    assert err.value.code == "bad_signature"
    with pytest.raises(AuthRefused) as err:
        verify_request(
            headers,
            body,
            own_hotkey=hotkey_of(keys["other"]),
            nonce_store=http_auth.InMemoryNonceStore(),
        )
    assert err.value.code == "wrong_receiver"
    with pytest.raises(AuthRefused) as err:
        verify_request({}, body, own_hotkey=hotkey_of(m), nonce_store=store)
    assert err.value.code == "malformed_auth"


def test_answer_is_bound_to_request_nonce_and_miner(keys) -> None:
    v, m, o = keys["validator"], keys["miner"], keys["other"]
    body = b'{"validator_hotkey":"x","epoch":1}'
    headers = sign_response(m, body, validator_hotkey=hotkey_of(v), request_nonce=42)
    store = http_auth.InMemoryNonceStore()
    verify_response(
        headers,
        body,
        own_hotkey=hotkey_of(v),
        miner_hotkey=hotkey_of(m),
        request_nonce=42,
        nonce_store=store,
    )
    with pytest.raises(AuthRefused) as err:  # an old answer replayed to a later request
        verify_response(
            headers,
            body,
            own_hotkey=hotkey_of(v),
            miner_hotkey=hotkey_of(m),
            request_nonce=43,
            nonce_store=http_auth.InMemoryNonceStore(),
        )
    assert err.value.code == "bad_signature"
    forged = sign_response(o, body, validator_hotkey=hotkey_of(v), request_nonce=42)
    with pytest.raises(AuthRefused) as err:
        verify_response(
            forged,
            body,
            own_hotkey=hotkey_of(v),
            miner_hotkey=hotkey_of(m),
            request_nonce=42,
            nonce_store=http_auth.InMemoryNonceStore(),
        )
    assert err.value.code == "wrong_sender"
