"""`clawbench pack ...`: init makes a valid pack, build writes the canonical pack.json, and hash
agrees with the live subnet's rule computed independently here."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from clawbench.cli import EXIT_OK, EXIT_USAGE, main

HAND_WRITTEN = """{
  "schema_version": 1,
  "files": {"AGENTS.md": "# Policy\\nDraft, never send. <b>&amp;</b>\\n", "SOUL.md": "Calm. \\u00e9"},
  "tool_policy": {"allow": [], "deny": ["web_fetch"]},
  "approval_gates": [{"effect": "email.send"}],
  "metadata": {"pack_name": "hand", "pack_version": "1.0.0"}
}"""


def _independent_hash(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode("utf-8")).hexdigest()


def _run(argv: list[str]) -> tuple[int, str]:
    console = Console(record=True, width=200, file=io.StringIO())
    code = main(argv, console=console)
    return code, console.export_text()


def test_hash_of_a_pack_json_is_the_published_rule(tmp_path: Path) -> None:
    p = tmp_path / "pack.json"
    p.write_text(HAND_WRITTEN, encoding="utf-8")
    code, out = _run(["pack", "hash", str(p)])
    assert code == EXIT_OK
    assert out.strip() == _independent_hash(json.loads(HAND_WRITTEN))


def test_init_build_hash_round_trip(tmp_path: Path) -> None:
    d = tmp_path / "my pack"
    code, out = _run(["pack", "init", str(d)])
    assert code == EXIT_OK, out
    assert {f.name for f in d.iterdir()} == {"AGENTS.md", "SOUL.md", "pack.yaml"}
    out_json = tmp_path / "built.json"
    code, out = _run(["pack", "build", str(d), "-o", str(out_json)])
    assert code == EXIT_OK, out
    obj = json.loads(out_json.read_text(encoding="utf-8"))
    assert obj["metadata"]["pack_name"] == "my-pack"
    assert set(obj["files"]) == {"AGENTS.md", "SOUL.md"}
    expected = _independent_hash(obj)
    assert f"pack_hash {expected}" in out
    # The directory hashes as its canonical build; the built file hashes as published.
    assert _run(["pack", "hash", str(d)])[1].strip() == expected
    assert _run(["pack", "hash", str(out_json)])[1].strip() == expected
    code, out = _run(["pack", "validate", str(out_json)])
    assert code == EXIT_OK and "OK" in out and "my-pack 0.1.0" in out


def test_init_refuses_a_non_empty_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "AGENTS.md").write_text("mine", encoding="utf-8")
    code, _ = _run(["pack", "init", str(tmp_path / "x")])
    assert code == EXIT_USAGE
    assert "not an empty directory" in capsys.readouterr().err
    assert (tmp_path / "x" / "AGENTS.md").read_text(encoding="utf-8") == "mine"


def test_build_refuses_to_write_into_the_pack_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "p"
    assert _run(["pack", "init", str(d)])[0] == EXIT_OK
    code, _ = _run(["pack", "build", str(d), "-o", str(d / "pack.json")])
    assert code == EXIT_USAGE
    assert "inside the pack directory" in capsys.readouterr().err
    assert not (d / "pack.json").exists()


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda o: o["files"].pop("AGENTS.md"), "files: files must contain AGENTS.md"),
        (lambda o: o.update(surprise=1), "surprise: unknown key"),
        (lambda o: o["metadata"].update(pack_version="1.0"), "metadata.pack_version"),
        (lambda o: o["files"].update({"../etc/passwd": "x"}), "plain name"),
        (lambda o: o["files"].update({"BIG.md": "x" * 100_001}), "the limit is 100000"),
    ],
)
def test_validate_and_hash_name_the_file_and_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate: object, needle: str
) -> None:
    obj = json.loads(HAND_WRITTEN)
    mutate(obj)  # type: ignore[operator]
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(obj), encoding="utf-8")
    for sub in ("validate", "hash"):
        code, _ = _run(["pack", sub, str(p)])
        err = capsys.readouterr().err
        assert code == EXIT_USAGE
        assert str(p) in err and needle in err
        assert "Traceback" not in err


def test_unreadable_json_and_missing_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "broken.json"
    p.write_text("{not json", encoding="utf-8")
    assert _run(["pack", "validate", str(p)])[0] == EXIT_USAGE
    err = capsys.readouterr().err
    assert str(p) in err and "not JSON" in err
    assert _run(["pack", "hash", str(tmp_path / "nope")])[0] == EXIT_USAGE
    assert "no such pack" in capsys.readouterr().err


def test_usage_errors_exit_2_and_help_documents_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["pack"]) == EXIT_USAGE
    assert main(["--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "exit codes:" in out and "3  evaluator failure" in out
