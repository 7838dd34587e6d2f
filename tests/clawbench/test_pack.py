"""The pack format: a hand-written pack validates and hashes by the documented rule; each kind
of bad pack is rejected with a message that points at the field."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from clawbench.errors import PackError
from clawbench.pack import (
    PolicyBundle,
    load_pack,
    pack_from_json_bytes,
    pack_hash,
    write_pack_json,
)

HAND_WRITTEN = """{
  "schema_version": 1,
  "files": {"AGENTS.md": "# Policy\\nRead before you act. Draft, never send.\\n",
            "SOUL.md": "Calm, precise, brief. \\u00e9"},
  "tool_policy": {"allow": ["exec", "slack"], "deny": ["web_fetch"]},
  "stop_rules": {"max_tool_calls": 12, "max_turns": 8, "stop_on_repeated_call": 3},
  "approval_gates": [{"effect": "email.send"}, {"tool": "web_search"}],
  "metadata": {"pack_name": "careful-assistant", "pack_version": "1.2.0-rc.1", "target_suite": "clawbench"}
}"""


def _independent_hash(raw: str) -> str:
    # The live subnet's rule, computed here without our code: sha256(json.dumps(obj, sort_keys=True)).
    return hashlib.sha256(json.dumps(json.loads(raw), sort_keys=True).encode("utf-8")).hexdigest()


def test_hand_written_pack_validates_and_hashes_by_the_canonical_rule() -> None:
    pack = pack_from_json_bytes(HAND_WRITTEN.encode())
    assert pack.metadata.pack_name == "careful-assistant"
    assert pack.tool_policy.permits("exec") and not pack.tool_policy.permits("web_fetch")
    assert not pack.tool_policy.permits("memory_get")  # not in a non-empty allow list
    assert pack_hash(pack) == _independent_hash(HAND_WRITTEN)


def test_system_prompt_file_order_is_documented_order_then_name() -> None:
    pack = PolicyBundle(
        files={"zeta.md": "z", "TOOLS.md": "t", "AGENTS.md": "a", "SOUL.md": "s", "alpha.md": "x"},
        metadata={"pack_name": "p", "pack_version": "1.0.0"},
    )
    assert [n for n, _ in pack.system_prompt_files()] == [
        "AGENTS.md",
        "SOUL.md",
        "TOOLS.md",
        "alpha.md",
        "zeta.md",
    ]


def test_directory_pack_round_trips_to_the_same_hash(tmp_path: Path) -> None:
    d = tmp_path / "pack"
    d.mkdir()
    (d / "AGENTS.md").write_text("# Policy\nRead first.\n")
    (d / "SOUL.md").write_text("Be brief.")
    (d / "pack.yaml").write_text(
        "tool_policy: {deny: [web_fetch]}\nmetadata: {pack_name: dir-pack, pack_version: 0.1.0}\n"
    )
    pack = load_pack(d)
    assert set(pack.files) == {"AGENTS.md", "SOUL.md"}
    out = tmp_path / "pack.json"
    h = write_pack_json(pack, out)
    assert h == _independent_hash(out.read_text()) == pack_hash(load_pack(out))


def _bad(mutate) -> bytes:  # type: ignore[no-untyped-def]
    data = json.loads(HAND_WRITTEN)
    mutate(data)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("mutate", "code", "fragment"),
    [
        (
            lambda d: d["files"].pop("AGENTS.md"),
            "pack_schema",
            "files: files must contain AGENTS.md",
        ),
        (lambda d: d.update(extra_field=1), "pack_schema", "extra_field: unknown key"),
        (
            lambda d: d["stop_rules"].update(max_tool_call=3),
            "pack_schema",
            "stop_rules.max_tool_call: unknown key",
        ),
        (
            lambda d: d["metadata"].update(pack_version="1.2"),
            "pack_schema",
            "metadata.pack_version",
        ),
        (lambda d: d["files"].update({"../etc/passwd": "x"}), "pack_schema", "plain name"),
        (lambda d: d["files"].update({"sub/AGENTS.md": "x"}), "pack_schema", "plain name"),
        (lambda d: d["files"].update({".hidden": "x"}), "pack_schema", "plain name"),
        (lambda d: d["approval_gates"].append({}), "pack_schema", "approval_gates.2"),
        (lambda d: d.update(schema_version=2), "pack_schema", "schema_version"),
        (
            lambda d: d["files"].update({"BIG.md": "x" * 100_001}),
            "pack_too_large",
            "limit is 100000",
        ),
    ],
)
def test_bad_packs_are_rejected_with_a_precise_message(mutate, code: str, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PackError) as err:
        pack_from_json_bytes(_bad(mutate))
    assert err.value.code == code
    assert fragment in str(err.value)


def test_size_limit_is_configurable() -> None:
    raw = HAND_WRITTEN.encode()
    pack_from_json_bytes(raw, max_bytes=2_000)
    with pytest.raises(PackError, match="limit is 100"):
        pack_from_json_bytes(raw, max_bytes=100)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\xff\xfe not utf8", "pack_encoding"),
        (b"{not json", "pack_json"),
        (b"[1, 2]", "pack_schema"),
        (b'{"files": {"AGENTS.md": "a"}, "files": {"AGENTS.md": "b"}}', "pack_duplicate_key"),
        (b'{"files": {"AGENTS.md": "a", "AGENTS.md": "b"}}', "pack_duplicate_key"),
        (b"[" * 5000 + b"]" * 5000, "pack_schema"),
    ],
)
def test_malformed_bytes_get_reason_codes(raw: bytes, code: str) -> None:
    with pytest.raises(PackError) as err:
        pack_from_json_bytes(raw)
    assert err.value.code == code


def test_directory_pack_refuses_symlinks(tmp_path: Path) -> None:
    d = tmp_path / "pack"
    d.mkdir()
    (d / "AGENTS.md").write_text("x")
    (d / "pack.yaml").write_text("metadata: {pack_name: p, pack_version: 1.0.0}\n")
    (d / "SOUL.md").symlink_to("/etc/hostname")
    with pytest.raises(PackError, match="symlink"):
        load_pack(d)
