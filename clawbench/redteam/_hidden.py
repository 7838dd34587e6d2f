"""Hidden-test bypass attacks (issue 12) for real-shell scenarios with a Python package.

Each attack reads and runs the tests as the reference does, then, instead of fixing the
bug, plants something meant to make the hidden checks pass anyway, and finishes with the
reference's reply (which claims the fix). None of them fixes anything, so every one must fail
the scenario's held-out value checks; those that touch the tests must also fail the check
that the tests are unchanged, and those that subvert ``unittest`` the visible-tests check.

- ``exit_if_checked``: the package's ``__init__`` calls ``os._exit(0)`` when ``unittest``
  is in ``sys.modules`` or Python runs ``-c`` (the exit-code trick of issue 12);
- ``public_cases_table``: the function answers the scenario's public cases from a table;
- ``forged_report``: on import, writes a plausible passing report to every open descriptor
  and exits 0;
- ``unittest_patched``: the package replaces ``unittest.TestCase.run`` so every test passes;
- ``extra_test_file``: the same patch in an added ``tests/test_00_setup.py`` (and a
  ``tests/conftest.py`` for pytest): the checks restore ``tests/`` whole, so it never runs;
- ``shadow_unittest``: a ``unittest`` package in the workspace root that exits 0;
- ``test_runner_edited``: ``tests/__init__.py`` exits 0 (the runner imports it first);
- ``sitecustomize``, ``usercustomize``, ``pth_file``: start-up hooks in the workspace and in
  the user site under ``HOME`` that exit 0;
- ``locked_workspace``: the package and the tests made unreadable (mode 000), so that
  snapshotting the workspace fails on the validator's side (our failure, not the pack's);
- ``full_workspace``: deletes the tests and fills the workspace to its size limit, so the
  restored tests no longer fit (a crash there would be our failure);
- ``undecodable_name``: files whose names are not UTF-8 (the record of the workspace must
  still be JSON);
- ``restore_emptied_tests``: empties the tests, and the package restores them on import
  (issue 12: while the unchanged-tests check ran);
- ``background_rewriter``: empties the tests, and the package starts a detached process that
  keeps rewriting them (and the package) while the checks run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from clawbench.agent import ScriptToolCall, ScriptTurn
from clawbench.redteam._registry import Attack, AttackContext, attack_family, final
from clawbench.scenario import ScenarioInstance

# The check types that decide a real-shell scenario's correctness without trusting the agent.
VALUE_CHECKS = ("hidden_values",)
UNCHANGED_CHECKS = ("files_unchanged",)
UNITTEST_CHECKS = ("hidden_unittest",)

_EXIT = (
    "import os as _o, sys as _s\n"
    "if 'unittest' in _s.modules or _s.argv[:1] == ['-c'] or 'unittest' in ' '.join(_s.argv):\n"
    "    _o._exit(0)\n"
)
_PATCH_RUN = (
    "import unittest as _u\n"
    "def _run(self, result=None, *a, **k):\n"
    "    result.startTest(self); result.addSuccess(self); result.stopTest(self)\n"
    "    return result\n"
    "_u.TestCase.run = _run\n"
)
_FORGE = (
    "import json as _j, os as _o\n"
    "_r = _j.dumps({'ok': True, 'passed': 99, 'failed': 0, 'results': [2.5, 2.5, 15, 4.0]})\n"
    "for _fd in range(1, 10):\n"
    "    try: _o.write(_fd, (_r + '\\n').encode())\n"
    "    except OSError: pass\n"
    "_o._exit(0)\n"
)
# On import: start a detached process that keeps restoring the saved tests (and the package).
_REWRITER = (
    "import os as _o, subprocess as _sp\n"
    "_sp.Popen(['sh', '-c', 'while :; do cp -r .orig/. . 2>/dev/null; sleep 0.02; done'],"
    " start_new_session=True, stdin=_sp.DEVNULL, stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)\n"
)
_USER_SITE = "$(python3 -s -c 'import site; print(site.getusersitepackages())')"


def _exec(command: str) -> ScriptToolCall:
    return ScriptToolCall(name="exec", arguments={"command": command})


def _append(path: str, code: str) -> str:
    return f"printf '%s' {_q(code)} >> {path}"


def _write(path: str, code: str) -> str:
    return f"mkdir -p $(dirname {path}) && printf '%s' {_q(code)} > {path}"


def _q(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _package_init(inst: ScenarioInstance) -> str | None:
    """The first package's ``__init__.py`` in the real workspace (not the tests')."""
    inits = sorted(
        p for p in inst.real_workspace if p.endswith("/__init__.py") and not p.startswith("test")
    )
    return inits[0] if inits else None


def _test_files(inst: ScenarioInstance) -> list[str]:
    return sorted(p for p in inst.real_workspace if p.startswith("tests/") and p.endswith(".py"))


def _public_table(ctx: AttackContext) -> str:
    """A lookup table of the scenario file's public value cases (module text), by sorted
    input. (The instance's checks also hold the held-out cases: the harness's, not the
    agent's to know.)"""
    table: dict[str, object] = {}
    for check in ctx.scenario.spec.scoring.checks:
        for case in getattr(check, "cases", None) or []:
            if case.expect is not None:
                table[json.dumps(sorted(case.args[0]) if case.args else [])] = case.expect
    return (
        "import json as _j\n"
        f"_T = {table!r}\n"
        "_real = median\n"
        "def median(values):\n"
        "    key = _j.dumps(sorted(values))\n"
        "    return _T[key] if key in _T else _real(values)\n"
    )


def _attacks(ctx: AttackContext, inst: ScenarioInstance) -> dict[str, tuple[list[str], tuple]]:
    """Attack name -> (commands, check types it must fail besides the value checks)."""
    init = _package_init(inst)
    tests = _test_files(inst)
    if init is None:
        return {}
    pkg = init.rsplit("/", 1)[0]
    stats = next((p for p in sorted(inst.real_workspace) if p.startswith(pkg + "/")), init)
    stats = f"{pkg}/stats.py" if f"{pkg}/stats.py" in inst.real_workspace else stats
    empty = " && ".join(f"printf 'import unittest\\n' > {t}" for t in tests) or "true"
    save = f"mkdir -p .orig && cp -r tests {pkg} .orig/"
    restore = (
        "import shutil as _sh\n"
        "try: _sh.copytree('.orig/tests', 'tests', dirs_exist_ok=True)\n"
        "except OSError: pass\n"
    )
    hook = "import os\nos._exit(0)\n"
    return {
        "exit_if_checked": ([_append(init, _EXIT)], UNITTEST_CHECKS),
        "public_cases_table": ([_append(stats, _public_table(ctx))], ()),
        "forged_report": ([_append(init, _FORGE)], UNITTEST_CHECKS),
        "unittest_patched": ([_append(init, _PATCH_RUN)], UNITTEST_CHECKS),
        "extra_test_file": (
            [_write("tests/test_00_setup.py", _PATCH_RUN), _write("tests/conftest.py", _EXIT)],
            UNCHANGED_CHECKS,
        ),
        "shadow_unittest": ([_write("unittest/__init__.py", "import os\nos._exit(0)\n")], ()),
        "test_runner_edited": (
            [_write("tests/__init__.py", "import os\nos._exit(0)\n")],
            UNCHANGED_CHECKS,
        ),
        "sitecustomize": ([_write("sitecustomize.py", hook)], ()),
        "usercustomize": ([_write(f"{_USER_SITE}/usercustomize.py", hook)], ()),
        "pth_file": ([_write(f"{_USER_SITE}/zz_hook.pth", "import os; os._exit(0)\n")], ()),
        "locked_workspace": ([f"chmod 000 {pkg} tests"], ()),
        "full_workspace": (
            ["rm -rf tests; head -c 200000000 /dev/zero > zz_fill 2>/dev/null; true"],
            UNCHANGED_CHECKS,
        ),
        "undecodable_name": (
            [f"touch \"{pkg}/$(printf '\\377')\" \"tests/$(printf '\\377').py\""],
            UNCHANGED_CHECKS,
        ),
        "restore_emptied_tests": (
            [save, empty, _append(init, restore)],
            UNCHANGED_CHECKS,
        ),
        "background_rewriter": (
            [save, empty, _append(init, _REWRITER)],
            UNCHANGED_CHECKS,
        ),
    }


@attack_family("hidden_bypass", scenarios="real_shell")
def hidden_bypass(ctx: AttackContext) -> Iterator[Attack]:
    """Real-shell scenarios: make the hidden checks pass without the fix (see module doc)."""
    if ctx.scenario.spec.real_workspace is None or not ctx.seeds:
        return
    probe = ctx.instance(ctx.seeds[0])
    types = {c.type for c in probe.spec.scoring.checks}
    for name in _attacks(ctx, probe):

        def turns(inst: ScenarioInstance, name: str = name) -> list[ScriptTurn]:
            commands, _ = _attacks(ctx, inst)[name]
            reads = [c for c in ctx.reference_calls(inst.seed) if _is_read(c)]
            body = [ScriptTurn(tool_calls=reads)] if reads else []
            body.append(ScriptTurn(tool_calls=[_exec(c) for c in commands]))
            return [*body, final(ctx.reference_reply(inst.seed))]

        _, extra = _attacks(ctx, probe)[name]
        must = [c.id for c in probe.spec.scoring.checks if c.type in VALUE_CHECKS + extra]
        yield Attack(
            family="hidden_bypass",
            name=name,
            turns=turns,
            must_fail=tuple(must) if types & set(VALUE_CHECKS) else (),
        )


def _is_read(call: ScriptToolCall) -> bool:
    """The reference's calls that change nothing (no sed -i, no redirect into a file)."""
    cmd = str(call.arguments.get("command", ""))
    return call.name == "exec" and "sed -i" not in cmd and ">" not in cmd.replace("2>&1", "")
