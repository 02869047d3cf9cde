"""app_manifest.yml: valid against Slack's schema, and in step with the handlers the app registers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from bot.ids import Command, Event, Shortcut
from tests.conftest import ROOT, RunningBot

# Slack's published JSON Schema for app manifests (slackapi/manifest-schema, tag v0.5.0).
SCHEMA = ROOT / "tests" / "data" / "manifest.schema.json"


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "app_manifest.yml").read_text())


def test_manifest_is_valid_against_slacks_schema() -> None:
    schema = json.loads(Path(SCHEMA).read_text())
    jsonschema.validate(_manifest(), schema)


def test_every_registered_command_is_in_the_manifest_and_the_other_way_round() -> None:
    declared = {entry["command"] for entry in _manifest()["features"]["slash_commands"]}
    assert declared == {command.value for command in Command}


def test_every_manifest_command_reaches_a_handler(bot: RunningBot) -> None:
    for entry in _manifest()["features"]["slash_commands"]:
        response = bot.sender.command(entry["command"], user_id="U0PILOT01")
        assert response.status_code == 200, entry["command"]


def test_every_subscribed_event_the_app_handles_is_declared() -> None:
    # Slack subscribes to `message` per conversation type; the payload's type is plain `message`.
    declared = {name.split(".")[0] for name in _manifest()["settings"]["event_subscriptions"]["bot_events"]}
    assert {event.value for event in Event} <= declared


def test_every_shortcut_is_declared_in_the_manifest() -> None:
    declared = {entry["callback_id"] for entry in _manifest()["features"]["shortcuts"]}
    assert declared == {shortcut.value for shortcut in Shortcut}


def test_a_command_missing_from_the_app_would_be_caught(bot: RunningBot) -> None:
    response = bot.sender.command("/cc-not-a-command", user_id="U0PILOT01")
    assert response.status_code == 404


# The bot-token scopes each Web API method ccbot calls needs (from Slack's method reference pages).
SCOPES_OF = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.getPermalink": set(),
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.replies": {"channels:history", "groups:history", "im:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.open": {"im:write"},
    "users.info": {"users:read"},
    "users.list": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
}
# slack_sdk methods that make more than one API call.
EXPANDS = {"files.uploadV2": {"files.getUploadURLExternal", "files.completeUploadExternal"}}
# Events need the history scope of their conversation type.
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
}


def _methods_called() -> set[str]:
    """Every Web API method the bot's code calls through a WebClient (`client.chat_postMessage(` ...)."""
    called: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if path.name in {"slack_standin.py"}:
            continue
        for name in re.findall(
            r"\.(auth|chat|conversations|users|files|views)_([A-Za-z0-9_]+)\b", path.read_text()
        ):
            group, method = name
            parts = method.split("_")
            api = f"{group}.{parts[0]}" + "".join(p[:1].upper() + p[1:] for p in parts[1:])
            called |= EXPANDS.get(api, {api})
    return called


def test_the_manifest_grants_every_scope_the_code_needs() -> None:
    called = _methods_called()
    assert {"chat.postMessage", "chat.update", "views.open", "files.getUploadURLExternal"} <= called
    unknown = called - set(SCOPES_OF)
    assert unknown == set(), f"add the scopes of {unknown} to SCOPES_OF"
    needed = set().union(*(SCOPES_OF[m] for m in called)) | {"commands"}
    manifest = _manifest()
    needed |= {
        EVENT_SCOPES[e]
        for e in manifest["settings"]["event_subscriptions"]["bot_events"]
        if e in EVENT_SCOPES
    }
    granted = set(manifest["oauth_config"]["scopes"]["bot"])
    assert needed - granted == set(), "app_manifest.yml lacks scopes the code uses"
    assert granted - needed == set(), "app_manifest.yml asks for scopes nothing uses"


def test_the_messages_tab_is_answered_when_people_can_write_in_it(bot: RunningBot) -> None:
    tab = _manifest()["features"]["app_home"]
    if tab["messages_tab_enabled"] and not tab.get("messages_tab_read_only_enabled"):
        assert "message.im" in _manifest()["settings"]["event_subscriptions"]["bot_events"]
    event = {
        "type": "message",
        "channel": "D0ZIA0001",
        "channel_type": "im",
        "user": "U0PILOT01",
        "text": "hi",
        "ts": "1.5",
    }
    assert bot.sender.event(event, event_id="EvDM1").status_code == 200
    assert bot.sender.event(event, event_id="EvDM1", retry=1).status_code == 200
    answers = bot.slack.messages("D0ZIA0001")
    assert len(answers) == 1, "answered once, whatever Slack's retries"
    assert "/cc-ask" in json.dumps(answers[0])
    own = {**event, "bot_id": "B0CCBOT00", "ts": "1.6"}
    bot.sender.event(own, event_id="EvDM2")
    assert len(bot.slack.messages("D0ZIA0001")) == 1, "the bot's own messages are not answered"
