"""An in-process stand-in for Slack's Web API over real HTTP, for the console, the tests and the benchmarks."""

from __future__ import annotations

import base64
import bisect
import contextlib
import itertools
import json
import math
import os
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlparse

from bot.standin_server import StandInServer
from bot.types.outbox import POST_METHOD, POST_PER_CHANNEL, POST_PER_WORKSPACE, Rate, method_rate

JSON_FIELDS = {"blocks", "attachments", "view", "users", "metadata", "files"}
# The bot scopes app_manifest.yml asks for (a test keeps the two in step): granted unless a test says otherwise.
DEFAULT_SCOPES = frozenset(
    {
        "commands",
        "chat:write",
        "channels:history",
        "channels:read",
        "groups:history",
        "groups:read",
        "im:history",
        "im:write",
        "files:write",
        "users:read",
        "users:read.email",
    }
)


@dataclass
class Call:
    """One Web API call the stand-in received."""

    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class Fault:
    """An error to answer instead of the real thing, `count` times."""

    status: int
    count: int
    retry_after: int = 1
    error: str = "ratelimited"


# Methods Slack retired (files.upload on 2025-11-12; rtm.*, the legacy conversation families, dialog.open).
_LEGACY_VERBS = (
    "archive|close|create|createChild|history|info|invite|join|kick|leave|list|mark|open|rename|replies"
    "|setPurpose|setTopic|unarchive"
)
RETIRED_METHODS = re.compile(
    rf"^(files\.upload|rtm\.(connect|start)|(channels|groups|im|mpim)\.({_LEGACY_VERBS})|dialog\.open)$"
)

# Block Kit limits (shared/slack FACTS): what Slack refuses, checked on every message and view the stand-in gets.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
TEXT_LIMITS = {"section": 3000, "header": 150, "markdown": 12_000}
SECTION_FIELDS = 10
FIELD_TEXT = 2000
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
VIEW_TITLE = 24
PRIVATE_METADATA = 3000
ID_LENGTH = 255
OPTION_TEXT, OPTION_VALUE, OPTIONS = 75, 150, 100
BUTTON_TEXT, BUTTON_VALUE, BUTTON_URL = 75, 2000, 3000
INPUT_MAX_LENGTH = 3000
INPUT_LABEL = 2000
TABLE_ROWS, TABLE_COLUMNS = 100, 20


def _text_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value or "")


def _element_problems(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict):
        return []
    problems: list[str] = []

    def over(what: str, value: Any, limit: int) -> None:
        if value is not None and len(_text_of(value)) > limit:
            problems.append(f"{where}: {what} is {len(_text_of(value))} characters (limit {limit})")

    kind = element.get("type")
    over("action_id", element.get("action_id"), ID_LENGTH)
    if kind == "button":
        over("button text", element.get("text"), BUTTON_TEXT)
        over("button value", element.get("value"), BUTTON_VALUE)
        over("button url", element.get("url"), BUTTON_URL)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or [] if isinstance(group, dict) else []
    if len(options) > OPTIONS:
        problems.append(f"{where}: {len(options)} options (limit {OPTIONS})")
    for option in options:
        if isinstance(option, dict):
            over("option text", option.get("text"), OPTION_TEXT)
            over("option value", option.get("value"), OPTION_VALUE)
    if kind == "plain_text_input" and int(element.get("max_length") or 0) > INPUT_MAX_LENGTH:
        problems.append(
            f"{where}: plain_text_input max_length {element['max_length']} (limit {INPUT_MAX_LENGTH})"
        )
    return problems


def _block_problems(block: Any, where: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"{where}: not an object"]
    problems: list[str] = []
    kind = str(block.get("type") or "")
    if len(str(block.get("block_id") or "")) > ID_LENGTH:
        problems.append(f"{where}: block_id over {ID_LENGTH} characters")
    limit = TEXT_LIMITS.get(kind)
    text = _text_of(block.get("text"))
    if limit is not None and len(text) > limit:
        problems.append(f"{where}: {kind} text is {len(text)} characters (limit {limit})")
    fields = block.get("fields") or []
    if len(fields) > SECTION_FIELDS:
        problems.append(f"{where}: {len(fields)} fields (limit {SECTION_FIELDS})")
    problems += [
        f"{where}: a field is {len(_text_of(f))} characters (limit {FIELD_TEXT})"
        for f in fields
        if len(_text_of(f)) > FIELD_TEXT
    ]
    elements = block.get("elements") or []
    if kind == "context" and len(elements) > CONTEXT_ELEMENTS:
        problems.append(f"{where}: {len(elements)} context elements (limit {CONTEXT_ELEMENTS})")
    if kind == "actions" and len(elements) > ACTIONS_ELEMENTS:
        problems.append(f"{where}: {len(elements)} actions elements (limit {ACTIONS_ELEMENTS})")
    if kind == "input" and len(_text_of(block.get("label"))) > INPUT_LABEL:
        problems.append(f"{where}: input label over {INPUT_LABEL} characters")
    if kind == "table":
        rows = block.get("rows") or []
        if len(rows) > TABLE_ROWS or any(len(r) > TABLE_COLUMNS for r in rows if isinstance(r, list)):
            problems.append(f"{where}: table over {TABLE_ROWS} rows or {TABLE_COLUMNS} columns")
    for element in [
        *(elements if kind in {"actions", "input"} else []),
        block.get("accessory"),
        block.get("element"),
    ]:
        problems += _element_problems(element, f"{where} ({kind})")
    return problems


def block_kit_problems(payload: Mapping[str, Any], *, surface: str) -> list[str]:
    """Return what breaks Slack's Block Kit limits in a message (`surface="message"`: text and blocks) or a
    view ("modal", "home"): the view dict itself. Empty when Slack would take it."""
    problems: list[str] = []
    blocks = payload.get("blocks") or []
    if not isinstance(blocks, list):
        return ["blocks is not a list"]
    if surface == "message":
        if len(blocks) > MESSAGE_BLOCKS:
            problems.append(f"{len(blocks)} blocks in a message (limit {MESSAGE_BLOCKS})")
        text = str(payload.get("text") or "")
        if len(text) > MESSAGE_TEXT:
            problems.append(f"message text is {len(text)} characters (limit {MESSAGE_TEXT})")
    else:
        if len(blocks) > VIEW_BLOCKS:
            problems.append(f"{len(blocks)} blocks in a {surface} (limit {VIEW_BLOCKS})")
        for part in ("title", "submit", "close"):
            if len(_text_of(payload.get(part))) > VIEW_TITLE:
                problems.append(f"{surface} {part} over {VIEW_TITLE} characters")
        if len(str(payload.get("private_metadata") or "")) > PRIVATE_METADATA:
            problems.append(f"private_metadata over {PRIVATE_METADATA} characters")
        if len(str(payload.get("callback_id") or "")) > ID_LENGTH:
            problems.append(f"callback_id over {ID_LENGTH} characters")
    for index, block in enumerate(blocks):
        problems += _block_problems(block, f"block {index}")
    return problems


@dataclass(frozen=True)
class SlackLimits:
    """The rate limits the stand-in keeps when asked to: each method's tier, chat.postMessage per channel and
    per workspace (bot.types.outbox holds the numbers)."""

    rates: Callable[[str], Rate | None] = method_rate
    post_per_channel: Rate | None = POST_PER_CHANNEL
    post_per_workspace: Rate | None = POST_PER_WORKSPACE

    def buckets(self, method: str, channel: str | None) -> list[tuple[tuple[str, str], Rate]]:
        """Return the budgets one call draws on: (method, '*') for the workspace, (method, channel) per channel."""
        found: list[tuple[tuple[str, str], Rate]] = []
        if method == POST_METHOD:
            if self.post_per_workspace is not None:
                found.append(((method, "*"), self.post_per_workspace))
            if self.post_per_channel is not None and channel:
                found.append(((method, channel), self.post_per_channel))
            return found
        rate = self.rates(method)
        return [((method, "*"), rate)] if rate is not None else []


def floor_seconds(calls: Mapping[Any, int], limits: SlackLimits | None = None) -> float:
    """Return the least time, in Slack seconds, the limits allow for a mix of calls (each starting with a full
    burst): `calls` counts them by method, or by (chat.postMessage, channel) for posts.

    `{("chat.postMessage", f"U{i}"): 1 for i in range(n)} | {"chat.update": m}` is n DMs and m redraws.
    """
    limits = limits or SlackLimits()
    totals: Counter[tuple[str, str]] = Counter()
    rates: dict[tuple[str, str], Rate] = {}
    for key, count in calls.items():
        method, channel = (key, None) if isinstance(key, str) else key
        for bucket, rate in limits.buckets(method, channel):
            totals[bucket] += count
            rates[bucket] = rate
    return max((max(0.0, (n - rates[b].burst) / rates[b].per_second) for b, n in totals.items()), default=0.0)


class _Bucket:
    """A token bucket in Slack seconds: `burst` tokens, refilled at the rate's pace."""

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.tokens = float(rate.burst)
        self.at = now

    def wait(self, now: float) -> float:
        """Return how long until a token is free (0: one is)."""
        self.tokens = min(float(self.rate.burst), self.tokens + (now - self.at) * self.rate.per_second)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate.per_second


@dataclass
class SlackState:
    """What the stand-in keeps: channels, messages, DMs, views, users and the calls made."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    members_of: set[str] = field(default_factory=set)  # channels the bot is in
    scopes: set[str] = field(default_factory=lambda: set(DEFAULT_SCOPES))
    refused_tokens: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    modals: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    limited: Counter[str] = field(default_factory=Counter)  # 429s served for the rate limits, by method
    oversize: list[str] = field(default_factory=list)  # messages and views refused for Block Kit's limits
    # Block types answered with invalid_blocks, as a workspace whose Slack predates them would.
    refused_blocks: set[str] = field(default_factory=set)


class SlackStandIn(StandInServer):
    """A fake Slack Web API on 127.0.0.1 (port 0 by default) that answers like Slack and records calls."""

    bot_user_id = "U0CCBOT00"
    team_id = "T0CCBOT00"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limits: bool | SlackLimits = False,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """With `rate_limits` (True: Slack's, bot.types.outbox), calls over a limit get HTTP 429 with
        Retry-After (Slack seconds). `time_scale` is Slack seconds per real second: at 60 a Slack minute
        passes in one real second."""
        self.limits = SlackLimits() if rate_limits is True else (rate_limits or None)
        self.time_scale = time_scale
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.state = SlackState()
        self.lock = threading.RLock()
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.fault_every: dict[str, tuple[int, Fault]] = {}
        self._counter = itertools.count(1)
        self._seen: dict[str, int] = defaultdict(int)
        self.delay = 0.0  # seconds each API call takes, to slow Slack down in fault tests
        super().__init__(host, port, name="slack-stand-in")

    @property
    def url(self) -> str:
        """Base URL to give WebClient (`SLACK_API_URL`)."""
        return f"{self.origin}/api/"

    def response_url(self, key: str = "r") -> str:
        """A response_url that records what is posted to it."""
        return f"{self.origin}/response/{key}"

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        tz: str | None = "UTC",
        name: str = "",
        deleted: bool = False,
        is_bot: bool = False,
    ) -> None:
        """Make a Slack user known to users.list, users.info and users.lookupByEmail."""
        with self.lock:
            self.state.users[user_id] = {
                "id": user_id,
                "team_id": self.team_id,
                "name": name.lower().replace(" ", ".") or user_id.lower(),
                "deleted": deleted,
                "is_bot": is_bot,
                "tz": tz,
                "real_name": name,
                "profile": {"email": email, "real_name": name, "display_name": name},
            }

    def add_channel(self, channel_id: str, name: str, *, member: bool = True) -> None:
        """Make a channel known by name, with the bot in it unless `member` is False."""
        with self.lock:
            self.state.channels[channel_id] = name
            if member:
                self.state.members_of.add(channel_id)
            else:
                self.state.members_of.discard(channel_id)

    def grant_scopes(self, scopes: set[str] | frozenset[str]) -> None:
        """Set the scopes the bot token holds (reported in every answer's `x-oauth-scopes` header)."""
        with self.lock:
            self.state.scopes = set(scopes)

    def refuse_token(self, token: str) -> None:
        """Answer every call made with `token` with `invalid_auth`, as Slack does for a revoked token."""
        with self.lock:
            self.state.refused_tokens.add(token)

    def fail(self, method: str, *, status: int = 429, count: int = 1, retry_after: int = 1) -> None:
        """Answer the next `count` calls of `method` with an HTTP error (429 carries Retry-After)."""
        error = "ratelimited" if status == 429 else "internal_error"
        with self.lock:
            self.faults[method].append(
                Fault(status=status, count=count, retry_after=retry_after, error=error)
            )

    def fail_every(self, method: str, nth: int, *, status: int = 429, retry_after: int = 1) -> None:
        """Answer every `nth` call of `method` with an HTTP error, until cleared with nth=0."""
        with self.lock:
            if nth <= 0:
                self.fault_every.pop(method, None)
            else:
                self.fault_every[method] = (nth, Fault(status=status, count=0, retry_after=retry_after))

    def slack_time(self) -> float:
        """Return the stand-in's clock in Slack seconds (real seconds times the time scale)."""
        return self.clock() * self.time_scale

    def rate_limited(self, method: str | None = None) -> int:
        """Return how many calls were answered 429 for the rate limits (of one method, or all)."""
        with self.lock:
            return self.state.limited[method] if method else sum(self.state.limited.values())

    def _over_limit(self, method: str, args: dict[str, Any]) -> int | None:
        """Take a token from each budget the call draws on; return Retry-After (Slack seconds) when one is empty."""
        if self.limits is None:
            return None
        channel = self._channel(str(args.get("channel") or "")) if method == POST_METHOD else None
        now = self.slack_time()
        buckets = []
        for key, rate in self.limits.buckets(method, channel):
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(rate, now)
            buckets.append(bucket)
        wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
        if wait > 0:
            self.state.limited[method] += 1
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    def calls(self, method: str | None = None) -> list[Call]:
        """Return the calls received, optionally only those of one method."""
        with self.lock:
            return [c for c in self.state.calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Return the messages posted, optionally only in one channel (or DM with one user)."""
        with self.lock:
            wanted = self._dm_channel(channel) if channel and channel[0] in "UW" else channel
            return [dict(m) for m in self.state.messages if wanted is None or m["channel"] == wanted]

    def _dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:]

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one Web API call (or a response_url post) as Slack would, recording it."""
        parsed = urlparse(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        # An upload's body is the file itself (a PNG's bytes too): never read as a form.
        if parsed.path.startswith("/upload/"):
            with self.lock:
                file = self.state.files.get(parsed.path.rsplit("/", 1)[1])
                if file is not None:
                    file["content"] = raw.decode("utf-8", errors="replace")
                    # The bytes as sent: a picture's PNG is checked byte for byte.
                    file["data"] = raw
            self.reply(request, 200 if file is not None else 404, {"ok": file is not None})
            return
        args: dict[str, Any] = dict(parse_qsl(parsed.query))
        content_type = request.headers.get("Content-Type") or ""
        if raw and "json" in content_type:
            body = json.loads(raw)
            args.update(body if isinstance(body, dict) else {})
        elif raw:
            args.update(parse_qsl(raw.decode("utf-8")))
        for key in JSON_FIELDS & set(args):
            if isinstance(args[key], str):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        if parsed.path.startswith("/response/"):
            with self.lock:
                self.state.responses.append({"key": parsed.path.rsplit("/", 1)[1], **args})
            self.reply(request, 200, {"ok": True})
            return
        method = parsed.path.removeprefix("/api/").strip("/")
        auth = request.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() or args.pop("token", None)
        with self.lock:
            self.state.calls.append(Call(method=method, args=args, token=token))
            fault = self._next_fault(method)
            refused = token in self.state.refused_tokens
            retry_after = self._over_limit(method, args) if fault is None else None
        if retry_after is not None:
            self.reply(request, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
            return
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
            self.reply(request, fault.status, {"ok": False, "error": fault.error}, headers)
            return
        if not token:
            self.reply(request, 200, {"ok": False, "error": "not_authed"})
            return
        if refused:
            self.reply(request, 200, {"ok": False, "error": "invalid_auth"})
            return
        if self.delay:
            time.sleep(self.delay)
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if RETIRED_METHODS.match(method):
            with self.lock:
                self.state.oversize.append(f"{method}: a retired method")
            self.reply(request, 200, {"ok": False, "error": "method_deprecated"})
            return
        if handler is None:
            self.reply(request, 200, {"ok": False, "error": "unknown_method"})
            return
        with self.lock:
            result = handler(args)
            scopes = ",".join(sorted(self.state.scopes))
        self.reply(request, 200, result, {"x-oauth-scopes": scopes})

    def _next_fault(self, method: str) -> Fault | None:
        self._seen[method] += 1
        every = self.fault_every.get(method)
        if every and self._seen[method] % every[0] == 0:
            return every[1]
        queue = self.faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.count -= 1
        if fault.count <= 0:
            queue.pop(0)
        return fault

    def _ts(self) -> str:
        return f"{time.time():.0f}.{next(self._counter):06d}"

    def _channel(self, channel: str) -> str | None:
        if not channel:
            return None
        if channel[0] in "UW":
            return self._dm_channel(channel)
        return channel

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://ccbot-standin.slack.com/",
            "team": "ccbot",
            "user": "ccbot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "B0CCBOT00",
        }

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(args.get("channel") or ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.state.channels and channel not in self.state.members_of:
            return {"ok": False, "error": "not_in_channel"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        refused = self._check("chat.postMessage", args, "message", "invalid_blocks")
        if refused:
            return refused
        if len(args.get("blocks") or []) > 50 or _blocks_problem(
            args.get("blocks"), self.state.refused_blocks
        ):
            return {"ok": False, "error": "invalid_blocks"}
        message = {
            "channel": channel,
            "ts": self._ts(),
            "thread_ts": args.get("thread_ts"),
            "user": self.bot_user_id,
            "text": args.get("text") or "",
            "blocks": args.get("blocks") or [],
        }
        if isinstance(args.get("metadata"), dict):
            message["metadata"] = args["metadata"]
        self.state.messages.append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._check("chat.postEphemeral", args, "message", "invalid_blocks")
        if refused:
            return refused
        self.state.ephemerals.append(
            {
                "channel": args.get("channel"),
                "user": args.get("user"),
                "text": args.get("text") or "",
                "blocks": args.get("blocks") or [],
            }
        )
        return {"ok": True, "message_ts": self._ts()}

    def _check(
        self, method: str, payload: Mapping[str, Any], surface: str, error: str
    ) -> dict[str, Any] | None:
        problems = block_kit_problems(payload, surface=surface)
        if not problems:
            return None
        self.state.oversize.extend(f"{method}: {problem}" for problem in problems)
        if surface == "message" and len(str(payload.get("text") or "")) > MESSAGE_TEXT and len(problems) == 1:
            error = "msg_too_long"
        return {"ok": False, "error": error, "response_metadata": {"messages": problems[:10]}}

    def _check_view(self, method: str, args: dict[str, Any]) -> dict[str, Any] | None:
        view = args.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        return self._check(method, view, str(view.get("type") or "modal"), "invalid_arguments")

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._check("chat.update", args, "message", "invalid_blocks")
        if refused:
            return refused
        for message in self.state.messages:
            if message["channel"] == args.get("channel") and message["ts"] == args.get("ts"):
                message.update(
                    text=args.get("text") or message["text"], blocks=args.get("blocks") or message["blocks"]
                )
                self.state.updates.append(message)
                return {"ok": True, "channel": message["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _api_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("message_ts") or "").replace(".", "")
        return {
            "ok": True,
            "permalink": f"https://ccbot-standin.slack.com/archives/{args.get('channel')}/p{ts}",
        }

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        if not {"channels:read", "groups:read"} & self.state.scopes:
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": "channels:read,groups:read",
                "provided": ",".join(sorted(self.state.scopes)),
            }
        channel_id = str(args.get("channel") or "")
        name = self.state.channels.get(channel_id)
        if name is None:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": channel_id,
                "name": name,
                "is_channel": True,
                "is_private": False,
                "is_archived": False,
                "is_member": channel_id in self.state.members_of,
            },
        }

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users") or ""
        first = (users if isinstance(users, str) else ",".join(users)).split(",")[0]
        return {"ok": True, "channel": {"id": self._dm_channel(first)}}

    def _history(
        self, channel: str, oldest: float, *, thread_ts: str | None, metadata: bool
    ) -> dict[str, Any]:
        found = []
        for message in self.state.messages:
            if message["channel"] != channel or float(message["ts"]) < oldest:
                continue
            if thread_ts is not None and message.get("thread_ts") != thread_ts and message["ts"] != thread_ts:
                continue
            if thread_ts is None and message.get("thread_ts") and message["thread_ts"] != message["ts"]:
                continue
            shown = {k: v for k, v in message.items() if k != "metadata" or metadata}
            found.append(shown)
        return {"ok": True, "messages": list(reversed(found))}

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(args.get("channel") or "")) or ""
        metadata = str(args.get("include_all_metadata")).lower() in {"1", "true"}
        return self._history(channel, float(args.get("oldest") or 0), thread_ts=None, metadata=metadata)

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(args.get("channel") or "")) or ""
        metadata = str(args.get("include_all_metadata")).lower() in {"1", "true"}
        return self._history(
            channel, float(args.get("oldest") or 0), thread_ts=str(args.get("ts")), metadata=metadata
        )

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.state.users.get(str(args.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _api_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        # Slack pages by an opaque cursor; here, the id of the next member to send. No limit: everyone at once.
        try:
            limit = int(args.get("limit") or 0)
        except ValueError:
            return {"ok": False, "error": "invalid_limit"}
        ids = sorted(self.state.users)
        start = 0
        cursor = str(args.get("cursor") or "")
        if cursor:
            try:
                after = base64.b64decode(cursor.encode(), validate=True).decode().removeprefix("user:")
            except (ValueError, UnicodeDecodeError):
                return {"ok": False, "error": "invalid_cursor"}
            start = bisect.bisect_left(ids, after)
        end = len(ids) if limit <= 0 else start + min(limit, 1000)
        members = [self.state.users[user_id] for user_id in ids[start:end]]
        next_cursor = base64.b64encode(f"user:{ids[end]}".encode()).decode() if end < len(ids) else ""
        return {
            "ok": True,
            "members": members,
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _api_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email") or "").lower()
        for user in self.state.users.values():
            if (user["profile"].get("email") or "").lower() == email:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._counter):08d}"
        self.state.files[file_id] = {
            "id": file_id,
            "name": str(args.get("filename") or ""),
            "content": None,
            "data": None,
            "alt_txt": args.get("alt_txt"),
            "length": int(args.get("length") or 0),
        }
        return {"ok": True, "file_id": file_id, "upload_url": self.url.replace("/api/", f"/upload/{file_id}")}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        shared = []
        channel = self._channel(str(args.get("channel_id") or ""))
        for entry in args.get("files") or []:
            file = self.state.files.get(str(entry.get("id")))
            if file is None or file["content"] is None:
                return {"ok": False, "error": "file_not_found"}
            file.update(title=entry.get("title") or file["name"], channel=channel)
            shared.append({"id": file["id"], "name": file["name"], "title": file["title"]})
            if channel:
                self.state.messages.append(
                    {
                        "channel": channel,
                        "ts": self._ts(),
                        "thread_ts": args.get("thread_ts"),
                        "user": self.bot_user_id,
                        "text": str(args.get("initial_comment") or f"(file: {file['name']})"),
                        "blocks": [],
                        "files": [{"id": file["id"], "name": file["name"]}],
                    }
                )
        return {"ok": True, "files": shared}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._check_view("views.open", args)
        if refused:
            return refused
        view = dict(args.get("view") or {})
        view["id"] = f"V{next(self._counter):08d}"
        self.state.modals[view["id"]] = view
        return {"ok": True, "view": view}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        if view_id not in self.state.modals:
            return {"ok": False, "error": "not_found"}
        refused = self._check_view("views.update", args)
        if refused:
            return refused
        view = dict(args.get("view") or {}, id=view_id)
        self.state.modals[view_id] = view
        return {"ok": True, "view": view}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._api_views_open(args)

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._check_view("views.publish", args)
        if refused:
            return refused
        view = dict(args.get("view") or {})
        self.state.home_views[str(args.get("user_id"))] = view
        return {"ok": True, "view": view}


def main() -> None:
    """Serve the stand-in on its own (`python -m bot.slack_standin --port 8081`) for `ccbot serve` to talk to."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="A local stand-in for Slack's Web API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--rate-limits",
        action="store_true",
        default=os.environ.get("SLACK_STANDIN_RATE_LIMITS", "") not in {"", "0", "false"},
        help="answer calls over Slack's rate limits with 429 and Retry-After (env SLACK_STANDIN_RATE_LIMITS=1)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=float(os.environ.get("SLACK_STANDIN_TIME_SCALE") or 1),
        help="Slack seconds per real second for the rate limits (env SLACK_STANDIN_TIME_SCALE)",
    )
    parser.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="ID[:NAME]",
        help="a channel the bot is in (repeatable)",
    )
    args = parser.parse_args()
    stand_in = SlackStandIn(
        args.host, args.port, rate_limits=args.rate_limits, time_scale=args.time_scale
    ).start()
    for channel in args.channel:
        channel_id, _, name = channel.partition(":")
        stand_in.add_channel(channel_id, name or channel_id.lower())
    print(f"Slack stand-in on {stand_in.url}: set SLACK_API_URL={stand_in.url} (Ctrl-C stops it)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stand_in.stop()


if __name__ == "__main__":
    main()


TABLE_CELLS = {"raw_text", "rich_text", "raw_number"}


def _blocks_problem(blocks: Any, refused: set[str]) -> str | None:
    """Return what Slack would refuse in a message's blocks: a refused type, or a table out of its limits
    (one a message, at most 100 rows of at most 20 cells, each raw_text, raw_number or rich_text)."""
    if not isinstance(blocks, list):
        return None
    kinds = [b.get("type") for b in blocks if isinstance(b, dict)]
    if refused & set(kinds):
        return "refused block type"
    tables = [b for b in blocks if isinstance(b, dict) and b.get("type") == "table"]
    if len(tables) > 1:
        return "only one table a message"
    for table in tables:
        rows = table.get("rows")
        if not isinstance(rows, list) or not 1 <= len(rows) <= 100:
            return "a table has 1 to 100 rows"
        for row in rows:
            if not isinstance(row, list) or not 1 <= len(row) <= 20:
                return "a row has 1 to 20 cells"
            if any(not isinstance(c, dict) or c.get("type") not in TABLE_CELLS for c in row):
                return "a cell is raw_text, raw_number or rich_text"
    return None
