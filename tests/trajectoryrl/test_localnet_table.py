"""The localnet's per-epoch table at the widths people run it in: nothing is cut, and reason
codes are never split across lines."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from trajectoryrl.localnet import EpochReport, EpochRow, print_epoch


def _report() -> EpochReport:
    rows = [
        EpochRow(
            miner="strong",
            uid=2,
            pack="b133b552" * 8,
            verification="ok",
            success=1.0,
            final=1.0,
            qualified=True,
            decision="first",
            weight=1.0,
        ),
        EpochRow(
            miner="weak",
            uid=3,
            pack="a15943d6" * 8,
            verification="ok",
            success=0.0,
            final=0.0,
            qualified=False,
            decision="not_qualified",
        ),
        EpochRow(miner="badhash", uid=5, pack="b133b552" * 8, verification="pack_hash_mismatch"),
    ]
    return EpochReport(epoch=2, status="weights_set", winner="strong", rows=rows)


@pytest.mark.parametrize("width", [80, 100, 140])
def test_reason_codes_stay_whole(width: int) -> None:
    buf = io.StringIO()
    print_epoch(Console(file=buf, width=width, force_terminal=False), _report())
    text = buf.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    for code in ("not_qualified", "pack_hash_mismatch", "weights_set", "badhash"):
        assert code in text, (code, text)
