"""``himalaya``: the email CLI over INBOX / Drafts / Sent (plus Archive and Trash)."""

from __future__ import annotations

from typing import Any

from ._cli import OptSpec, opt_int, opt_str, parse_opts
from ._core import Op, Res, Usage, effect, jdump, snap
from ._state import FOLDERS, State

USAGE = """usage:
  himalaya envelope list [--folder FOLDER] [--page N] [--page-size N] [--output json]
  himalaya message read <ID>...
  himalaya message write|send -H "To: a@b" -H "Subject: s" [-H "Cc: c@d"] [--body TEXT | TEXT]
  himalaya template write|save -H ... [--body TEXT | TEXT]     (saves a draft)
  himalaya draft -H ... [--body TEXT | TEXT]                    (saves a draft)
  himalaya flag add|remove <ID> <FLAG>...
  himalaya message delete <ID>...
  himalaya message move <ID> <FOLDER>
folders: """ + ", ".join(FOLDERS)

_GLOBAL = {"-a": True, "--account": True, "-c": True, "--config": True}
_LIST = OptSpec(
    folder=("-f", "--folder"),
    page=("-p", "--page"),
    page_size=("-s", "--page-size"),
    output=("-o", "--output"),
)
_READ = OptSpec(folder=("-f", "--folder"), flag_raw=("--raw",), flag_preview=("--preview",))
_WRITE = OptSpec(multi_header=("-H", "--header"), body=("-b", "--body"), folder=("-f", "--folder"))
_PLAIN = OptSpec(folder=("-f", "--folder"))
DEFAULT_PAGE_SIZE = 25


def _strip_globals(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in _GLOBAL:
            i += 2
            continue
        out.append(tokens[i])
        i += 1
    return out


def folder_name(state: State, name: str) -> str:
    for f in FOLDERS:
        if f.lower() == name.strip().lower():
            return f
    raise Usage(f"cannot find folder {name!r} (folders: {', '.join(FOLDERS)})", 1)


def find_message(state: State, mid: str) -> tuple[str, int]:
    for folder in FOLDERS:
        for i, msg in enumerate(state.folders[folder]):
            if str(msg["id"]) == mid:
                return folder, i
    raise Usage(f"cannot find message {mid!r}", 1)


def _flags(msg: dict[str, Any]) -> str:
    flags = list(msg.get("flags", []))
    if msg.get("is_urgent"):
        flags.insert(0, "urgent")
    return ",".join(flags)


def _date(msg: dict[str, Any]) -> str:
    return str(msg.get("received_ts") or msg.get("date") or "")


def _cell(value: Any) -> str:
    return str(value).replace("\n", " ").replace("|", "/")


def handle(state: State, tokens: list[str]) -> Res | Op:
    tokens = _strip_globals(tokens)
    if not tokens or tokens[0] in ("-h", "--help", "help"):
        raise Usage(USAGE)
    group, rest = tokens[0], tokens[1:]
    sub = rest[0] if rest else ""
    args = rest[1:]
    if group == "envelope" and sub == "list":
        return _list(state, args)
    if group == "list":  # himalaya 0.x's spelling, which public ClawBench's agents use
        return _list(state, rest)
    if group == "message":
        if sub == "read":
            return _read(state, args)
        if sub in ("write", "send"):
            return _compose(state, args, send=sub == "send")
        if sub == "delete":
            return _delete(state, args)
        if sub == "move":
            return _move(state, args)
    if group == "template" and sub in ("write", "save"):
        return _compose(state, args, send=False)
    if group == "draft":
        return _compose(state, rest, send=False)
    if group == "flag" and sub in ("add", "remove", "set"):
        return _flag(state, args, sub)
    raise Usage(f"unrecognized subcommand: {' '.join(tokens[:2])}\n{USAGE}")


def _list(state: State, args: list[str]) -> Res:
    opts, pos = parse_opts(args, _LIST, USAGE)
    if pos:
        raise Usage(f"unexpected argument: {pos[0]}\n{USAGE}")
    folder = folder_name(state, opt_str(opts, "folder", "INBOX"))
    page = opt_int(opts, "page", 1, USAGE)
    size = opt_int(opts, "page_size", DEFAULT_PAGE_SIZE, USAGE)
    msgs = state.folders[folder]
    order = sorted(range(len(msgs)), key=lambda i: (_date(msgs[i]), -i), reverse=True)
    total = len(order)
    shown = [msgs[i] for i in order[(page - 1) * size : page * size]]
    output = opt_str(opts, "output", "plain")
    if output == "json":
        return Res(
            jdump(
                [
                    {
                        "id": m["id"],
                        "flags": _flags(m).split(",") if _flags(m) else [],
                        "subject": m.get("subject", ""),
                        "from": m.get("sender", ""),
                        "date": _date(m),
                    }
                    for m in shown
                ]
            )
        )
    if output != "plain":
        raise Usage(f"unknown output format {output!r} (plain or json)")
    lines = ["| ID | FLAGS | SUBJECT | FROM | DATE |", "|---|---|---|---|---|"]
    for m in shown:
        lines.append(
            f"| {m['id']} | {_flags(m)} | {_cell(m.get('subject', ''))} "
            f"| {_cell(m.get('sender', ''))} | {_date(m)} |"
        )
    pages = max(1, -(-total // size))
    lines.append(f"{folder}: page {page} of {pages}, {total} message(s)")
    return Res("\n".join(lines))


def render_message(msg: dict[str, Any]) -> str:
    head = [f"From: {msg.get('sender', '')}"]
    for key, label in (("to", "To"), ("cc", "Cc")):
        value = msg.get(key)
        if value:
            head.append(f"{label}: {', '.join(value) if isinstance(value, list) else value}")
    head.append(f"Subject: {msg.get('subject', '')}")
    head.append(f"Date: {_date(msg)}")
    if msg.get("labels"):
        head.append(f"Labels: {', '.join(str(x) for x in msg['labels'])}")
    return "\n".join(head) + "\n\n" + str(msg.get("body", ""))


def _read(state: State, args: list[str]) -> Res:
    _, ids = parse_opts(args, _READ, USAGE)
    if not ids:
        raise Usage(f"message read needs at least one message ID\n{USAGE}")
    parts = []
    for mid in dict.fromkeys(ids):  # an id given twice is shown once
        folder, i = find_message(state, mid)
        parts.append(render_message(state.folders[folder][i]))
    return Res("\n\n----------\n\n".join(parts))


def _compose(state: State, args: list[str], *, send: bool) -> Op:
    opts, pos = parse_opts(args, _WRITE, USAGE)
    headers: dict[str, str] = {}
    raw = opts.get("header", [])
    assert isinstance(raw, list)
    for h in raw:
        name, colon, value = h.partition(":")
        if not colon or not name.strip():
            raise Usage(f'bad header {h!r}: expected "Name: value"\n{USAGE}')
        headers[name.strip().lower()] = value.strip()
    body = opt_str(opts, "body")
    if pos:
        body = (body + "\n" if body else "") + " ".join(pos)
    to = headers.get("to", "")
    subject = headers.get("subject", "")
    if send and not to:
        raise Usage(f'message send needs a recipient: -H "To: name@example.com"\n{USAGE}')
    if not send and not (to or subject or body):
        raise Usage(f"a draft needs at least a recipient, a subject or a body\n{USAGE}")
    kind = "email.send" if send else "email.draft"

    def run() -> Res:
        folder = "Sent" if send else "Drafts"
        mid = state.new_id("sent" if send else "draft")
        msg: dict[str, Any] = {
            "id": mid,
            "sender": state.user_email,
            "to": to,
            "subject": subject,
            "body": body,
            "received_ts": state.stamp(),
            "labels": [],
            "flags": [],
        }
        if headers.get("cc"):
            msg["cc"] = headers["cc"]
        if headers.get("bcc"):
            msg["bcc"] = headers["bcc"]
        state.folders[folder].append(msg)
        data = snap({k: v for k, v in msg.items() if k not in ("labels", "flags")})
        data["folder"] = folder
        fx = effect(kind, to, f"Subject: {subject}\n\n{body}", data)
        verb = "Message sent" if send else "Draft saved"
        return Res(f"{verb} to {folder} (id {mid}).\nTo: {to}\nSubject: {subject}", effects=[fx])

    return Op([kind], run)


def _delete(state: State, args: list[str]) -> Op:
    _, ids = parse_opts(args, _PLAIN, USAGE)
    if not ids:
        raise Usage(f"message delete needs at least one message ID\n{USAGE}")
    for mid in ids:
        find_message(state, mid)
    if len(set(ids)) != len(ids):
        raise Usage("message delete: an ID is given twice", 1)

    def run() -> Res:
        effects = []
        for mid in ids:
            folder, i = find_message(state, mid)
            msg = state.folders[folder].pop(i)
            effects.append(
                effect(
                    "email.delete",
                    mid,
                    f"Subject: {msg.get('subject', '')}",
                    {"id": mid, "folder": folder, "subject": msg.get("subject", "")},
                )
            )
        return Res(f"Message(s) {', '.join(ids)} successfully deleted.", effects=effects)

    return Op(["email.delete"] * len(ids), run)


def _move(state: State, args: list[str]) -> Op:
    _, pos = parse_opts(args, _PLAIN, USAGE)
    if len(pos) < 2:
        raise Usage(f"message move needs a message ID and a target folder\n{USAGE}")
    # Accept both `move <ID> <FOLDER>` and himalaya v1's `move <FOLDER> <ID>...`.
    known = {f.lower() for f in FOLDERS}
    if pos[-1].lower() in known:
        target, ids = pos[-1], pos[:-1]
    else:
        target, ids = pos[0], pos[1:]
    target = folder_name(state, target)
    for mid in ids:
        find_message(state, mid)

    def run() -> Res:
        effects = []
        for mid in ids:
            folder, i = find_message(state, mid)
            msg = state.folders[folder].pop(i)
            state.folders[target].append(msg)
            effects.append(
                effect(
                    "email.move",
                    mid,
                    f"Subject: {msg.get('subject', '')}",
                    {"id": mid, "from_folder": folder, "to_folder": target},
                )
            )
        return Res(f"Message(s) {', '.join(ids)} successfully moved to {target}.", effects=effects)

    return Op(["email.move"] * len(ids), run)


def _flag(state: State, args: list[str], verb: str) -> Op:
    _, pos = parse_opts(args, _PLAIN, USAGE)
    if len(pos) < 2:
        raise Usage(f"flag {verb} needs a message ID and at least one flag\n{USAGE}")
    mid, flags = pos[0], pos[1:]
    find_message(state, mid)
    action = "remove" if verb == "remove" else "add"

    def run() -> Res:
        folder, i = find_message(state, mid)
        msg = state.folders[folder][i]
        current: list[str] = msg.setdefault("flags", [])
        for f in flags:
            if action == "add" and f not in current:
                current.append(f)
            elif action == "remove" and f in current:
                current.remove(f)
        fx = effect(
            "email.flag",
            mid,
            " ".join(flags),
            {"id": mid, "action": action, "flags": list(flags), "now": list(current)},
        )
        done = "added" if action == "add" else "removed"
        return Res(f"Flag(s) {' '.join(flags)} successfully {done} on {mid}.", effects=[fx])

    return Op(["email.flag"], run)
