"""Validator state in SQLite (WAL): versioned schema, tested migrations, atomic epoch steps."""

from trajectoryrl.store._schema import MIGRATIONS, SCHEMA_VERSION
from trajectoryrl.store._store import Store, StoreError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Store", "StoreError"]
