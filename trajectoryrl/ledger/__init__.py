"""The validator's LLM spend: provider prices, a ledger row per model call, a budget guard."""

from trajectoryrl.ledger._ledger import (
    BudgetExceeded,
    BudgetGuard,
    EpochSpend,
    Ledger,
    LedgerError,
    PackSpend,
    Provider,
    load_providers,
)

__all__ = [
    "BudgetExceeded",
    "BudgetGuard",
    "EpochSpend",
    "Ledger",
    "LedgerError",
    "PackSpend",
    "Provider",
    "load_providers",
]
