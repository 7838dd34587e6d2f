"""The Notion API behind curl: tasks (one database) and documents (pages with content).

Property values are accepted in Notion's shapes ({"select": {"name": ...}}, rich text
arrays, ...) or as plain values, and stored as plain values under snake_case names, so a
task reads back exactly as the fixture wrote it.
"""

from __future__ import annotations

from typing import Any

from ._core import BadJSON, Op, Res, effect, http, snap
from ._state import State, parse_dt

_PAGE_FIELDS_HIDDEN = ("id", "content")


def _error(status: int, code: str, message: str) -> Res:
    return http(status, {"object": "error", "status": status, "code": code, "message": message})


def _bad_body(req: Any) -> Res | None:
    if isinstance(req.body, BadJSON):
        return _error(400, "invalid_json", "Error parsing JSON body.")
    if req.body is not None and not isinstance(req.body, dict):
        return _error(400, "validation_error", "body failed validation: body should be an object.")
    return None


def handle(state: State, req: Any) -> Res | Op:
    parts = [p for p in req.path.split("/") if p]
    if not parts or parts[0] != "v1":
        return _error(400, "invalid_request_url", "Invalid request URL.")
    bad = _bad_body(req)
    if bad is not None:
        return bad
    body: dict[str, Any] = req.body or {}
    m = req.method
    route = parts[1:]
    if len(route) == 3 and route[0] == "databases" and route[2] == "query" and m == "POST":
        return _query(state, body)
    if len(route) == 2 and route[0] == "databases" and m == "GET":
        return _database(state, route[1])
    if route == ["search"] and m == "POST":
        return _search(state, body)
    if route == ["pages"] and m == "POST":
        return _create(state, body)
    if len(route) == 2 and route[0] == "pages":
        if m == "GET":
            return _get_page(state, route[1])
        if m == "PATCH":
            return _patch(state, route[1], body)
    if len(route) == 3 and route[0] == "blocks" and route[2] == "children":
        if m == "GET":
            return _children(state, route[1])
        if m == "PATCH":
            return _append(state, route[1], body)
    if route and route[0] in ("databases", "pages", "blocks", "search"):
        return _error(405, "invalid_request", f"Method {m} is not supported for {req.path}.")
    return _error(400, "invalid_request_url", "Invalid request URL.")


# -- lookups and rendering ------------------------------------------------------------------
def _find(items: list[dict[str, Any]], pid: str) -> int | None:
    norm = pid.replace("-", "")
    for i, item in enumerate(items):
        sid = str(item["id"])
        if sid == pid or sid.replace("-", "") == norm:
            return i
    return None


def _task_page(task: dict[str, Any], archived: bool = False) -> dict[str, Any]:
    return {
        "object": "page",
        "id": task["id"],
        "archived": archived,
        "properties": {k: v for k, v in task.items() if k not in _PAGE_FIELDS_HIDDEN},
    }


def _doc_page(doc: dict[str, Any]) -> dict[str, Any]:
    page = _task_page(doc)
    page["has_children"] = bool(doc.get("content"))
    return page


def _not_found(pid: str) -> Res:
    return _error(
        404,
        "object_not_found",
        f"Could not find page with ID: {pid}. Make sure the relevant pages and databases "
        "are shared with your integration.",
    )


def _norm_key(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return "title" if key == "name" else key


def _text(items: Any) -> str:
    if isinstance(items, str):
        return items
    out = []
    for it in items if isinstance(items, list) else []:
        if isinstance(it, str):
            out.append(it)
        elif isinstance(it, dict):
            text = it.get("text")
            if isinstance(text, dict):
                out.append(str(text.get("content", "")))
            elif "plain_text" in it:
                out.append(str(it["plain_text"]))
            elif isinstance(text, str):
                out.append(text)
    return "".join(out)


class _BadProp(ValueError):
    pass


def prop_value(name: str, value: Any) -> Any:
    """A property value in any of Notion's shapes, as the plain value the fixtures use."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return _text(value)
    if isinstance(value, dict):
        for key in ("title", "rich_text"):
            if key in value:
                return _text(value[key])
        for key in ("select", "status"):
            if key in value:
                inner = value[key]
                return inner.get("name") if isinstance(inner, dict) else inner
        if "multi_select" in value:
            return [o.get("name") if isinstance(o, dict) else o for o in value["multi_select"]]
        if "people" in value:
            people = value["people"] or []
            names = [
                str(p.get("name") or p.get("id", "")) if isinstance(p, dict) else str(p)
                for p in people
            ]
            return names[0] if len(names) == 1 else names
        if "date" in value:
            inner = value["date"]
            return inner.get("start") if isinstance(inner, dict) else inner
        for key in ("number", "checkbox", "url", "email", "phone_number"):
            if key in value:
                return value[key]
    raise _BadProp(f"Property {name!r} has a value shape this API does not accept.")


def _props(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _BadProp("body.properties should be an object.")
    return {_norm_key(k): prop_value(k, v) for k, v in raw.items()}


# -- reads -------------------------------------------------------------------------------------
def _cmp_text(v: Any) -> str:
    if isinstance(v, list):
        return ", ".join(str(x) for x in v).lower()
    return "" if v is None else str(v).lower()


def _match(state: State, task: dict[str, Any], flt: Any) -> bool:
    if not isinstance(flt, dict):
        raise _BadProp("filter should be an object.")
    for key in ("and", "or"):
        if key in flt:
            subs = flt[key]
            if not isinstance(subs, list):
                raise _BadProp(f"filter.{key} should be a list.")
            results = [_match(state, task, s) for s in subs]
            return all(results) if key == "and" else any(results)
    prop = flt.get("property")
    if not isinstance(prop, str):
        raise _BadProp("filter needs a 'property' (or 'and'/'or').")
    field = _norm_key(prop)
    conds = [v for k, v in flt.items() if k != "property" and isinstance(v, dict)]
    if len(conds) != 1:
        raise _BadProp(
            f"filter on {prop!r} needs one condition, e.g. {{'status': {{'equals': 'Done'}}}}."
        )
    cond = conds[0]
    actual = task.get(field)
    for op, want in cond.items():
        a, w = _cmp_text(actual), _cmp_text(want)
        if op == "equals":
            ok = a == w
        elif op == "does_not_equal":
            ok = a != w
        elif op == "contains":
            ok = w in a
        elif op == "does_not_contain":
            ok = w not in a
        elif op == "is_empty":
            ok = not a
        elif op == "is_not_empty":
            ok = bool(a)
        elif op in ("before", "after", "on_or_before", "on_or_after"):
            ad, wd = parse_dt(actual, state.tz), parse_dt(want, state.tz)
            if ad is None or wd is None:
                ok = False
            elif op == "before":
                ok = ad < wd
            elif op == "after":
                ok = ad > wd
            elif op == "on_or_before":
                ok = ad <= wd
            else:
                ok = ad >= wd
        else:
            raise _BadProp(f"Unsupported filter condition {op!r} on {prop!r}.")
        if not ok:
            return False
    return True


def _query(state: State, body: dict[str, Any]) -> Res:
    rows = state.tasks
    try:
        if "filter" in body and body["filter"]:
            known = {k for t in state.tasks for k in t} | {"title"}
            _check_props(body["filter"], known)
            rows = [t for t in rows if _match(state, t, body["filter"])]
        for s in reversed(body.get("sorts") or []):
            if not isinstance(s, dict) or not isinstance(s.get("property"), str):
                raise _BadProp("each sort needs a 'property'.")
            key = _norm_key(s["property"])
            desc = s.get("direction") == "descending"
            rows = sorted(rows, key=lambda t, k=key: _cmp_text(t.get(k)), reverse=desc)
    except _BadProp as exc:
        return _error(400, "validation_error", str(exc))
    size = body.get("page_size", 100)
    start = body.get("start_cursor") or "0"
    if not isinstance(size, int) or not 1 <= size <= 100 or not str(start).isdigit():
        return _error(400, "validation_error", "page_size must be 1..100; start_cursor invalid.")
    first = int(start)
    page = rows[first : first + size]
    more = first + size < len(rows)
    return http(
        200,
        {
            "object": "list",
            "results": [_task_page(t) for t in page],
            "has_more": more,
            "next_cursor": str(first + size) if more else None,
        },
    )


def _check_props(flt: Any, known: set[str]) -> None:
    if isinstance(flt, dict):
        if isinstance(flt.get("property"), str) and _norm_key(flt["property"]) not in known:
            raise _BadProp(f"Could not find property with name or id: {flt['property']}")
        for key in ("and", "or"):
            for sub in flt.get(key, []) if isinstance(flt.get(key), list) else []:
                _check_props(sub, known)


def _database(state: State, dbid: str) -> Res:
    fields = sorted({k for t in state.tasks for k in t if k != "id"} | {"title"})
    return http(
        200,
        {"object": "database", "id": dbid, "title": "Tasks", "properties": fields},
    )


def _search(state: State, body: dict[str, Any]) -> Res:
    q = str(body.get("query", "")).lower()
    results = [_doc_page(d) for d in state.documents if q in str(d["title"]).lower()]
    results += [_task_page(t) for t in state.tasks if q in str(t["title"]).lower()]
    return http(200, {"object": "list", "results": results, "has_more": False, "next_cursor": None})


def _get_page(state: State, pid: str) -> Res:
    i = _find(state.tasks, pid)
    if i is not None:
        return http(200, _task_page(state.tasks[i]))
    i = _find(state.documents, pid)
    if i is not None:
        return http(200, _doc_page(state.documents[i]))
    i = _find(state.archived, pid)
    if i is not None:
        return http(200, _task_page(state.archived[i], archived=True))
    return _not_found(pid)


def _blocks(owner: str, text: str) -> list[dict[str, Any]]:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    return [
        {"object": "block", "id": f"{owner}-b{n:03d}", "type": "paragraph", "text": ln}
        for n, ln in enumerate(lines, 1)
    ]


def _children(state: State, pid: str) -> Res:
    i = _find(state.documents, pid)
    if i is not None:
        doc = state.documents[i]
        blocks = _blocks(str(doc["id"]), str(doc.get("content", "")))
    else:
        i = _find(state.tasks, pid)
        if i is None:
            return _not_found(pid)
        task = state.tasks[i]
        blocks = _blocks(str(task["id"]), str(task.get("description", "")))
    return http(200, {"object": "list", "results": blocks, "has_more": False, "next_cursor": None})


# -- writes ------------------------------------------------------------------------------------
def _children_text(children: Any) -> str:
    if not isinstance(children, list):
        raise _BadProp("children should be a list of blocks.")
    lines = []
    for block in children:
        if isinstance(block, str):
            lines.append(block)
        elif isinstance(block, dict):
            if "text" in block and isinstance(block["text"], str):
                lines.append(block["text"])
                continue
            inner = block.get(str(block.get("type", "paragraph")), block.get("paragraph"))
            if isinstance(inner, dict):
                lines.append(_text(inner.get("rich_text", inner.get("text", []))))
            else:
                raise _BadProp("each child block needs text.")
        else:
            raise _BadProp("each child block should be an object.")
    return "\n".join(lines)


def _create(state: State, body: dict[str, Any]) -> Res | Op:
    parent = body.get("parent")
    if not isinstance(parent, dict) or not (parent.get("database_id") or parent.get("page_id")):
        return _error(400, "validation_error", "body.parent needs a database_id or page_id.")
    try:
        props = _props(body.get("properties", {}))
        content = _children_text(body["children"]) if "children" in body else ""
    except _BadProp as exc:
        return _error(400, "validation_error", str(exc))
    if not props.get("title"):
        return _error(400, "validation_error", "A page needs a title (properties.title or Name).")
    is_doc = bool(parent.get("page_id")) and not parent.get("database_id")
    kind = "doc.create" if is_doc else "task.create"

    def run() -> Res:
        pid = state.new_id("doc" if is_doc else "task")
        item: dict[str, Any] = {"id": pid, **props}
        if is_doc:
            item["content"] = content
            item["parent"] = str(parent["page_id"])
            state.documents.append(item)
            text = f"{item['title']}\n{content}".rstrip()
            page = _doc_page(item)
        else:
            if content and "description" not in item:
                item["description"] = content
            item.setdefault("created_time", state.stamp())
            state.tasks.append(item)
            desc = item.get("description")
            text = f"{item['title']}\n{desc}" if desc else str(item["title"])
            page = _task_page(item)
        fx = effect(kind, pid, text, snap(item))
        return http(200, page, [fx])

    return Op([kind], run)


def _patch(state: State, pid: str, body: dict[str, Any]) -> Res | Op:
    archive = body.get("archived") is True or body.get("in_trash") is True
    try:
        props = _props(body.get("properties", {}))
    except _BadProp as exc:
        return _error(400, "validation_error", str(exc))
    ti = _find(state.tasks, pid)
    di = _find(state.documents, pid)
    if ti is None and di is None:
        return _not_found(pid)
    items = state.tasks if ti is not None else state.documents
    idx = ti if ti is not None else di
    assert idx is not None
    if not archive and not props:
        return _error(400, "validation_error", "Nothing to update: give properties or archived.")
    if archive:
        kind = "task.delete"
    else:
        kind = "task.update" if ti is not None else "doc.update"

    def run() -> Res:
        item = items[idx]
        if archive:
            items.pop(idx)
            item.update(props)
            state.archived.append(item)
            fx = effect(
                kind,
                str(item["id"]),
                str(item["title"]),
                snap({"id": item["id"], "archived": True, "title": item["title"]}),
            )
            return http(200, _task_page(item, archived=True), [fx])
        before = {k: item.get(k) for k in props}
        item.update(props)
        text = "\n".join(f"{k}: {v}" for k, v in props.items())
        fx = effect(
            kind,
            str(item["id"]),
            text,
            snap({"id": item["id"], "changes": props, "before": before}),
        )
        page = _task_page(item) if kind == "task.update" else _doc_page(item)
        return http(200, page, [fx])

    return Op([kind], run)


def _append(state: State, pid: str, body: dict[str, Any]) -> Res | Op:
    di = _find(state.documents, pid)
    if di is None:
        return _not_found(pid)
    try:
        text = _children_text(body.get("children", []))
    except _BadProp as exc:
        return _error(400, "validation_error", str(exc))
    if not text:
        return _error(400, "validation_error", "body.children should not be empty.")

    def run() -> Res:
        doc = state.documents[di]
        old = str(doc.get("content", ""))
        doc["content"] = f"{old}\n{text}" if old else text
        fx = effect("doc.update", str(doc["id"]), text, snap({"id": doc["id"], "appended": text}))
        blocks = _blocks(str(doc["id"]), text)
        return http(
            200, {"object": "list", "results": blocks, "has_more": False, "next_cursor": None}, [fx]
        )

    return Op(["doc.update"], run)
