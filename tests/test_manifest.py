"""app_manifest.yml: valid against Slack's schema, and in step with the handlers the app registers."""

from __future__ import annotations

import json
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
