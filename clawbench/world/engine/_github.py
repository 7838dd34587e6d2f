"""``gh``: issues and pull requests of the scenario's one repository."""

from __future__ import annotations

from typing import Any

from ._cli import OptSpec, opt_int, opt_str, parse_opts
from ._core import Op, Res, Usage, effect, jdump, snap
from ._state import State

USAGE = """usage:
  gh issue list [--state open|closed|all] [--label L] [--limit N] [--json FIELDS]
  gh issue view N [--json FIELDS]
  gh issue create --title T --body B [--label L]...
  gh issue comment N --body B
  gh issue close N [--comment B]
  gh pr list [--state open|closed|merged|all] [--limit N] [--json FIELDS]
  gh pr view N [--json FIELDS]
  gh pr diff N
  gh pr comment N --body B
  gh pr merge N [--merge|--squash|--rebase] [--delete-branch]
  gh pr close N [--comment B]
(-R/--repo OWNER/NAME is accepted for the scenario's repository)"""

_REPO = {"repo": ("-R", "--repo")}
_LIST = OptSpec(
    **_REPO,
    state=("-s", "--state"),
    multi_label=("-l", "--label"),
    limit=("-L", "--limit"),
    json=("--json",),
    author=("-A", "--author"),
    search=("-S", "--search"),
)
_VIEW = OptSpec(
    **_REPO, json=("--json",), flag_comments=("-c", "--comments"), flag_web=("-w", "--web")
)
_DIFF = OptSpec(
    **_REPO, flag_color=("--color",), flag_patch=("--patch",), flag_name_only=("--name-only",)
)
_CREATE = OptSpec(
    **_REPO,
    title=("-t", "--title"),
    body=("-b", "--body"),
    multi_label=("-l", "--label"),
    multi_assignee=("-a", "--assignee"),
)
_COMMENT = OptSpec(**_REPO, body=("-b", "--body"))
_CLOSE = OptSpec(**_REPO, comment=("-c", "--comment"), reason=("-r", "--reason"))
_MERGE = OptSpec(
    **_REPO,
    flag_merge=("-m", "--merge"),
    flag_squash=("-s", "--squash"),
    flag_rebase=("-r", "--rebase"),
    flag_delete_branch=("-d", "--delete-branch"),
    flag_auto=("--auto",),
    flag_admin=("--admin",),
    body=("-b", "--body"),
)


def _check_repo(state: State, opts: dict[str, Any]) -> None:
    if not state.repo:
        raise Usage("no git remotes found: this world has no GitHub repository", 1)
    want = opt_str(opts, "repo")
    if want and want.lower().removeprefix("https://github.com/") != state.repo.lower():
        raise Usage(f"GraphQL: Could not resolve to a Repository with the name '{want}'.", 1)


def _number(state: State, pos: list[str], items: list[dict[str, Any]], what: str) -> dict[str, Any]:
    if len(pos) != 1:
        raise Usage(f"{what} needs exactly one number\n{USAGE}")
    raw = pos[0].lstrip("#").rsplit("/", 1)[-1]
    if not raw.isdigit():
        raise Usage(f"invalid {what} number: {pos[0]!r}\n{USAGE}")
    for item in items:
        if item["number"] == int(raw):
            return item
    noun = "pull request" if what == "pr" else "issue"
    raise Usage(f"GraphQL: Could not resolve to a {noun} with the number of {raw}.", 1)


def _state_of(item: dict[str, Any]) -> str:
    if item.get("merged"):
        return "MERGED"
    return str(item.get("state", "open")).upper()


def _json_fields(items: list[dict[str, Any]], fields: str) -> str:
    names = [f.strip() for f in fields.split(",") if f.strip()]
    return jdump([{n: item.get(n) for n in names} for item in items])


def handle(state: State, tokens: list[str]) -> Res | Op:
    if not tokens or tokens[0] in ("-h", "--help", "help"):
        raise Usage(USAGE)
    if len(tokens) < 2 or tokens[0] not in ("issue", "pr"):
        raise Usage(f"unknown command {' '.join(tokens[:2])!r} for gh\n{USAGE}")
    group, sub, args = tokens[0], tokens[1], tokens[2:]
    items = state.issues if group == "issue" else state.pulls
    if sub == "list":
        return _list(state, group, items, args)
    if sub == "view":
        opts, pos = parse_opts(args, _VIEW, USAGE)
        _check_repo(state, opts)
        item = _number(state, pos, items, group)
        if opt_str(opts, "json"):
            return Res(jdump({n: item.get(n) for n in opt_str(opts, "json").split(",")}))
        return Res(_view(state, group, item))
    if group == "pr" and sub == "diff":
        opts, pos = parse_opts(args, _DIFF, USAGE)
        _check_repo(state, opts)
        item = _number(state, pos, items, group)
        return Res(
            str(item.get("diff") or f"(no diff recorded for pull request #{item['number']})")
        )
    if group == "issue" and sub == "create":
        return _create(state, args)
    if sub == "comment":
        opts, pos = parse_opts(args, _COMMENT, USAGE)
        _check_repo(state, opts)
        item = _number(state, pos, items, group)
        body = opt_str(opts, "body")
        if not body:
            raise Usage(f"comment needs --body TEXT\n{USAGE}")
        return _comment_op(state, group, item, body)
    if sub == "close":
        return _close(state, group, items, args)
    if group == "pr" and sub == "merge":
        return _merge(state, items, args)
    raise Usage(f"unknown command {sub!r} for gh {group}\n{USAGE}")


def _list(state: State, group: str, items: list[dict[str, Any]], args: list[str]) -> Res:
    opts, pos = parse_opts(args, _LIST, USAGE)
    if pos:
        raise Usage(f"unexpected argument: {pos[0]}\n{USAGE}")
    _check_repo(state, opts)
    want = opt_str(opts, "state", "open").lower()
    if want not in ("open", "closed", "merged", "all"):
        raise Usage(f"invalid state {want!r}\n{USAGE}")
    labels = opts.get("label", [])
    assert isinstance(labels, list)
    author = opt_str(opts, "author").lower()
    limit = opt_int(opts, "limit", 30, USAGE)
    rows = []
    for item in sorted(items, key=lambda it: -int(it["number"])):
        st = _state_of(item).lower()
        if want != "all" and not (st == want or (want == "closed" and st == "merged")):
            continue
        if labels and not set(labels) <= {str(x) for x in item.get("labels", [])}:
            continue
        if author and str(item.get("author", "")).lower() != author:
            continue
        rows.append(item)
    rows = rows[:limit]
    if opt_str(opts, "json"):
        return Res(_json_fields(rows, opt_str(opts, "json")))
    if not rows:
        return Res(
            f"no {want} {'issues' if group == 'issue' else 'pull requests'} match "
            f"your search in {state.repo}"
        )
    lines = []
    for item in rows:
        extra = (
            ", ".join(str(x) for x in item.get("labels", []))
            if group == "issue"
            else f"{item.get('head', '')} -> {item.get('base', '')}"
        )
        lines.append(f"#{item['number']}\t{_state_of(item)}\t{item['title']}\t{extra}")
    return Res("\n".join(lines))


def _view(state: State, group: str, item: dict[str, Any]) -> str:
    lines = [
        f"{item['title']} {state.repo}#{item['number']}",
        f"state: {_state_of(item)}",
        f"author: {item.get('author', '')}",
    ]
    if group == "issue":
        lines.append(f"labels: {', '.join(str(x) for x in item.get('labels', []))}")
    else:
        lines.append(f"branch: {item.get('head', '')} -> {item.get('base', '')}")
    lines += ["", str(item.get("body", ""))]
    for c in item.get("comments") or []:
        if isinstance(c, dict):
            lines += ["", f"--- comment by {c.get('author', '')} ---", str(c.get("body", ""))]
        else:
            lines += ["", "--- comment ---", str(c)]
    return "\n".join(lines)


def _url(state: State, group: str, number: int) -> str:
    return f"https://github.com/{state.repo}/{'issues' if group == 'issue' else 'pull'}/{number}"


def _comment_op(state: State, group: str, item: dict[str, Any], body: str) -> Op:
    def run() -> Res:
        comment = {"author": "you", "body": body, "created_at": state.stamp()}
        item.setdefault("comments", []).append(comment)
        fx = effect(
            "github.comment",
            f"{state.repo}#{item['number']}",
            body,
            snap({"repo": state.repo, "kind": group, "number": item["number"], "body": body}),
        )
        return Res(
            f"{_url(state, group, item['number'])}#issuecomment-{state.tick():04d}", effects=[fx]
        )

    return Op(["github.comment"], run)


def _create(state: State, args: list[str]) -> Op:
    opts, pos = parse_opts(args, _CREATE, USAGE)
    if pos:
        raise Usage(f"unexpected argument: {pos[0]}\n{USAGE}")
    _check_repo(state, opts)
    title, body = opt_str(opts, "title"), opt_str(opts, "body")
    if not title:
        raise Usage(f"issue create needs --title (and --body)\n{USAGE}")
    labels = list(opts.get("label", []))  # type: ignore[arg-type]

    def run() -> Res:
        number = max([int(i["number"]) for i in state.issues + state.pulls] + [0]) + 1
        issue = {
            "number": number,
            "title": title,
            "state": "open",
            "body": body,
            "labels": labels,
            "author": "you",
            "comments": [],
        }
        state.issues.append(issue)
        state.tick()
        fx = effect(
            "github.issue_create",
            f"{state.repo}#{number}",
            f"{title}\n{body}".rstrip(),
            snap({"repo": state.repo, **issue}),
        )
        return Res(_url(state, "issue", number), effects=[fx])

    return Op(["github.issue_create"], run)


def _close(state: State, group: str, items: list[dict[str, Any]], args: list[str]) -> Op:
    opts, pos = parse_opts(args, _CLOSE, USAGE)
    _check_repo(state, opts)
    item = _number(state, pos, items, group)
    if _state_of(item) != "OPEN":
        raise Usage(f"{group} #{item['number']} is already {_state_of(item).lower()}", 1)
    comment = opt_str(opts, "comment")

    def run() -> Res:
        item["state"] = "closed"
        if comment:
            item.setdefault("comments", []).append({"author": "you", "body": comment})
        state.tick()
        fx = effect(
            "github.close",
            f"{state.repo}#{item['number']}",
            comment or str(item["title"]),
            snap({"repo": state.repo, "kind": group, "number": item["number"], "comment": comment}),
        )
        noun = "issue" if group == "issue" else "pull request"
        return Res(f"✓ Closed {noun} {state.repo}#{item['number']} ({item['title']})", effects=[fx])

    return Op(["github.close"], run)


def _merge(state: State, items: list[dict[str, Any]], args: list[str]) -> Op:
    opts, pos = parse_opts(args, _MERGE, USAGE)
    _check_repo(state, opts)
    item = _number(state, pos, items, "pr")
    if _state_of(item) != "OPEN":
        raise Usage(f"pull request #{item['number']} is not open ({_state_of(item).lower()})", 1)
    method = "squash" if opts.get("squash") else "rebase" if opts.get("rebase") else "merge"

    def run() -> Res:
        item["merged"] = True
        item["state"] = "merged"
        state.tick()
        fx = effect(
            "github.pr_merge",
            f"{state.repo}#{item['number']}",
            str(item["title"]),
            snap(
                {
                    "repo": state.repo,
                    "number": item["number"],
                    "method": method,
                    "head": item.get("head"),
                    "base": item.get("base"),
                }
            ),
        )
        return Res(
            f"✓ Merged pull request {state.repo}#{item['number']} ({item['title']})", effects=[fx]
        )

    return Op(["github.pr_merge"], run)
