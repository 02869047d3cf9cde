"""The shapes of Slack's request bodies that Bolt and the handlers read, checked before either reads one.

Bolt indexes what Slack always sends (`body["view"]["type"]`, `body["actions"][0]`) and the handlers read
`trigger_id`, the user's id and the event's fields: a signed body without them, or with a list where an object
belongs, would raise inside Bolt (a 500) or in a handler (an unexpected error). `shape_problem` names the first
field that is not as Slack sends it, so the request is refused with a 400 instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Deeper than any payload Slack sends (a modal's blocks nest a handful of levels).
MAX_DEPTH = 64
NoneType = type(None)


def _text_like(name: str, pattern: str, doc: str) -> type:
    """Return a type `isinstance` takes for a string matching `pattern` (ids are read and stored as they are)."""
    regex = re.compile(pattern)

    class Matching(type):
        def __instancecheck__(cls, value: object) -> bool:
            return isinstance(value, str) and regex.fullmatch(value) is not None

    return Matching(name, (), {"__doc__": doc})


SlackId = _text_like("SlackId", r"[A-Z0-9]{2,40}", "a Slack id (U012ABCDEF, C012ABCDEF, T012ABCDEF)")
# Slack's event ids (Ev0ABC123) are kept to drop its retries, in a column of 64 characters.
EventId = _text_like("EventId", r"[A-Za-z0-9_-]{1,64}", "an event id")
# Where refusals are posted (Slack's hooks.slack.com; the stand-in's in tests).
Url = _text_like("Url", r"(?:https?://[^\s]{1,2000})?", "an http(s) URL")

Kinds = type | tuple[type, ...]
# field -> (types it may hold, whether it must be there); a field that need not be there may also be null.
Fields = Mapping[str, tuple[Kinds, bool]]

_OPTIONAL_OBJECT = (dict, NoneType)
# Any body: the fields Bolt or ccbot read, each of the one type Slack gives it.
TOP: Fields = {
    "type": (str, False),
    "token": (str, False),
    "team_id": (str, False),
    "api_app_id": (str, False),
    "trigger_id": (str, False),
    "response_url": (Url, False),
    "callback_id": (str, False),
    "action_id": (str, False),
    "event_id": (EventId, False),
    "command": (str, False),
    "text": (str, False),
    "user_id": (SlackId, False),
    "channel_id": (SlackId, False),
    "challenge": (str, False),
    "user": (dict, False),
    "view": (dict, False),
    "event": (dict, False),
    "actions": (list, False),
    "authorizations": (list, False),
    "response_urls": (list, False),
    "team": (_OPTIONAL_OBJECT, False),
    "enterprise": (_OPTIONAL_OBJECT, False),
    "channel": (_OPTIONAL_OBJECT, False),
    "container": (_OPTIONAL_OBJECT, False),
    "message": (_OPTIONAL_OBJECT, False),
    "state": (_OPTIONAL_OBJECT, False),
}
# What each kind of payload always carries.
REQUIRED: Mapping[str, Fields] = {
    "block_actions": {"user": (dict, True), "actions": (list, True), "trigger_id": (str, True)},
    "shortcut": {"user": (dict, True), "callback_id": (str, True), "trigger_id": (str, True)},
    "message_action": {
        "user": (dict, True),
        "callback_id": (str, True),
        "trigger_id": (str, True),
        "message": (dict, True),
        "channel": (dict, True),
    },
    "view_submission": {"user": (dict, True), "view": (dict, True)},
    "view_closed": {"user": (dict, True), "view": (dict, True)},
    "block_suggestion": {"user": (dict, True), "action_id": (str, True)},
    "event_callback": {"event": (dict, True), "event_id": (EventId, True)},
    "url_verification": {"challenge": (str, True)},
}
COMMAND: Fields = {
    "command": (str, True),
    "user_id": (SlackId, True),
    "trigger_id": (str, True),
    "text": (str, True),
}
USER: Fields = {
    "id": (SlackId, True),
    "username": (str, False),
    "name": (str, False),
    "team_id": (str, False),
}
CHANNEL: Fields = {"id": (SlackId, True), "name": (str, False)}
TEAM: Fields = {"id": (str, False), "domain": (str, False), "enterprise_id": (str, False)}
MESSAGE: Fields = {
    "ts": (str, True),
    "text": (str, False),
    "user": (str, False),
    "thread_ts": (str, False),
    "channel": (str, False),
    "bot_id": (str, False),
    "subtype": (str, False),
    "blocks": (list, False),
}
CONTAINER: Fields = {
    "type": (str, False),
    "channel_id": (str, False),
    "message_ts": (str, False),
    "view_id": (str, False),
}
VIEW: Fields = {
    "type": (str, True),
    "callback_id": (str, True),
    "id": (str, False),
    "private_metadata": (str, False),
    "hash": (str, False),
    "state": (dict, False),
    "blocks": (list, False),
}
ACTION: Fields = {
    "action_id": (str, True),
    "block_id": (str, False),
    "value": (str, False),
    "type": (str, False),
    "action_ts": (str, False),
    "selected_option": (_OPTIONAL_OBJECT, False),
}
EVENT: Fields = {
    "type": (str, True),
    "user": (SlackId, False),
    "channel": (SlackId, False),
    "ts": (str, False),
    "thread_ts": (str, False),
    "event_ts": (str, False),
    "text": (str, False),
    "tab": (str, False),
    "subtype": (str, False),
    "bot_id": (str, False),
    "channel_type": (str, False),
    "message": (dict, False),
    "previous_message": (dict, False),
}
# user_change and team_join carry the whole user object, not its id.
USER_OBJECT_EVENTS = frozenset({"user_change", "team_join"})
SLACK_USER: Fields = {
    "id": (SlackId, True),
    "tz": (str, False),
    "deleted": (bool, False),
    "is_bot": (bool, False),
    "profile": (dict, False),
}
EVENT_REQUIRED: Mapping[str, Fields] = {
    "message": {"channel": (SlackId, True), "ts": (str, True)},
    "app_home_opened": {"user": (SlackId, True)},
}


def _field_problem(data: Mapping[str, Any], fields: Fields, where: str) -> str | None:
    for name, (kinds, required) in fields.items():
        if name not in data or (data[name] is None and not required):
            if required:
                return f"{where}{name} is missing"
            continue
        if not isinstance(data[name], kinds):
            return f"{where}{name} is not {_names(kinds)}"
    return None


def _as_tuple(kinds: Kinds) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _names(kinds: Kinds) -> str:
    words = {str: "a string", dict: "an object", list: "a list", NoneType: "null"}
    return " or ".join(words.get(kind, kind.__doc__ or kind.__name__) for kind in _as_tuple(kinds))


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _view_problem(view: Mapping[str, Any], where: str) -> str | None:
    problem = _field_problem(view, VIEW, where)
    if problem:
        return problem
    state = view.get("state")
    if state is None:
        return None
    values = state.get("values", {})
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
        for block in values.values()
    ):
        return f"{where}state.values is not an object of input blocks"
    return None


def shape_problem(body: Any) -> str | None:
    """Return what in a Slack request body is not as Slack sends it, or None when Bolt and ccbot may read it.

    Give it the body with its text cleaned (`clean_tree`): an id that is only control characters is no id.
    """
    if not isinstance(body, dict):
        return "the body is not an object"
    if _depth(body) > MAX_DEPTH:
        return f"the body nests deeper than {MAX_DEPTH} levels"
    kind = body.get("type")
    fields: list[tuple[Mapping[str, Any], Fields, str]] = [(body, TOP, "")]
    if isinstance(kind, str) and kind in REQUIRED:
        fields.append((body, REQUIRED[kind], ""))
    elif kind is None and "command" in body:
        fields.append((body, COMMAND, ""))
    for data, spec, where in fields:
        problem = _field_problem(data, spec, where)
        if problem:
            return problem
    parts: list[tuple[str, Fields]] = [
        ("user", USER),
        ("team", TEAM),
        ("channel", CHANNEL),
        ("container", CONTAINER),
        ("message", MESSAGE),
    ]
    for name, spec in parts:
        value = body.get(name)
        if isinstance(value, dict):
            problem = _field_problem(value, spec, f"{name}.")
            if problem:
                return problem
    if "view" in body and not isinstance(body["view"], dict):
        return "view is not an object"
    if isinstance(body.get("view"), dict):
        problem = _view_problem(body["view"], "view.")
        if problem:
            return problem
    return _list_problem(body) or _event_problem(body)


def _list_problem(body: Mapping[str, Any]) -> str | None:
    actions = body.get("actions")
    if actions is not None:
        if body.get("type") == "block_actions" and not actions:
            return "actions is empty"
        for index, action in enumerate(actions):
            if not isinstance(action, dict):
                return f"actions[{index}] is not an object"
            problem = _field_problem(action, ACTION, f"actions[{index}].")
            if problem:
                return problem
    for name in ("authorizations", "response_urls"):
        if not all(isinstance(item, dict) for item in body.get(name) or []):
            return f"{name} is not a list of objects"
    return None


def _event_problem(body: Mapping[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict):
        return None
    if event.get("type") in USER_OBJECT_EVENTS:
        return _field_problem(event, {**EVENT, "user": (dict, True)}, "event.") or _field_problem(
            event["user"], SLACK_USER, "event.user."
        )
    problem = _field_problem(event, EVENT, "event.")
    if problem:
        return problem
    required = EVENT_REQUIRED.get(event["type"])
    if required and event.get("subtype") is None:
        return _field_problem(event, required, "event.")
    return None
