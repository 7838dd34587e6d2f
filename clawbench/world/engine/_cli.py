"""Command-line parsing for ``exec``: no shell, but shell-like quoting (shlex)."""

from __future__ import annotations

import shlex

from ._core import Usage

_OPERATORS = ("&&", "||", ">>", "2>", "|", ">", "<", ";", "&", "`", "$(", "\n")


def find_operator(command: str) -> str | None:
    """The first shell operator outside quotes, if any (pipes, redirections, chaining)."""
    quote = ""
    i = 0
    n = len(command)
    while i < n:
        ch = command[i]
        if quote == "'":
            if ch == "'":
                quote = ""
        elif ch == "\\":
            i += 2
            continue
        elif quote == '"':
            if ch == '"':
                quote = ""
            elif command.startswith("$(", i) or ch == "`":
                return command[i : i + 2] if ch == "$" else ch
        elif ch in "'\"":
            quote = ch
        else:
            for op in _OPERATORS:
                if command.startswith(op, i):
                    return op
        i += 1
    return None


def split_command(command: str) -> list[str]:
    """shlex-split a command after joining backslash-continued lines; raises Usage."""
    command = command.replace("\\\r\n", " ").replace("\\\n", " ").strip()
    if not command:
        raise Usage("exec: empty command", 2)
    op = find_operator(command)
    if op is not None:
        shown = "newline" if op == "\n" else op
        raise Usage(
            f"exec: shell operator {shown!r} is not supported: this is not a shell. "
            "Run one command per call (no pipes, redirections, chaining or substitution).",
            2,
        )
    try:
        return shlex.split(command)
    except ValueError as exc:
        raise Usage(f"exec: cannot parse command: {exc}", 2) from exc


class OptSpec:
    """Options a subcommand accepts: name -> (key, takes_value, repeatable)."""

    def __init__(self, **opts: tuple[str, ...]) -> None:
        self.names: dict[str, tuple[str, bool, bool]] = {}
        for key, names in opts.items():
            takes = not key.startswith("flag_")
            multi = key.startswith("multi_")
            clean = key.removeprefix("flag_").removeprefix("multi_")
            for name in names:
                self.names[name] = (clean, takes, multi)


def parse_opts(
    tokens: list[str], spec: OptSpec, usage: str
) -> tuple[dict[str, str | list[str] | bool], list[str]]:
    """GNU-style options (``--k v``, ``--k=v``, ``-k v``) and positionals; raises Usage."""
    opts: dict[str, str | list[str] | bool] = {}
    pos: list[str] = []
    i = 0
    only_pos = False
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if only_pos or not tok.startswith("-") or tok == "-" or _is_number(tok):
            pos.append(tok)
            continue
        if tok == "--":
            only_pos = True
            continue
        name, eq, inline = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        if name not in spec.names:
            raise Usage(f"unknown flag: {name}\n{usage}")
        key, takes, multi = spec.names[name]
        if not takes:
            if eq:
                raise Usage(f"flag {name} takes no value\n{usage}")
            opts[key] = True
            continue
        if eq:
            value = inline
        elif i < len(tokens):
            value = tokens[i]
            i += 1
        else:
            raise Usage(f"flag needs an argument: {name}\n{usage}")
        if multi:
            cur = opts.setdefault(key, [])
            assert isinstance(cur, list)
            cur.append(value)
        else:
            opts[key] = value
    return opts, pos


def _is_number(tok: str) -> bool:
    return tok[1:].isdigit()


def opt_str(opts: dict[str, str | list[str] | bool], key: str, default: str = "") -> str:
    value = opts.get(key, default)
    return value if isinstance(value, str) else default


def opt_int(
    opts: dict[str, str | list[str] | bool], key: str, default: int, usage: str, minimum: int = 1
) -> int:
    value = opts.get(key)
    if value is None:
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise Usage(f"invalid number for --{key}: {value!r}\n{usage}") from None
    if number < minimum:
        raise Usage(f"--{key} must be at least {minimum}\n{usage}")
    return number
