"""A miner's own loop: `trajectoryrl localnet --pack DIR` as a process. The pack joins as
miner 'yours' (hotkey created and registered on the local chain), is published, committed,
verified, scored and ranked next to the reference miners, with its own HTML report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_localnet_evaluates_a_miners_own_pack(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    env.pop("TRAJECTORYRL_MODEL", None)
    pack = tmp_path / "mypack"
    bin_dir = Path(sys.executable).parent
    init = subprocess.run(
        [str(bin_dir / "clawbench"), "pack", "init", str(pack)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    digest = subprocess.run(
        [str(bin_dir / "clawbench"), "pack", "hash", str(pack)],
        capture_output=True, text=True, env=env, check=True,
    ).stdout.strip()  # fmt: skip
    out = subprocess.run(
        [str(bin_dir / "trajectoryrl"), "localnet", "--pack", str(pack), "--epochs", "1",
         "--dir", str(tmp_path / "net"), "--suite-dir", str(ROOT / "scenarios")],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    row = next(ln for ln in out.stdout.splitlines() if ln.startswith("yours "))
    cells = row.split()
    assert cells[2] == digest[:8] and cells[3] == "ok"  # its real hash, verified
    assert "below_threshold" in row  # same score as the earlier 'strong': the first mover keeps it
    assert (tmp_path / "net" / "reports" / "epoch1-mypack.html").is_file()
    assert (
        max(len(ln) for ln in out.stdout.splitlines() if ln.startswith(("yours", "strong"))) <= 100
    )


def test_localnet_refuses_an_invalid_pack_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pack.yaml").write_text("schema_version: 1\nmetadata: [\n", encoding="utf-8")
    out = subprocess.run(
        [str(Path(sys.executable).parent / "trajectoryrl"), "localnet", "--pack", str(bad),
         "--dir", str(tmp_path / "net")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "invalid YAML at line" in out.stderr and not (tmp_path / "net").exists()
