"""Ledger totals and the budget guard's arithmetic, with an injected clock."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from trajectoryrl.ledger import (
    BudgetExceeded,
    BudgetGuard,
    Ledger,
    LedgerError,
    Provider,
    load_providers,
)
from trajectoryrl.store import Store

DAY = 86_400.0
T0 = 1_790_000_000.0  # a fixed instant; tests never read the wall clock

PROV = Provider(
    name="p", model="m", input_usd_per_mtok=2.0, output_usd_per_mtok=8.0, context_limit=128_000
)


def _spend(
    ledger: Ledger,
    episode: str,
    *,
    tokens_in: int,
    tokens_out: int = 0,
    latency_ms: int = 1,
    status: Literal["ok", "error"] = "ok",
    hotkey: str = "h",
    epoch: int = 1,
) -> float:
    return ledger.record(
        PROV,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        latency_ms=latency_ms,
        status=status,
        episode=episode,
        hotkey=hotkey,
        epoch=epoch,
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def test_costs_and_totals(tmp_path: Path) -> None:
    clock = Clock()
    ledger = Ledger(Store(tmp_path / "s.db"), clock=clock)
    cost = _spend(
        ledger, "e1", tokens_in=1_000_000, tokens_out=500_000, latency_ms=900, hotkey="h1"
    )
    assert cost == pytest.approx(2.0 + 4.0)
    _spend(ledger, "e1", tokens_in=1000, latency_ms=5, status="error", hotkey="h1")
    clock.now += DAY
    _spend(ledger, "e2", tokens_in=500_000, latency_ms=5, hotkey="h2", epoch=2)
    by_miner = {r["k"]: r for r in ledger.totals("hotkey")}
    assert by_miner["h1"]["calls"] == 2 and by_miner["h1"]["cost"] == pytest.approx(6.002)
    assert len(ledger.totals("day")) == 2 and len(ledger.totals("month")) == 1
    assert ledger.cost_per_episode() == pytest.approx((6.002 + 1.0) / 2)
    assert ledger.spent("day") == pytest.approx(1.0)


def test_budget_guard_stops_before_the_cap(tmp_path: Path) -> None:
    clock = Clock()
    ledger = Ledger(Store(tmp_path / "s.db"), clock=clock)
    guard = BudgetGuard(ledger, daily_usd=0.25, default_episode_usd=0.1)
    guard.check()  # nothing spent, first episode estimated at 0.10
    _spend(ledger, "e1", tokens_in=50_000)  # $0.10
    guard.check()  # 0.10 spent + 0.10 estimate <= 0.25
    _spend(ledger, "e2", tokens_in=50_000)
    with pytest.raises(BudgetExceeded) as err:
        guard.check()  # 0.20 + 0.10 > 0.25
    assert err.value.scope == "daily"
    clock.now += DAY  # a new day: the daily cap resets
    guard.check()
    monthly = BudgetGuard(ledger, monthly_usd=0.25)
    with pytest.raises(BudgetExceeded, match="monthly"):
        monthly.check()


def test_providers_file_is_strict(tmp_path: Path) -> None:
    f = tmp_path / "providers.yaml"
    f.write_text(
        "providers:\n  - {name: a, model: gpt-x, input_usd_per_mtok: 1, output_usd_per_mtok: 2, context_limit: 1000, api_key_env: A_KEY}\n"
    )
    assert load_providers(f)["a"].api_key_env == "A_KEY"
    f.write_text(
        "providers:\n  - {name: a, model: m, input_usd_per_mtok: 1, output_usd_per_mtok: 2, context_limit: 1, prise: 3}\n"
    )
    with pytest.raises(LedgerError, match="prise"):
        load_providers(f)


def test_estimated_token_counts_are_flagged(tmp_path: Path) -> None:
    ledger = Ledger(Store(tmp_path / "s.db"), clock=Clock())
    _spend(ledger, "e1", tokens_in=1000)
    ledger.record(
        PROV,
        tokens_in=400,
        tokens_out=100,
        latency_ms=1,
        status="ok",
        episode="e1",
        hotkey="h",
        epoch=1,
        tokens_estimated=True,
    )
    (row,) = ledger.totals("epoch")
    assert row["calls"] == 2 and row["estimated_calls"] == 1  # priced all the same
    flags = [r[0] for r in ledger.store.query("SELECT tokens_estimated FROM ledger ORDER BY id")]
    assert flags == [0, 1]


def test_ledger_rows_from_before_the_flag_migrate_as_reported(tmp_path: Path) -> None:
    from trajectoryrl.store import MIGRATIONS

    db = tmp_path / "s.db"
    old = Store(db, migrations=MIGRATIONS[:3])
    old_ledger = Ledger(old, clock=Clock())
    with old.transaction() as c:  # a v3 row, written as v3 wrote them
        c.execute(
            "INSERT INTO ledger (ts, day, month, provider, model, tokens_in, tokens_out, "
            "cost_usd, latency_ms, status, episode, hotkey, epoch) "
            "VALUES (1, '2026-01-01', '2026-01', 'p', 'm', 10, 5, 0.1, 1, 'ok', 'e', 'h', 1)"
        )
    assert old_ledger.store.schema_version == 3
    old.close()
    new = Store(db)
    assert new.schema_version == len(MIGRATIONS)
    (row,) = new.query("SELECT tokens_in, tokens_estimated FROM ledger")
    assert (row[0], row[1]) == (10, 0)
