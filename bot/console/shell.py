"""`ccbot console`: the real bot against the Slack stand-in, driven from a terminal prompt or a pipe."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rich.text import Text

from bot.console.render import BOLD, render_blocks
from bot.console.stage import STRANGER_ID, Stage
from bot.github_hook import GitHubHook
from bot.github_hook import sign as sign_github
from bot.hooks import DeploymentHook
from bot.jobs.registry import JOBS
from bot.services.access import load_access_config, plan_access
from bot.services.errors import UserError
from bot.services.roster import find_person

DURATION = re.compile(r"^([+-]?)(\d+)([dhm])$")
MAX_CLOCK_OFFSET = dt.timedelta(days=3660)
PR_REF = re.compile(
    r"^(?:https://github\.com/)?([A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100})(?:#|/pull/)(\d{1,9})$"
)
GITHUB_USAGE = (
    "Usage: github merged|label|review-requested|review @handle org/repo#N "
    "(e.g. `github merged @ziafazal openedx/edx-platform#4242`)"
)
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


def find_example_roster() -> Path | None:
    """Return examples/pilot-roster.yaml from the working directory or the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / "examples" / "pilot-roster.yaml"
        if candidate.is_file():
            return candidate
    return None


class Console(Stage):
    """A terminal front end to the real Bolt app: the commands typed at the prompt."""

    # -- the loop ----------------------------------------------------------------------------------

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

    # -- acting ------------------------------------------------------------------------------------

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

    # -- looking around ----------------------------------------------------------------------------

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
        self.new_output()  # buttons from [1]; each message keeps the #N it was first shown with
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
        self.new_output()  # buttons from [1]; each message keeps the #N it was first shown with
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
        self.new_output()
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
