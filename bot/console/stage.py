"""The console's stage: the real bot built against the Slack and GitHub stand-ins, requests handed to it signed
as Slack signs them, and what it sends shown on the screen, its forms filled in at the prompt."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from rich.text import Text
from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.assembly import build_bot
from bot.console.demo import as_of_today, seed_demo_activity
from bot.console.forms import FIELD_HINTS, FormCancelled, parse_answer
from bot.console.render import mrkdwn, render_blocks, with_emoji
from bot.console.screen import Screen
from bot.github_standin import GitHubStandIn
from bot.runtime import utc_now
from bot.services.roster import import_roster, list_roster, read_roster
from bot.settings import Settings, load_settings
from bot.slack_standin import SlackStandIn
from storage.db import upgrade

STRANGER_ID = "U0STRANGER"
DEFAULT_CHANNELS = {
    "coordination_channel": ("C0COORDIN", "cc-coordination"),
    "management_channel": ("C0MANAGEM", "cc-management"),
    "digest_channel": ("C0DIGEST0", "cc-digest"),
}
# GitHub as the demo finds it: one stale membership, one stranger, a pending invitation.
DEMO_TEAMS = {
    "openedx/committers-edx-platform": (["ziafazal", "idegtiarov", "edx-mystery-user"], ["pdpinch"]),
    "openedx/core-contributors": (["ziafazal", "bradenmacdonald", "regisb", "openedx-bot"], []),
}


class Stage(Screen):
    """The real Bolt app with Slack replaced by the in-process stand-in (and GitHub by its own)."""

    def __init__(
        self,
        *,
        database_url: str,
        stdin: TextIO,
        stdout: TextIO,
        demo_roster: Path | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        """Build the bot on `clock` (the real one unless a test stops it), moved by the `time` command's offset."""
        super().__init__(stdin=stdin, stdout=stdout)
        self.slack = SlackStandIn().start()
        self.github = GitHubStandIn().start()
        self.access_config = demo_roster.parent / "access.yaml" if demo_roster is not None else None
        self.secret = secrets.token_hex(16)
        self.offset = dt.timedelta(0)
        self.settings = self._settings(database_url)
        # In the console each listener finishes before dispatch returns, so output is complete.
        self.bot = build_bot(self.settings, clock=lambda: clock() + self.offset, process_before_response=True)
        self.client = self.bot.client
        self.runtime = self.bot.runtime
        upgrade(self.runtime.engine)
        if demo_roster is not None:
            now = self.runtime.clock()
            with self.runtime.session_factory() as session:
                doc = as_of_today(read_roster(demo_roster, as_of=now.date()), now.date())
                import_roster(session, doc, now=now, actor="console:demo")
                seed_demo_activity(
                    session,
                    self.runtime,
                    slack=self.slack,
                    examples=demo_roster.parent,
                    now=now,
                )
            for team, (members, pending) in DEMO_TEAMS.items():
                self.github.add_team(team, members=members, pending=pending)
        self.app = self.bot.app
        self._load_people()
        self.user_id: str | None = None
        self.handle = ""
        # What the demo posted before the prompt is history: `read` and `dm` show it.
        self.seen = {
            "messages": len(self.slack.state.messages),
            "ephemerals": len(self.slack.state.ephemerals),
            "responses": 0,
            "modals": 0,
            "updates": len(self.slack.state.updates),
        }
        self._counter = itertools.count(1)
        # Where pictures the bot shares are written for the person at the console to open.
        self.picture_dir: Path | None = None

    def _settings(self, database_url: str) -> Settings:
        overrides: dict[str, Any] = {
            "SLACK_BOT_TOKEN": "xoxb-console",
            "SLACK_SIGNING_SECRET": self.secret,
            "SLACK_API_URL": self.slack.url,
            "CCBOT_DATABASE_URL": database_url,
            "CCBOT_WEBHOOK_SECRET": self.secret,
            "CCBOT_GITHUB_WEBHOOK_SECRET": self.secret,
            "GITHUB_API_URL": self.github.url,
            "CCBOT_GITHUB_TOKEN": self.github.token,
        }
        if self.access_config is not None and self.access_config.is_file():
            overrides["CCBOT_ACCESS_CONFIG"] = str(self.access_config)
        base = load_settings(**overrides)
        for name, (channel_id, channel_name) in DEFAULT_CHANNELS.items():
            current = getattr(base, name) or channel_id
            overrides[Settings.model_fields[name].alias or name] = current
            self.slack.add_channel(current, channel_name)
        return load_settings(**overrides)

    def _load_people(self) -> None:
        with self.runtime.session_factory() as session:
            for person in list_roster(session):
                if person.slack_user_id:
                    self.names[person.slack_user_id] = person.github
                    self.slack.add_user(
                        person.slack_user_id,
                        email=person.email,
                        tz=person.timezone or "UTC",
                        name=person.name,
                    )
        self.names[STRANGER_ID] = "stranger"
        self.names[self.slack.bot_user_id] = "ccbot"
        for channel_id, name in self.slack.state.channels.items():
            self.names[channel_id] = name

    def dispatch(self, body: str, content_type: str) -> BoltResponse:
        """Hand a request to the Bolt app exactly as Slack would, signed."""
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=timestamp, body=body) or ""
        headers: dict[str, str | Sequence[str]] = {
            "content-type": [content_type],
            "x-slack-request-timestamp": [timestamp],
            "x-slack-signature": [signature],
        }
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def dispatch_event(self, event: dict[str, Any]) -> BoltResponse:
        """Deliver an Events API event."""
        body = {
            "type": "event_callback",
            "team_id": self.slack.team_id,
            "api_app_id": "A0CONSOLE",
            "event_id": f"EvConsole{next(self._counter):08d}",
            "event_time": int(time.time()),
            "event": event,
        }
        return self.dispatch(json.dumps(body), "application/json")

    def _show_ack(self, response: BoltResponse) -> None:
        if not response.body:
            return
        try:
            body = json.loads(response.body)
        except ValueError:
            self.say(response.body)
            return
        self._print_private(body)

    def describe_file(self, shared: dict[str, Any]) -> str:
        """Write a picture the bot shared (the digest's chart) to a file and say where it is and what it shows."""
        with self.slack.lock:
            file = dict(self.slack.state.files.get(str(shared.get("id")), {}))
        data = file.get("data")
        name = Path(str(file.get("name") or shared.get("name") or "file")).name
        if not isinstance(data, bytes) or not data.startswith(b"\x89PNG"):
            return super().describe_file(shared)
        if self.picture_dir is None:
            self.picture_dir = Path(tempfile.mkdtemp(prefix="ccbot-console-"))
        path = self.picture_dir / f"{file.get('id')}-{name}"
        path.write_bytes(data)
        alt = str(file.get("alt_txt") or "")
        return f"[picture: {path}]" + (f"\n{alt}" if alt else "")

    def show_new(self, *, everyone: bool = False) -> None:
        """Print what the bot sent since the last command: messages, ephemerals, responses, modals."""
        state = self.slack.state
        with self.slack.lock:
            messages = state.messages[self.seen["messages"] :]
            ephemerals = [
                e for e in state.ephemerals[self.seen["ephemerals"] :] if e.get("user") == self.user_id
            ]
            responses = state.responses[self.seen["responses"] :]
            modals = list(state.modals.values())[self.seen["modals"] :]
            fresh = {id(m) for m in messages}
            updated = list(
                {id(m): m for m in state.updates[self.seen["updates"] :] if id(m) not in fresh}.values()
            )
            self.seen.update(
                messages=len(state.messages),
                ephemerals=len(state.ephemerals),
                responses=len(state.responses),
                modals=len(state.modals),
                updates=len(state.updates),
            )
        for private in [*responses, *ephemerals]:
            self._print_private(private)
        if updated:
            self._show_messages(updated, title="updated")
        self._show_messages([m for m in messages if everyone or m.get("user") != self.user_id])
        for modal in modals:
            self.fill_modal(modal)

    def fill_modal(self, view: dict[str, Any]) -> None:
        """Show a modal as a form, ask for each input in turn, and submit it."""
        title = with_emoji(str((view.get("title") or {}).get("text") or "Form"))
        self.say(f"┌─ {title} ─ (type `cancel` or press Ctrl-C at any field to close the form)")
        values: dict[str, dict[str, Any]] = {}
        inputs = [b for b in view.get("blocks") or [] if b.get("type") == "input"]
        for line in render_blocks(
            [b for b in view.get("blocks") or [] if b.get("type") != "input"],
            self.names,
            self.shown.buttons,
            {"type": "view", "view": view},
        ):
            self.say(line, prefix="│ ")
        pending = inputs
        while pending:
            try:
                for block in pending:
                    values[block["block_id"]] = {block["element"]["action_id"]: self._ask(block)}
            except (FormCancelled, KeyboardInterrupt):
                self.say("└─ form closed, nothing sent")
                return
            response = self._submit(view, values)
            errors = (
                (response or {}).get("errors")
                if (response or {}).get("response_action") == "errors"
                else None
            )
            if not errors:
                self.say("└─ sent")
                if response and response.get("response_action") in {"update", "push"}:
                    self.fill_modal(response["view"])
                self.show_new()
                return
            for _block_id, message in errors.items():
                self.say(Text("! ").append_text(mrkdwn(message, self.names)), prefix="│ ")
            pending = [b for b in inputs if b["block_id"] in errors]

    def _ask(self, block: dict[str, Any]) -> dict[str, Any]:
        """Ask for one input until the answer is one Slack's form would accept; raise FormCancelled to close."""
        element = block.get("element") or {}
        kind = element.get("type") or "plain_text_input"
        label = with_emoji(str((block.get("label") or {}).get("text") or ""))
        optional = bool(block.get("optional"))
        initial = element.get("initial_value") or (element.get("initial_option") or {}).get("value")
        initial = initial or element.get("initial_date") or element.get("initial_user")
        options = element.get("options") or []
        for number, option in enumerate(options, start=1):
            self.say(f"│   {number}. {with_emoji(str(option['text']['text']))}")
        hint = FIELD_HINTS.get(kind, "")
        skip = ", Enter to skip" if optional else ""
        extra = f" ({hint}{skip})" if hint else (" (optional, Enter to skip)" if optional else "")
        initial_user = str(element.get("initial_user") or "")
        shown = f"@{self.names[initial_user]}" if initial_user in self.names else initial
        default = f" [{shown}]" if initial else ""
        while True:
            answer = self.read(f"│ {label}{extra}{default}: ")
            if answer is None or answer.strip() == "cancel":
                raise FormCancelled
            answer = answer.strip() or str(initial or "")
            if not answer and not optional:
                self.say("│ ! This field is required (type `cancel` to close the form).")
                continue
            value, problem = parse_answer(kind, options, answer, self.names)
            if problem is None:
                return value
            self.say(f"│ ! {problem}")

    def _submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        submitted = dict(view, state={"values": values})
        payload = {
            "type": "view_submission",
            "user": {"id": self.user_id, "username": self.handle},
            "api_app_id": "A0CONSOLE",
            "team": {"id": self.slack.team_id},
            "view": submitted,
            "trigger_id": f"trigger.{next(self._counter)}",
        }
        response = self.dispatch(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        if not response.body:
            return None
        try:
            body = json.loads(response.body)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
