"""Canonical JSON, hashing and loading of packs (a directory or a single pack.json)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from clawbench.errors import PackError, yaml_problem
from clawbench.pack._model import DEFAULT_MAX_PACK_BYTES, PolicyBundle

# JSON nesting a pack may have; checked before schema validation, on untrusted data.
MAX_PACK_NESTING = 32


def canonical_json(pack: PolicyBundle | dict[str, Any]) -> str:
    """``json.dumps(pack, sort_keys=True)``: default separators and ASCII escaping, exactly as
    the live subnet hashes packs, so a hash computed by any client agrees with ours.

    A dict is hashed as given (a published pack.json object is hashed as published); a model is
    dumped with every field and without nulls, which is also the form ``write_pack_json``
    publishes, so the two agree."""
    data = (
        pack.model_dump(mode="json", exclude_none=True) if isinstance(pack, PolicyBundle) else pack
    )
    return json.dumps(data, sort_keys=True)


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice: readers disagree on which value counts
    (``json.loads`` keeps the last, a human reading the file sees the first)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKeyError(f"key {key!r} appears twice in one object")
        out[key] = value
    return out


def loads_pack_json(text: str, **kw: Any) -> Any:
    """``json.loads`` for untrusted pack JSON, refusing duplicate keys (DuplicateKeyError),
    so what a reader of pack.json sees is what is hashed and evaluated."""
    return json.loads(text, object_pairs_hook=_no_duplicates, **kw)


def pack_hash(pack: PolicyBundle | dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(pack).encode("utf-8")).hexdigest()


def nesting_exceeds(value: Any, limit: int = MAX_PACK_NESTING) -> bool:
    """True when parsed JSON nests deeper than ``limit`` levels (iterative: no recursion on
    untrusted input, and it stops at the first branch that is too deep)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _format_validation(err: ValidationError, source: str) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "<root>"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        parts.append(f"{loc}: {msg}")
    return f"{source}: invalid pack: " + "; ".join(parts)


def validate_pack_data(
    data: Any, *, source: str = "pack", max_bytes: int = DEFAULT_MAX_PACK_BYTES
) -> PolicyBundle:
    """Validate already-parsed pack data: shape, schema, and the canonical size limit."""
    if not isinstance(data, dict):
        raise PackError(f"{source}: a pack is a JSON object", code="pack_schema")
    if nesting_exceeds(data):
        raise PackError(
            f"{source}: nested deeper than {MAX_PACK_NESTING} levels", code="pack_schema"
        )
    try:
        pack = PolicyBundle.model_validate(data)
    except ValidationError as err:
        raise PackError(_format_validation(err, source), code="pack_schema") from None
    size = len(canonical_json(pack).encode("utf-8"))
    if size > max_bytes:
        raise PackError(
            f"{source}: canonical pack is {size} bytes; the limit is {max_bytes}",
            code="pack_too_large",
        )
    return pack


def pack_from_json_bytes(
    raw: bytes, *, source: str = "pack.json", max_bytes: int = DEFAULT_MAX_PACK_BYTES
) -> PolicyBundle:
    """Parse untrusted pack.json bytes (from a miner's repository) with bounded work."""
    if len(raw) > 4 * max_bytes:
        raise PackError(
            f"{source}: pack.json is {len(raw)} bytes; the limit is {max_bytes}",
            code="pack_too_large",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PackError(
            f"{source}: not UTF-8 ({err.reason} at byte {err.start})", code="pack_encoding"
        ) from None
    try:
        data = loads_pack_json(text)
    except RecursionError:
        raise PackError(f"{source}: JSON nested too deeply", code="pack_schema") from None
    except DuplicateKeyError as err:
        raise PackError(f"{source}: {err}", code="pack_duplicate_key") from None
    except json.JSONDecodeError as err:
        raise PackError(
            f"{source}: not JSON ({err.msg} at line {err.lineno})", code="pack_json"
        ) from None
    return validate_pack_data(data, source=source, max_bytes=max_bytes)


def load_pack(path: str | Path, *, max_bytes: int = DEFAULT_MAX_PACK_BYTES) -> PolicyBundle:
    """Load a pack from a pack.json file, or from a directory holding the pack's files plus a
    ``pack.yaml`` / ``pack.json`` with the other fields (``files`` there is optional; every
    other regular file in the directory, except the manifest, is a pack file)."""
    p = Path(path)
    if p.is_file():
        return pack_from_json_bytes(p.read_bytes(), source=str(p), max_bytes=max_bytes)
    if not p.is_dir():
        raise PackError(f"{p}: no such pack file or directory", code="pack_not_found")
    manifest: dict[str, Any] = {}
    manifest_path = None
    for name in ("pack.yaml", "pack.yml", "pack.json"):
        if (p / name).is_file():
            manifest_path = p / name
            break
    if manifest_path is None:
        raise PackError(
            f"{p}: a pack directory needs pack.yaml or pack.json", code="pack_not_found"
        )
    try:
        loaded = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise PackError(
            f"{manifest_path}: invalid YAML at {yaml_problem(err)}", code="pack_schema"
        ) from None
    except UnicodeDecodeError as err:
        raise PackError(f"{manifest_path}: not UTF-8 ({err.reason})", code="pack_schema") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise PackError(f"{manifest_path}: must be a mapping", code="pack_schema")
    manifest = dict(loaded or {})
    files: dict[str, str] = dict(manifest.pop("files", {}) or {})
    for f in sorted(p.iterdir()):
        if f.name == manifest_path.name or f.name.startswith("."):
            continue
        if f.is_dir():
            # A pack is flat: a subfolder's files would not be in it, and ignoring them quietly
            # would publish a different pack than the author sees.
            raise PackError(
                f"{f}: a pack directory is flat (every file next to {manifest_path.name} is a "
                "pack file); move this folder's files up, or out of the pack, or name it .hidden",
                code="pack_schema",
            )
        if not f.is_file():
            continue
        if f.is_symlink():
            raise PackError(f"{f}: pack files may not be symlinks", code="pack_schema")
        try:
            files[f.name] = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise PackError(f"{f}: not UTF-8 text", code="pack_encoding") from None
    manifest["files"] = files
    return validate_pack_data(manifest, source=str(p), max_bytes=max_bytes)


def write_pack_json(pack: PolicyBundle, path: str | Path) -> str:
    """Write the canonical pack.json; returns its pack_hash."""
    Path(path).write_text(canonical_json(pack), encoding="utf-8")
    return pack_hash(pack)
