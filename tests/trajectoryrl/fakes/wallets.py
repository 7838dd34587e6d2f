"""Real bittensor wallets (unencrypted, in a temp dir) for btauth/1 tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bittensor as bt


def make_wallet(root: Path, name: str) -> Any:
    wallet = bt.Wallet(name=name, hotkey="hk", path=str(root))
    wallet.create_new_coldkey(use_password=False, suppress=True)
    wallet.create_new_hotkey(use_password=False, suppress=True)
    return wallet
