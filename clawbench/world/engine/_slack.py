"""``slack``: one tool with an ``action`` argument, over channels, messages and contacts."""

from __future__ import annotations

from typing import Any

from ._core import Op, Res, effect, err, jdump, snap
from ._state import State, parse_dt

ACTIONS = (
    "readMessages",
    "sendMessage",
    "editMessage",
    "deleteMessage",
    "react",
    "reactions",
    "pinMessage",
    "unpinMessage",
    "listPins",
    "listChannels",
    "memberInfo",
    "emojiList",
)
EMOJI = (
    "white_check_mark",
    "eyes",
    "thumbsup",
    "rotating_light",
    "warning",
    "fire",
    "pray",
    "tada",
    "heavy_check_mark",
    "x",
    "hourglass",
    "memo",
)
# Further standard shortcodes a reaction may use (Slack's own names). A reaction is a name
# from EMOJI or here, or one Unicode emoji: never free text, so a reaction cannot carry a
# message into a channel (docs/world.md).
_MORE_EMOJI = frozenset(
    (
        "+1 -1 thumbsdown ok_hand clap raised_hands muscle wave point_up heart heart_eyes "
        "smile smiley grinning joy laughing wink blush slightly_smiling_face thinking_face "
        "confused cry sob scream sweat_smile neutral_face upside_down_face "
        "100 star sparkles zap boom bulb bell mega loudspeaker rocket ship checkered_flag "
        "triangular_flag_on_post construction no_entry no_entry_sign stop_sign "
        "white_circle red_circle large_blue_circle large_green_circle large_yellow_circle "
        "ballot_box_with_check heavy_multiplication_x question exclamation grey_question "
        "arrow_up arrow_down arrow_right arrow_left repeat recycle lock key bug wrench hammer "
        "gear link paperclip pushpin round_pushpin calendar date spiral_calendar_pad clipboard "
        "bookmark page_facing_up chart_with_upwards_trend chart_with_downwards_trend "
        "coffee beer tada confetti_ball trophy medal first_place_medal "
        "speech_balloon thought_balloon see_no_evil hear_no_evil speak_no_evil "
        "sunglasses nerd_face robot_face skull ghost alien"
    ).split()
)
DEFAULT_LIMIT = 50


def real_emoji(name: str) -> bool:
    """A Slack shortcode we know (optionally with a ``::skin-tone-N`` suffix) or a single
    Unicode emoji (a pictograph plus variation selectors, joiners and modifiers)."""
    base = name.split("::skin-tone-", 1)[0]
    if base in EMOJI or base in _MORE_EMOJI:
        return base == name or name[len(base) + 12 :] in ("2", "3", "4", "5", "6")
    if not name or len(name) > 16:
        return False
    pictographs = 0
    for ch in name:
        cp = ord(ch)
        if cp in (0x200D, 0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF:
            continue  # joiner, variation selectors, keycap, skin tones
        if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF:
            pictographs += 1
            continue
        return False
    return pictographs >= 1


class _Bad(ValueError):
    pass


def _arg(args: dict[str, Any], *names: str, required: bool = True) -> str:
    for n in names:
        v = args.get(n)
        if v is not None and str(v).strip() != "":
            return str(v)
    if required:
        raise _Bad(f"missing argument {names[0]!r}")
    return ""


def _channel(state: State, ref: str) -> dict[str, Any] | None:
    key = ref.strip()
    for prefix in ("channel:", "<#"):
        key = key.removeprefix(prefix)
    key = key.rstrip(">")
    for c in state.channels:
        if str(c["id"]) == key:
            return c
    name = key.lstrip("#").lower()
    for c in state.channels:
        if str(c["name"]).lstrip("#").lower() == name:
            return c
    return None


def _contact(state: State, ref: str) -> dict[str, Any] | None:
    key = ref.strip().removeprefix("user:").removeprefix("@").removeprefix("<@").rstrip(">")
    low = key.lower()
    for c in state.contacts:
        if key in (str(c["id"]), str(c.get("slack_id", ""))):
            return c
    for c in state.contacts:
        if low in (str(c.get("email", "")).lower(), str(c["name"]).lower()):
            return c
    return None


def _need_channel(state: State, args: dict[str, Any]) -> dict[str, Any]:
    ref = _arg(args, "channelId", "channel", "to")
    chan = _channel(state, ref)
    if chan is None:
        names = ", ".join(f"#{str(c['name']).lstrip('#')} ({c['id']})" for c in state.channels)
        raise _Bad(f"channel not found: {ref!r}. Channels: {names or '(none)'}")
    return chan


def _view(m: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in m.items() if not k.startswith("_")}
    return out


def _find_msg(state: State, args: dict[str, Any]) -> dict[str, Any]:
    mid = _arg(args, "messageId", "ts")
    ref = _arg(args, "channelId", "channel", required=False)
    chan = _channel(state, ref) if ref else None
    if ref and chan is None:
        raise _Bad(f"channel not found: {ref!r}")
    for m in state.messages:
        if str(m["id"]) == mid or str(m.get("timestamp", "")) == mid:
            if chan is not None and m["_cid"] != str(chan["id"]):
                raise _Bad(f"message {mid!r} is not in channel {ref!r}")
            return m
    raise _Bad(f"message not found: {mid!r}")


def _where(state: State, m: dict[str, Any]) -> str:
    """A message's place as an effect target: ``#name`` for a channel, ``user:<id>`` for a DM."""
    for c in state.channels:
        if str(c["id"]) == m["_cid"]:
            return f"#{str(c['name']).lstrip('#')}"
    return str(m.get("channel") or m["_cid"])


def _epoch(value: Any, state: State) -> float | None:
    dt = parse_dt(value, state.tz)
    if dt is not None:
        return dt.timestamp()
    try:
        return float(value)  # Slack-style "1707745380.000100"
    except (TypeError, ValueError):
        return None


def _chronological(msgs: list[dict[str, Any]], state: State) -> list[dict[str, Any]]:
    """Oldest first, as Slack answers; fixture order when a timestamp is unreadable."""
    keys = [_epoch(m.get("timestamp"), state) for m in msgs]
    if any(k is None for k in keys):
        return msgs
    order = sorted(range(len(msgs)), key=lambda i: (keys[i], i))
    return [msgs[i] for i in order]


def _limit(args: dict[str, Any]) -> int:
    raw = args.get("limit", DEFAULT_LIMIT)
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise _Bad(f"limit must be a number, got {raw!r}") from None
    if n < 1:
        raise _Bad("limit must be at least 1")
    return n


def handle(state: State, args: dict[str, Any]) -> Res | Op:
    action = args.get("action")
    if action not in ACTIONS:
        return err(f"slack: unknown action {action!r}. Valid actions: {', '.join(ACTIONS)}")
    try:
        return _dispatch(state, str(action), args)
    except _Bad as exc:
        return err(f"slack {action}: {exc}")


def _ok(payload: dict[str, Any], effects: list[dict[str, Any]] | None = None) -> Res:
    return Res(jdump({"ok": True, **payload}), effects=effects or [])


def _dispatch(state: State, action: str, args: dict[str, Any]) -> Res | Op:
    if action == "readMessages":
        chan = _need_channel(state, args)
        limit = _limit(args)
        msgs = _chronological([m for m in state.messages if m["_cid"] == str(chan["id"])], state)
        msgs = msgs[-limit:]
        return _ok(
            {
                "channel": {"id": chan["id"], "name": chan["name"]},
                "messages": [_view(m) for m in msgs],
            }
        )
    if action == "listChannels":
        return _ok({"channels": [dict(c) for c in state.channels]})
    if action == "memberInfo":
        who = _contact(state, _arg(args, "userId", "user"))
        if who is None:
            raise _Bad(f"user not found: {args.get('userId')!r}")
        return _ok({"user": dict(who)})
    if action == "emojiList":
        return _ok({"emoji": list(EMOJI)})
    if action == "listPins":
        chan = _need_channel(state, args)
        pinned = [
            m
            for cid, mid in state.pins
            if cid == str(chan["id"])
            for m in state.messages
            if str(m["id"]) == mid
        ]
        return _ok({"channel": chan["id"], "items": [_view(m) for m in pinned]})
    if action == "reactions":
        m = _find_msg(state, args)
        return _ok({"messageId": m["id"], "reactions": list(m.get("reactions", []))})
    if action == "sendMessage":
        return _send(state, args)
    if action in ("editMessage", "deleteMessage"):
        m = _find_msg(state, args)
        return _edit(state, m, args) if action == "editMessage" else _delete(state, m)
    if action == "react":
        m = _find_msg(state, args)
        emoji = _arg(args, "emoji").strip(":")
        if not real_emoji(emoji):
            raise _Bad(f"invalid emoji name {emoji!r}: use a name from emojiList or one emoji")
        return _react(state, m, emoji)
    m = _find_msg(state, args)
    return _pin(state, m, pin=action == "pinMessage")


def _send(state: State, args: dict[str, Any]) -> Op:
    ref = _arg(args, "to", "channelId", "channel")
    content = _arg(args, "content", "text", "message")
    chan = _channel(state, ref)
    if chan is not None:
        cid, target = str(chan["id"]), f"#{str(chan['name']).lstrip('#')}"
    else:
        who = _contact(state, ref)
        if who is None:
            raise _Bad(f"unknown recipient {ref!r}: not a channel or a known user")
        uid = str(who.get("slack_id") or who["id"])
        cid, target = f"D-{uid}", f"user:{uid}"

    def run() -> Res:
        mid = state.new_id("slackmsg")
        m = {
            "id": mid,
            "channel": target,
            "channelId": cid,
            "author": "you",
            "text": content,
            "timestamp": state.stamp(),
            "_cid": cid,
        }
        state.messages.append(m)
        fx = effect("slack.send", target, content, snap(_view(m)))
        return _ok({"messageId": mid, "channel": cid, "to": target}, [fx])

    return Op(["slack.send"], run)


def _edit(state: State, m: dict[str, Any], args: dict[str, Any]) -> Op:
    content = _arg(args, "content", "text")

    def run() -> Res:
        before = m["text"]
        m["text"] = content
        fx = effect(
            "slack.edit",
            _where(state, m),
            content,
            snap({"messageId": m["id"], "channelId": m["_cid"], "before": before}),
        )
        return _ok({"messageId": m["id"], "edited": True}, [fx])

    return Op(["slack.edit"], run)


def _delete(state: State, m: dict[str, Any]) -> Op:
    def run() -> Res:
        state.messages.remove(m)
        state.pins = [p for p in state.pins if p[1] != str(m["id"])]
        fx = effect(
            "slack.delete",
            _where(state, m),
            str(m["text"]),
            snap({"messageId": m["id"], "channelId": m["_cid"], "author": m.get("author")}),
        )
        return _ok({"messageId": m["id"], "deleted": True}, [fx])

    return Op(["slack.delete"], run)


def _react(state: State, m: dict[str, Any], emoji: str) -> Op:
    def run() -> Res:
        reactions = m.setdefault("reactions", [])
        if emoji not in reactions:
            reactions.append(emoji)
        fx = effect(
            "slack.react",
            str(m["id"]),
            emoji,
            snap({"messageId": m["id"], "channelId": m["_cid"], "emoji": emoji}),
        )
        return _ok({"messageId": m["id"], "emoji": emoji}, [fx])

    return Op(["slack.react"], run)


def _pin(state: State, m: dict[str, Any], *, pin: bool) -> Op:
    kind = "slack.pin" if pin else "slack.unpin"
    key = (m["_cid"], str(m["id"]))
    if not pin and key not in state.pins:
        raise _Bad(f"message {m['id']!r} is not pinned")

    def run() -> Res:
        if pin and key not in state.pins:
            state.pins.append(key)
        elif not pin:
            state.pins.remove(key)
        fx = effect(
            kind, str(m["id"]), str(m["text"]), snap({"messageId": m["id"], "channelId": m["_cid"]})
        )
        return _ok({"messageId": m["id"], "pinned": pin}, [fx])

    return Op([kind], run)
