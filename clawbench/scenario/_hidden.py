"""Hidden checks, host side: what the sandbox is asked to run (no expected value in it) and
what the scorer expects back. Both are pure functions of the instance, so the run and the
score agree on every validator."""

from __future__ import annotations

import ast
import hashlib
from typing import Any

from clawbench.scenario._instance import ScenarioInstance
from clawbench.scenario._model import FilesUnchanged, HiddenUnittest, HiddenValues

HIDDEN_TYPES = ("hidden_values", "hidden_unittest", "files_unchanged")


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r.rstrip("/") or path.startswith(r.rstrip("/") + "/") for r in roots)


def restored_files(instance: ScenarioInstance) -> dict[str, str]:
    """The scenario's own files under the real workspace's ``restore`` paths."""
    rw = instance.spec.real_workspace
    roots = list(rw.restore) if rw is not None else []
    return {p: t for p, t in sorted(instance.real_workspace.items()) if _under(p, roots)}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canary(instance: ScenarioInstance, check_id: str) -> dict[str, Any]:
    """Names and nonce of the must-fail tests the runner adds (fixed per instance and check,
    never in the scenario's files)."""
    h = hashlib.sha256(f"{instance.content_hash}|{instance.seed}|{check_id}".encode()).hexdigest()
    return {
        "canary_class": f"Canary{h[:10]}",
        "canary_methods": [f"test_assert_{h[10:18]}", f"test_raise_{h[18:26]}"],
        "canary_nonce": int(h[26:38], 16),
    }


def canary_ids(instance: ScenarioInstance, check_id: str) -> list[str]:
    c = canary(instance, check_id)
    return [f"clawbench_canary.{c['canary_class']}.{m}" for m in c["canary_methods"]]


def hidden_request(instance: ScenarioInstance, check: Any) -> dict[str, Any]:
    """The sandbox request for one hidden check (``HiddenRequest`` fields)."""
    rw = instance.spec.real_workspace
    roots = list(rw.restore) if rw is not None else []
    if isinstance(check, FilesUnchanged):
        return {"kind": "manifest", "spec": {"paths": list(check.paths)}, "timeout_s": 30.0}
    common = {"restore_roots": roots, "restore": restored_files(instance)}
    if isinstance(check, HiddenValues):
        spec = {"function": check.function, "cases": [c.args for c in check.cases]}
        return {"kind": "values", "spec": spec, "timeout_s": check.timeout_s, **common}
    if isinstance(check, HiddenUnittest):
        spec = {"start_dir": check.start_dir, **canary(instance, check.id)}
        return {"kind": "unittest", "spec": spec, "timeout_s": check.timeout_s, **common}
    raise TypeError(f"not a hidden check: {type(check).__name__}")


def expected_tests(instance: ScenarioInstance, start_dir: str) -> list[str]:
    """``module.Class.method`` of every test the scenario's own files under ``start_dir``
    define (``test*.py`` modules; TestCase-like classes; ``test*`` methods), as unittest's
    discovery names them."""
    prefix = start_dir.strip("/") + "/"
    ids: list[str] = []
    for path, text in sorted(instance.real_workspace.items()):
        name = path.rsplit("/", 1)[-1]
        if not path.startswith(prefix) or not name.startswith("test") or not name.endswith(".py"):
            continue
        module = path[len(prefix) : -3].replace("/", ".")
        for node in ast.parse(text).body:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                        ids.append(f"{module}.{node.name}.{item.name}")
    return ids
