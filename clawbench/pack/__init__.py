"""Policy packs (PolicyBundles): the unit miners submit and the harness evaluates.

A pack is ``files`` (AGENTS.md required, plus SOUL.md, TOOLS.md, ...), a ``tool_policy``,
``stop_rules``, ``approval_gates`` and ``metadata``. Its identity is ``pack_hash``: the sha256
of ``json.dumps(pack, sort_keys=True)`` (the live subnet's convention).
"""

from clawbench.pack._io import (
    MAX_PACK_NESTING,
    DuplicateKeyError,
    canonical_json,
    load_pack,
    loads_pack_json,
    nesting_exceeds,
    pack_from_json_bytes,
    pack_hash,
    validate_pack_data,
    write_pack_json,
)
from clawbench.pack._model import (
    DEFAULT_MAX_PACK_BYTES,
    SCHEMA_VERSION,
    SYSTEM_PROMPT_FILE_ORDER,
    ApprovalGate,
    PackMetadata,
    PolicyBundle,
    StopRules,
    ToolPolicy,
)

__all__ = [
    "MAX_PACK_NESTING",
    "DEFAULT_MAX_PACK_BYTES",
    "SCHEMA_VERSION",
    "SYSTEM_PROMPT_FILE_ORDER",
    "ApprovalGate",
    "PackMetadata",
    "PolicyBundle",
    "DuplicateKeyError",
    "StopRules",
    "ToolPolicy",
    "canonical_json",
    "load_pack",
    "loads_pack_json",
    "nesting_exceeds",
    "pack_from_json_bytes",
    "pack_hash",
    "validate_pack_data",
    "write_pack_json",
]
