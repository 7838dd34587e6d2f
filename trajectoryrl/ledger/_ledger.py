"""Provider registry, usage ledger and budget guard for the validator's LLM spend."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trajectoryrl.store import Store


class LedgerError(Exception):
    code = "ledger_error"


class BudgetExceeded(Exception):
    """The daily or monthly cap would be passed: evaluation stops, packs carry over, and no
    weights are set from an epoch that could not evaluate its packs."""

    code = "budget_exceeded"

    def __init__(self, scope: str, spent: float, cap: float, needed: float) -> None:
        super().__init__(
            f"{scope} budget: spent ${spent:.4f} of ${cap:.4f}; next episode needs ~${needed:.4f}"
        )
        self.scope, self.spent, self.cap, self.needed = scope, spent, cap, needed


class Provider(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    model: str
    base_url: str | None = None
    input_usd_per_mtok: float = Field(ge=0)
    output_usd_per_mtok: float = Field(ge=0)
    context_limit: int = Field(gt=0)
    api_key_env: str = "OPENAI_API_KEY"  # the variable's name; the key itself is never stored

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input_usd_per_mtok + tokens_out * self.output_usd_per_mtok) / 1e6


class _ProvidersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    providers: list[Provider]


def load_providers(path: str | Path) -> dict[str, Provider]:
    p = Path(path)
    try:
        parsed = _ProvidersFile.model_validate(yaml.safe_load(p.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as err:
        raise LedgerError(f"{p}: unreadable providers file: {err}") from None
    except ValidationError as err:
        raise LedgerError(f"{p}: invalid providers file: {err}") from None
    out: dict[str, Provider] = {}
    for prov in parsed.providers:
        if prov.name in out:
            raise LedgerError(f"{p}: provider {prov.name!r} is defined twice")
        out[prov.name] = prov
    return out


class Ledger:
    """One row per model call. ``clock`` returns unix seconds (injectable for tests)."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def record(
        self,
        provider: Provider,
        *,
        tokens_in: int,
        tokens_out: int,
        latency_ms: int,
        status: Literal["ok", "error"],
        episode: str,
        hotkey: str,
        epoch: int,
        tokens_estimated: bool = False,
    ) -> float:
        """One model call. ``tokens_estimated``: the provider sent no usage and the counts
        are the harness's estimate (the row is flagged; the cost still counts)."""
        now = self.clock()
        dt = datetime.fromtimestamp(now, tz=UTC)
        cost = provider.cost(tokens_in, tokens_out)
        with self.store.transaction() as c:
            c.execute(
                "INSERT INTO ledger (ts, day, month, provider, model, tokens_in, tokens_out, cost_usd, "
                "latency_ms, status, episode, hotkey, epoch, tokens_estimated) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    now,
                    dt.strftime("%Y-%m-%d"),
                    dt.strftime("%Y-%m"),
                    provider.name,
                    provider.model,
                    tokens_in,
                    tokens_out,
                    cost,
                    latency_ms,
                    status,
                    episode,
                    hotkey,
                    epoch,
                    int(tokens_estimated),
                ),
            )
        return cost

    def spent(self, scope: Literal["day", "month"], at: float | None = None) -> float:
        dt = datetime.fromtimestamp(self.clock() if at is None else at, tz=UTC)
        key = dt.strftime("%Y-%m-%d") if scope == "day" else dt.strftime("%Y-%m")
        rows = self.store.query(
            f"SELECT COALESCE(SUM(cost_usd), 0) FROM ledger WHERE {scope} = ?", (key,)
        )
        return float(rows[0][0])

    def totals(
        self, by: Literal["day", "month", "model", "hotkey", "epoch"]
    ) -> list[dict[str, Any]]:
        rows = self.store.query(
            f"SELECT {by} AS k, COUNT(*) AS calls, COUNT(DISTINCT episode) AS episodes, "
            "SUM(tokens_in) AS tokens_in, SUM(tokens_out) AS tokens_out, SUM(cost_usd) AS cost, "
            "SUM(tokens_estimated) AS estimated_calls "
            f"FROM ledger GROUP BY {by} ORDER BY {by}"
        )
        return [dict(r) for r in rows]

    def epoch_spend(self, epoch: int) -> EpochSpend:
        """Spend per miner in ``epoch`` and the spend elimination saved: a stopped pack's
        episodes not run, priced at the epoch's mean cost per paid episode."""
        rows = self.store.query(
            "SELECT hotkey, COUNT(*) AS calls, COUNT(DISTINCT episode) AS episodes, "
            "SUM(tokens_in) AS tin, SUM(tokens_out) AS tout, SUM(cost_usd) AS cost "
            "FROM ledger WHERE epoch = ? GROUP BY hotkey ORDER BY hotkey",
            (epoch,),
        )
        paid = {r["hotkey"]: r for r in rows}
        total = sum(float(r["cost"]) for r in rows)
        n_eps = sum(int(r["episodes"]) for r in rows)
        per_episode = total / n_eps if n_eps else 0.0
        stopped: dict[str, tuple[str, int]] = {}
        for row in self.store.query(
            "SELECT hotkey, parts_json FROM pack_scores WHERE epoch = ?", (epoch,)
        ):
            elim = json.loads(row["parts_json"]).get("eliminated")
            if elim:
                left = int(elim["of"]) - int(elim["after"])
                was = stopped.get(row["hotkey"], ("", 0))
                stopped[row["hotkey"]] = (f"after {elim['after']}/{elim['of']}", was[1] + left)
        packs = []
        for hotkey in sorted(set(paid) | set(stopped)):
            r = paid.get(hotkey)
            label, left = stopped.get(hotkey, ("", 0))
            packs.append(
                PackSpend(
                    hotkey=hotkey,
                    calls=int(r["calls"]) if r else 0,
                    episodes=int(r["episodes"]) if r else 0,
                    tokens_in=int(r["tin"] or 0) if r else 0,
                    tokens_out=int(r["tout"] or 0) if r else 0,
                    cost_usd=float(r["cost"] or 0.0) if r else 0.0,
                    eliminated=label,
                    saved_usd=left * per_episode,
                )
            )
        return EpochSpend(
            epoch=epoch,
            packs=packs,
            cost_usd=total,
            saved_usd=sum(p.saved_usd for p in packs),
            cost_per_episode_usd=per_episode,
        )

    def cost_per_episode(self) -> float:
        rows = self.store.query(
            "SELECT COALESCE(SUM(cost_usd), 0) AS c, COUNT(DISTINCT episode) AS n FROM ledger"
        )
        n = int(rows[0]["n"])
        return float(rows[0]["c"]) / n if n else 0.0


class PackSpend(BaseModel):
    """One miner's priced model spend in one epoch, and what stopping it early saved."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hotkey: str
    calls: int
    episodes: int  # paid episodes (cached ones cost nothing and are not here)
    tokens_in: int
    tokens_out: int
    cost_usd: float
    eliminated: str = ""  # "after k/n" when the pack was stopped early
    saved_usd: float = 0.0  # estimate: episodes not run x this epoch's cost per paid episode


class EpochSpend(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    epoch: int
    packs: list[PackSpend]
    cost_usd: float
    saved_usd: float  # an estimate (see PackSpend.saved_usd); a full run measures it exactly
    cost_per_episode_usd: float


class BudgetGuard:
    """Checked before each episode. The estimate of the next episode's cost is the running
    mean cost per episode (or ``default_episode_usd`` before any spend is known). Episodes in
    flight hold a reservation of their estimate, so concurrent episodes cannot all pass the
    check on the same remaining budget."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        daily_usd: float | None = None,
        monthly_usd: float | None = None,
        default_episode_usd: float = 0.05,
    ) -> None:
        self.ledger = ledger
        self.daily_usd = daily_usd
        self.monthly_usd = monthly_usd
        self.default_episode_usd = default_episode_usd
        self._lock = threading.Lock()
        self._reserved = 0.0

    def estimate(self) -> float:
        return self.ledger.cost_per_episode() or self.default_episode_usd

    def check(self) -> None:
        """Raise BudgetExceeded if one more episode would pass a cap."""
        self._check(self.estimate())

    def _check(self, needed: float) -> None:
        for scope, cap in (("day", self.daily_usd), ("month", self.monthly_usd)):
            if cap is None:
                continue
            spent = self.ledger.spent(scope) + self._reserved  # type: ignore[arg-type]
            if spent + needed > cap:
                raise BudgetExceeded("daily" if scope == "day" else "monthly", spent, cap, needed)

    def reserve(self) -> float:
        """Check and hold the next episode's estimate; give it back with ``release`` once the
        episode's real spend is in the ledger."""
        with self._lock:
            needed = self.estimate()
            self._check(needed)
            self._reserved += needed
            return needed

    def release(self, amount: float) -> None:
        with self._lock:
            self._reserved = max(0.0, self._reserved - amount)

    def remaining(self) -> dict[str, float | None]:
        return {
            "daily": None if self.daily_usd is None else self.daily_usd - self.ledger.spent("day"),
            "monthly": None
            if self.monthly_usd is None
            else self.monthly_usd - self.ledger.spent("month"),
        }
