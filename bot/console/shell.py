"""`ccbot console`: the real bot against the Slack stand-in, driven from a terminal prompt or a pipe."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from rich.cells import cell_len
from rich.console import Console as RichConsole
from rich.text import Text
from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.assembly import build_bot
from bot.console.demo import seed_demo_activity
from bot.console.render import BOLD, DIM, Button, mrkdwn, render_blocks, with_emoji
from bot.github_hook import GitHubHook
from bot.github_hook import sign as sign_github
from bot.github_standin import GitHubStandIn
from bot.hooks import DeploymentHook
from bot.jobs.registry import JOBS
from bot.runtime import utc_now
from bot.services.access import load_access_config, plan_access
from bot.services.errors import UserError
from bot.services.roster import find_person, import_roster, list_roster, read_roster
from bot.settings import Settings, load_settings
from bot.slack_standin import SlackStandIn
from storage.db import upgrade

STRANGER_ID = "U0STRANGER"
DEFAULT_CHANNELS = {
    "coordination_channel": ("C0COORDIN", "cc-coordination"),
    "management_channel": ("C0MANAGEM", "cc-management"),
    "digest_channel": ("C0DIGEST0", "cc-digest"),
}
DURATION = re.compile(r"^([+-]?)(\d+)([dhm])$")
MAX_CLOCK_OFFSET = dt.timedelta(days=3660)
PLAIN_WIDTH = 100
# A line starting with a bullet or a number wraps under its text, not under the bullet.
LIST_ITEM = re.compile(r"(?:[^\w\s]{1,2}|\d+[.)]|\[\d+\])\s+")
FIELD_HINTS = {
    "datepicker": "YYYY-MM-DD",
    "static_select": "a number or a name",
    "radio_buttons": "a number or a name",
    "checkboxes": "numbers, like 1,3",
    "multi_static_select": "numbers, like 1,3",
    "users_select": "@handle",
    "multi_users_select": "@handles",
}
PR_REF = re.compile(
    r"^(?:https://github\.com/)?([A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100})(?:#|/pull/)(\d{1,9})$"
)
GITHUB_USAGE = (
    "Usage: github merged|label|review-requested|review @handle org/repo#N "
    "(e.g. `github merged @ziafazal openedx/edx-platform#4242`)"
)
# GitHub as the demo finds it: one stale membership, one stranger, a pending invitation.
DEMO_TEAMS = {
    "openedx/committers-edx-platform": (["ziafazal", "idegtiarov", "edx-mystery-user"], ["pdpinch"]),
    "openedx/core-contributors": (["ziafazal", "bradenmacdonald", "regisb", "openedx-bot"], []),
}
HELP = """\
Commands (you act as a roster member; the bot answers as it would in Slack):
  as @handle              act as this person (GitHub handle from the roster)
  /cc [help]              any slash command the bot knows, with its text
  click N                 press button [N] from the last output
  reply N text            answer in the thread of message #N
  home                    open your App Home tab
  channels                list channels and how many messages each holds
  read #channel           show the latest messages of a channel
  dm [@handle]            show the direct messages of a person (default: you)
  time [+3d|+2h|-30m]     show or move the bot's clock (jobs and ages use it)
  jobs                    list the scheduled jobs and their next run on the bot's clock
  run NAME                run a job now, on the bot's clock (e.g. `run question_nudges`)
  deploy EVENT @author N  the deployment pipeline reports PR #N of openedx/edx-platform
                          (EVENT: escaped_issue, deploy_failed, rolled_back, deployed_production)
  github merged @handle org/repo#N
                          GitHub reports that @handle merged their PR (signed, like GitHub's webhook)
  github label @author org/repo#N
                          @author's PR gets the review label: a committer is asked to review
  github review-requested @reviewer org/repo#N
                          you ask @reviewer on GitHub to review the PR
  github review @reviewer org/repo#N
                          @reviewer submits a review of the PR
  access                  what `ccbot access plan` says against the stand-in GitHub (changes nothing)
  help                    this list
  quit                    leave (Ctrl-D works too)"""


@dataclass
class Shown:
    """What the screen numbers: the last output's buttons [n], and messages #n until the next `read` or `dm`."""

    buttons: list[Button] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)

    def number(self, message: dict[str, Any]) -> int:
        """Return the message's number on this screen: the one it had, or the next (an edit keeps its number)."""
        key = (str(message.get("channel")), str(message.get("ts")))
        if key in self.numbers:
            self.messages[self.numbers[key] - 1] = message
        else:
            self.messages.append(message)
            self.numbers[key] = len(self.messages)
        return self.numbers[key]

    def message(self, text: str) -> dict[str, Any] | None:
        """Return message #N (`text` is N or #N), or None when the screen has no such number."""
        number = text.lstrip("#")
        if not number.isdigit() or not 1 <= int(number) <= len(self.messages):
            return None
        return self.messages[int(number) - 1]


class FormCancelled(Exception):
    """The person closed the form (`cancel`, Ctrl-C or the end of input)."""


def find_example_roster() -> Path | None:
    """Return examples/pilot-roster.yaml from the working directory or the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / "examples" / "pilot-roster.yaml"
        if candidate.is_file():
            return candidate
    return None


class Console:
    """A terminal front end to the real Bolt app, with Slack replaced by the in-process stand-in."""

    def __init__(
        self, *, database_url: str, stdin: TextIO, stdout: TextIO, demo_roster: Path | None = None
    ) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.echo = not stdin.isatty()
        self.out = screen_for(stdout)
        self.slack = SlackStandIn().start()
        self.github = GitHubStandIn().start()
        self.access_config = demo_roster.parent / "access.yaml" if demo_roster is not None else None
        self.secret = secrets.token_hex(16)
        self.offset = dt.timedelta(0)
        self.settings = self._settings(database_url)
        # In the console each listener finishes before dispatch returns, so output is complete.
        self.bot = build_bot(
            self.settings, clock=lambda: utc_now() + self.offset, process_before_response=True
        )
        self.client = self.bot.client
        self.runtime = self.bot.runtime
        upgrade(self.runtime.engine)
        if demo_roster is not None:
            with self.runtime.session_factory() as session:
                doc = read_roster(demo_roster, as_of=utc_now().date())
                import_roster(session, doc, now=utc_now(), actor="console:demo")
                seed_demo_activity(
                    session,
                    self.runtime,
                    slack=self.slack,
                    examples=demo_roster.parent,
                    now=utc_now(),
                )
            for team, (members, pending) in DEMO_TEAMS.items():
                self.github.add_team(team, members=members, pending=pending)
        self.app = self.bot.app
        self.names: dict[str, str] = {}
        self._load_people()
        self.user_id: str | None = None
        self.handle = ""
        self.shown = Shown()
        # What the demo posted before the prompt is history: `read` and `dm` show it.
        self.seen = {
            "messages": len(self.slack.state.messages),
            "ephemerals": len(self.slack.state.ephemerals),
            "responses": 0,
            "modals": 0,
            "updates": len(self.slack.state.updates),
        }
        self._counter = itertools.count(1)

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

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Read commands until `quit` or end of input."""
        self.say("ccbot console: the real bot, with Slack replaced by a local stand-in. Type `help`.")
        if len(self.names) <= 2 + len(self.slack.state.channels):
            self.say(
                "The roster is empty: start with `ccbot console --demo`, or `ccbot roster import FILE` first."
            )
        while True:
            try:
                line = self.read(f"{self.handle or '(nobody)'}> ")
            except KeyboardInterrupt:
                self.say("\n(Ctrl-C: type `quit` or press Ctrl-D to leave)")
                continue
            if line is None or line.strip() in {"quit", "exit"}:
                break
            if line.strip():
                self.handle_safely(line.strip())
        self.slack.stop()
        self.github.stop()

    def handle_safely(self, line: str) -> None:
        """Run one command; an interruption or a failure is reported in a line and the console carries on."""
        try:
            self.handle_line(line)
        except KeyboardInterrupt:
            self.say("(interrupted)")
        except Exception as exc:
            # A bug of ours: say so in one line instead of ending the console with a traceback.
            first = str(exc).splitlines()[0] if str(exc) else ""
            self.say(f"! `{line}` failed: {exc.__class__.__name__}: {first}")

    def read(self, prompt: str) -> str | None:
        """Read one line, echoing it when input is piped so a transcript reads like a session."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            self.stdout.write("\n")
            return None
        if self.echo:
            self.stdout.write(line if line.endswith("\n") else line + "\n")
        return line.rstrip("\n")

    def say(self, text: str | Text = "", *, prefix: str = "") -> None:
        """Print text after `prefix`, wrapped to the screen, continuation lines indented under the text."""
        text = Text(text) if isinstance(text, str) else text
        width = max(20, self.out.width - len(prefix))
        for line in text.split("\n", allow_blank=True):
            plain = line.plain
            start = len(plain) - len(plain.lstrip(" "))
            bullet = LIST_ITEM.match(plain, start)
            split = bullet.end() if bullet else start
            # Continuation lines go under the text of a list item, else two columns in from the line.
            hang = min(cell_len(plain[:split]) if bullet else start + 2, width // 2)
            body = line[split:]
            pieces = body.wrap(self.out, width - hang) if body.plain.strip() else [body]
            for index, piece in enumerate(pieces):
                piece.rstrip()
                lead = line[:split] if index == 0 else Text(" " * hang)
                self.out.print(Text(prefix).append_text(lead).append_text(piece), soft_wrap=True)
        self.stdout.flush()

    def handle_line(self, line: str) -> None:
        """Run one console command."""
        word, _, rest = line.partition(" ")
        if word.startswith("/"):
            self.slash_command(word, rest)
            return
        handlers = {
            "as": self.act_as,
            "click": self.click,
            "reply": self.reply,
            "home": self.open_home,
            "channels": self.list_channels,
            "read": self.read_channel,
            "dm": self.show_dms,
            "time": self.move_time,
            "jobs": self.list_jobs,
            "run": self.run_job,
            "deploy": self.deploy,
            "github": self.play_github,
            "access": self.show_access,
            "help": lambda _rest: self.say(HELP),
        }
        handler = handlers.get(word.lower())
        if handler is None:
            self.say(f"I don't know `{word}`. Type `help` for the commands.")
            return
        handler(rest.strip())

    # -- acting ----------------------------------------------------------------------------------

    def act_as(self, rest: str) -> None:
        """Become a roster member (or a stranger, for someone not on the roster)."""
        handle = rest.lstrip("@").strip()
        if not handle:
            self.say("Usage: as @handle")
            return
        with self.runtime.session_factory() as session:
            person = find_person(session, handle)
        if person is None:
            self.user_id, self.handle = STRANGER_ID, handle
            self.say(f"{handle} is not on the roster: you are now a stranger to the bot ({STRANGER_ID}).")
        elif not person.slack_user_id:
            self.say(f"{person.github} has no Slack id on the roster; add `slack:` for them to act as them.")
        else:
            self.user_id, self.handle = person.slack_user_id, person.github
            self.say(f"You are now {person.name} (@{person.github}).")

    def new_output(self) -> None:
        """Start a command's output: its buttons are numbered from [1]; the screen's messages keep their #n."""
        self.shown.buttons = []

    def _need_user(self) -> bool:
        if self.user_id is None:
            self.say("First choose who you are: `as @ziafazal`, say.")
            return False
        return True

    def slash_command(self, command: str, text: str) -> None:
        """Send a slash command as the current person and show what comes back."""
        if not self._need_user():
            return
        self.new_output()
        fields = {
            "token": "console",
            "team_id": self.slack.team_id,
            "channel_id": "C0CONSOLE",
            "channel_name": "console",
            "user_id": self.user_id,
            "user_name": self.handle,
            "command": command,
            "text": text,
            "api_app_id": "A0CONSOLE",
            "response_url": self.slack.response_url(f"c{next(self._counter)}"),
            "trigger_id": f"trigger.{next(self._counter)}",
        }
        response = self.dispatch(urlencode(fields), "application/x-www-form-urlencoded")
        if response.status == 404:
            self.say(f"`{command}` is not a command this bot has. `/cc help` lists them.")
            return
        self._show_ack(response)
        self.show_new()

    def click(self, rest: str) -> None:
        """Press a numbered button from the last output."""
        if not self._need_user():
            return
        if not rest.isdigit() or not 1 <= int(rest) <= len(self.shown.buttons):
            self.say(f"There is no button [{rest}]; the last output had {len(self.shown.buttons)}.")
            return
        button = self.shown.buttons[int(rest) - 1]
        self.new_output()
        action = {
            "type": "button",
            "action_id": button.action.get("action_id"),
            "block_id": button.block_id,
            "value": button.action.get("value"),
            "text": button.action.get("text"),
            "action_ts": f"{time.time():.6f}",
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": self.user_id, "username": self.handle},
            "api_app_id": "A0CONSOLE",
            "team": {"id": self.slack.team_id},
            "trigger_id": f"trigger.{next(self._counter)}",
            "actions": [action],
            "response_url": self.slack.response_url(f"a{next(self._counter)}"),
        }
        container = button.container
        if container.get("type") == "view":
            payload["view"] = container["view"]
            payload["container"] = {"type": "view", "view_id": container["view"].get("id")}
        else:
            message = container["message"]
            payload["container"] = {
                "type": "message",
                "channel_id": message["channel"],
                "message_ts": message["ts"],
            }
            payload["channel"] = {"id": message["channel"]}
            payload["message"] = message
        self._show_ack(
            self.dispatch(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        )
        self.show_new()

    def reply(self, rest: str) -> None:
        """Post a reply in the thread of a numbered message, as the current person."""
        if not self._need_user():
            return
        number, _, text = rest.partition(" ")
        parent = self.shown.message(number)
        if parent is None or not text.strip():
            self.say("Usage: reply N text, where #N is a message on the screen.")
            return
        self.new_output()
        thread_ts = parent.get("thread_ts") or parent["ts"]
        ts = f"{time.time():.0f}.{next(self._counter):06d}"
        with self.slack.lock:
            self.slack.state.messages.append(
                {
                    "channel": parent["channel"],
                    "ts": ts,
                    "thread_ts": thread_ts,
                    "user": self.user_id,
                    "text": text,
                    "blocks": [],
                }
            )
            self.seen["messages"] = len(self.slack.state.messages)
        event = {
            "type": "message",
            "channel": parent["channel"],
            "user": self.user_id,
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "channel_type": "channel",
            "event_ts": ts,
        }
        self.dispatch_event(event)
        self.say(f"(you replied in the thread of #{number.lstrip('#')})")
        self.show_new()

    def open_home(self, _rest: str) -> None:
        """Open the App Home tab and show it."""
        if not self._need_user():
            return
        assert self.user_id is not None
        self.dispatch_event(
            {
                "type": "app_home_opened",
                "user": self.user_id,
                "channel": "D" + self.user_id[1:],
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            }
        )
        view = self.slack.state.home_views.get(self.user_id)
        if view is None:
            self.say("(the Home tab did not load)")
            return
        self.new_output()
        self.say(Text("── Home ──", BOLD))
        for line in render_blocks(
            view.get("blocks") or [], self.names, self.shown.buttons, {"type": "view", "view": view}
        ):
            self.say(line, prefix="  ")
        self.show_new()

    # -- looking around -------------------------------------------------------------------------

    def list_channels(self, _rest: str) -> None:
        """List the channels and DMs that hold messages."""
        counts: dict[str, int] = {}
        for message in self.slack.messages():
            counts[message["channel"]] = counts.get(message["channel"], 0) + 1
        for channel_id, name in self.slack.state.channels.items():
            self.say(f"#{name} ({channel_id}): {counts.pop(channel_id, 0)} message(s)")
        for channel_id, count in sorted(counts.items()):
            who = (
                self.names.get("U" + channel_id[1:], channel_id) if channel_id.startswith("D") else channel_id
            )
            self.say(f"DM with @{who}: {count} message(s)")

    def read_channel(self, rest: str) -> None:
        """Show the latest messages of a channel."""
        name = rest.lstrip("#").strip()
        channel = next(
            (cid for cid, cname in self.slack.state.channels.items() if name in (cid, cname)), None
        )
        if channel is None:
            self.say(f"No channel #{name}. `channels` lists them.")
            return
        self.shown = Shown()  # a new screen: its messages are numbered from #1
        self._show_messages(self.slack.messages(channel)[-10:], title=f"#{name}")

    def show_dms(self, rest: str) -> None:
        """Show the DMs the bot sent a person."""
        handle = rest.lstrip("@").strip()
        user_id = self.user_id
        if handle:
            user_id = next((uid for uid, name in self.names.items() if name.lower() == handle.lower()), None)
        if user_id is None:
            self.say("Usage: dm @handle (or choose who you are with `as`).")
            return
        self.shown = Shown()  # a new screen: its messages are numbered from #1
        self._show_messages(
            self.slack.messages(user_id)[-10:], title=f"DMs of @{self.names.get(user_id, user_id)}"
        )

    def move_time(self, rest: str) -> None:
        """Show or move the bot's clock."""
        if rest:
            match = DURATION.match(rest.replace(" ", ""))
            if match is None:
                self.say("Usage: time +3d | +2h | -30m")
                return
            sign, amount, unit = match.groups()
            minutes = int(amount) * {"d": 1440, "h": 60, "m": 1}[unit]
            offset = self.offset + dt.timedelta(minutes=-minutes if sign == "-" else minutes)
            if abs(offset) > MAX_CLOCK_OFFSET:
                self.say("The bot's clock moves at most 10 years from today; try a smaller step.")
                return
            self.offset = offset
        self.say(f"The bot's clock: {self.runtime.clock():%Y-%m-%d %H:%M} UTC ({self.runtime.clock():%A})")

    def list_jobs(self, _rest: str) -> None:
        """List the scheduled jobs with their next run on the bot's clock."""
        now = self.runtime.clock()
        for spec in JOBS.values():
            upcoming = spec.next_run(now, self.settings)
            when = f"{upcoming:%a %Y-%m-%d %H:%M} UTC" if upcoming else "never"
            self.say(f"  {spec.name:<24} {spec.describe(self.settings):<20} next {when}")
            self.say(f"  {'':<24} {spec.description}")

    def run_job(self, rest: str) -> None:
        """Run one job now, on the bot's clock, and show what it sent."""
        name = rest.strip()
        if name not in JOBS:
            self.say(f"Usage: run NAME, where NAME is one of: {', '.join(JOBS)}")
            return
        now = self.runtime.clock()
        self.new_output()
        result = self.bot.run_job(name, now=now)
        self.say(f"(ran {name} at {now:%a %Y-%m-%d %H:%M} UTC: {result})")
        self.show_new(everyone=True)

    def deploy(self, rest: str) -> None:
        """Send a signed deployment notice to the webhook, as the pipeline would, and show what follows."""
        parts = rest.split()
        if len(parts) != 3 or not parts[2].lstrip("#").isdigit():
            self.say("Usage: deploy escaped_issue @ziafazal 35120")
            return
        event, author, number = parts[0], parts[1].lstrip("@"), int(parts[2].lstrip("#"))
        payload = {
            "event": event,
            "environment": "production" if event != "deployed_stage" else "stage",
            "repo": "openedx/edx-platform",
            "pull_requests": [{"number": number, "author": author}],
            "sha_range": f"console-{next(self._counter)}",
            "pipeline_url": "https://ci.example.org/runs/1",
            "summary": "Grades page errors since the last deploy",
            "details": "IntegrityError for user_id=4821 (jane@example.com) from 203.0.113.9",
        }
        if event == "escaped_issue":
            payload["incident_id"] = f"INC-{number}"
        body = json.dumps(payload).encode()
        timestamp = str(int(time.time()))
        signature = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        headers = {"x-ccbot-timestamp": timestamp, "x-ccbot-signature": f"sha256={signature}"}
        answer = DeploymentHook(self.runtime).handle(headers, body)
        self.say(f"(pipeline → /hooks/deployments: {answer.status} {json.dumps(answer.body)})")
        self.new_output()
        self.show_new(everyone=True)

    def play_github(self, rest: str) -> None:
        """Send a signed GitHub delivery to /hooks/github, as GitHub would, and show what follows."""
        parts = rest.split()
        match = PR_REF.match(parts[2]) if len(parts) == 3 else None
        if match is None or parts[0] not in {"merged", "label", "review-requested", "review"}:
            self.say(GITHUB_USAGE)
            return
        kind, handle = parts[0], parts[1].lstrip("@")
        repo, number = match.group(1), int(match.group(2))
        me = self.handle or "a-maintainer"
        author = me if kind in {"review-requested", "review"} else handle
        pull_request: dict[str, Any] = {
            "number": number,
            "title": f"Console change #{number}",
            "state": "open",
            "user": {"login": author},
            "merged": False,
        }
        event = "pull_request"
        payload: dict[str, Any] = {"repository": {"full_name": repo}, "sender": {"login": me}}
        if kind == "merged":
            merged_at = self.runtime.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
            pull_request.update(state="closed", merged=True, merged_at=merged_at, merged_by={"login": handle})
            payload["action"] = "closed"
        elif kind == "label":
            payload.update(action="labeled", label={"name": self.runtime.policy.github.review_label})
        elif kind == "review-requested":
            payload.update(action="review_requested", requested_reviewer={"login": handle})
        else:
            event = "pull_request_review"
            payload.update(action="submitted", review={"user": {"login": handle}, "state": "approved"})
        payload["pull_request"] = pull_request
        body = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": f"console-{secrets.token_hex(8)}",
            "x-hub-signature-256": sign_github(self.secret, body),
        }
        answer = GitHubHook(self.runtime).handle(headers, body)
        self.say(f"(GitHub → /hooks/github: {answer.status} {json.dumps(answer.body)})")
        self.shown = Shown()
        self.show_new(everyone=True)

    def show_access(self, _rest: str) -> None:
        """Print `ccbot access plan` against the stand-in GitHub; nothing changes."""
        if self.access_config is None or not self.access_config.is_file():
            self.say("No access.yaml here: start with `ccbot console --demo` (it uses examples/access.yaml).")
            return
        from bot.views.access import plan_lines

        connect = self.runtime.github
        assert connect is not None, "the console always points GitHub at its stand-in"
        try:
            config = load_access_config(self.access_config)
            with connect() as github, self.runtime.session_factory() as session:
                plan = plan_access(session, config, github, now=self.runtime.clock())
                session.rollback()
        except UserError as exc:
            self.say(f"ccbot: {exc}")
            return
        for line in plan_lines(plan):
            self.say(line)
        self.say(f"plan only, nothing changed: {plan.summary}")
        self.say("(`run access_drift` tells the admins; `ccbot access apply` would make it so.)")

    # -- plumbing -------------------------------------------------------------------------------

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

    def _print_private(self, body: dict[str, Any]) -> None:
        """Print a reply only the acting person sees (an ack, a response_url post, an ephemeral)."""
        self.say(Text("── only visible to you ──", DIM))
        message = {
            "channel": body.get("channel") or "C0CONSOLE",
            "ts": "0",
            "text": body.get("text", ""),
            "blocks": body.get("blocks") or [],
        }
        container = {"type": "message", "message": message}
        lines = render_blocks(message["blocks"], self.names, self.shown.buttons, container)
        if not lines and body.get("text"):
            lines = [mrkdwn(str(body["text"]), self.names)]
        for line in lines:
            self.say(line, prefix="  ")

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

    def _show_messages(self, messages: list[dict[str, Any]], title: str | None = None) -> None:
        if title:
            self.say(Text(f"── {title} ──", BOLD))
        for message in messages:
            number = self.shown.number(message)
            where = self._where(message["channel"])
            thread = (
                " (in a thread)" if message.get("thread_ts") and message["thread_ts"] != message["ts"] else ""
            )
            author = self.names.get(message.get("user") or "", "ccbot")
            self.say(Text(f"── #{number} {where}{thread} · {author} ──", BOLD))
            lines = render_blocks(
                message.get("blocks") or [],
                self.names,
                self.shown.buttons,
                {"type": "message", "message": message},
            )
            for line in lines or [mrkdwn(message.get("text") or "", self.names)]:
                self.say(line, prefix="  ")

    def _where(self, channel: str) -> str:
        if channel.startswith("D"):
            return f"DM to @{self.names.get('U' + channel[1:], channel)}"
        return f"#{self.names.get(channel, channel)}"

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
            value, problem = self._parse_answer(kind, options, answer)
            if problem is None:
                return value
            self.say(f"│ ! {problem}")

    def _parse_answer(
        self, kind: str, options: list[dict[str, Any]], answer: str
    ) -> tuple[dict[str, Any], str | None]:
        """Return the element's state for `answer`, or why the answer is not acceptable."""
        if kind in {"static_select", "radio_buttons"}:
            chosen = _choose(options, answer) if answer else None
            if answer and chosen is None:
                return (
                    {},
                    f"{answer!r} is not one of the choices: type its number (1-{len(options)}) or its name",
                )
            return {"type": kind, "selected_option": chosen}, None
        if kind in {"checkboxes", "multi_static_select"}:
            parts = [part.strip() for part in answer.split(",") if part.strip()]
            picked = [_choose(options, part) for part in parts]
            if any(option is None for option in picked):
                return {}, f"choose among 1-{len(options)}, separated by commas (like 1,3)"
            key = "selected_options"
            return {"type": kind, key: picked}, None
        if kind in {"users_select", "multi_users_select"}:
            handles = [part for part in re.split(r"[\s,]+", answer) if part]
            ids = [self._user_id(handle) for handle in handles]
            unknown = [handle for handle, user_id in zip(handles, ids, strict=True) if user_id is None]
            if unknown:
                return (
                    {},
                    f"no one called {', '.join(unknown)} on the roster: type GitHub handles like @ziafazal",
                )
            if kind == "users_select":
                if len(ids) > 1:
                    return {}, "choose one person"
                return {"type": kind, "selected_user": ids[0] if ids else None}, None
            return {"type": kind, "selected_users": ids}, None
        if kind == "datepicker":
            if answer and not _is_date(answer):
                return {}, f"{answer!r} is not a date: type it as YYYY-MM-DD, like 2026-12-18"
            return {"type": kind, "selected_date": answer or None}, None
        return {"type": kind, "value": answer or None}, None

    def _user_id(self, text: str) -> str | None:
        if text[:1] in "UW" and text in self.names:  # a pre-filled answer is a Slack user id
            return text
        handle = text.lstrip("@").lower()
        return next(
            (uid for uid, name in self.names.items() if uid[:1] in "UW" and name.lower() == handle), None
        )

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


def _is_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def screen_for(stdout: TextIO) -> RichConsole:
    """Return a rich console on `stdout`: styled on a terminal, plain text (and 100 columns) otherwise."""
    try:
        terminal = stdout.isatty()
    except (AttributeError, ValueError):
        terminal = False
    return RichConsole(
        file=stdout,
        force_terminal=terminal,
        width=None if terminal else PLAIN_WIDTH,
        highlight=False,
        markup=False,
        emoji=False,
    )


def _choose(options: list[dict[str, Any]], answer: str) -> dict[str, Any] | None:
    if answer.isdigit() and 1 <= int(answer) <= len(options):
        return options[int(answer) - 1]
    wanted = answer.strip().lower()
    return next(
        (o for o in options if wanted in (str(o.get("value")).lower(), o["text"]["text"].lower())), None
    )
