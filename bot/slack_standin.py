"""An in-process stand-in for Slack's Web API over real HTTP, for the console, the tests and the benchmarks."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlparse

from bot.standin_server import StandInServer

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
    # Block types answered with invalid_blocks, as a workspace whose Slack predates them would.
    refused_blocks: set[str] = field(default_factory=set)


class SlackStandIn(StandInServer):
    """A fake Slack Web API on 127.0.0.1 (port 0 by default) that answers like Slack and records calls."""

    bot_user_id = "U0CCBOT00"
    team_id = "T0CCBOT00"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
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

    def add_user(self, user_id: str, *, email: str | None = None, tz: str = "UTC", name: str = "") -> None:
        """Make a Slack user known to users.info and users.lookupByEmail."""
        with self.lock:
            self.state.users[user_id] = {
                "id": user_id,
                "tz": tz,
                "real_name": name,
                "profile": {"email": email, "real_name": name},
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
        self.state.ephemerals.append(
            {
                "channel": args.get("channel"),
                "user": args.get("user"),
                "text": args.get("text") or "",
                "blocks": args.get("blocks") or [],
            }
        )
        return {"ok": True, "message_ts": self._ts()}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
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
        view = dict(args.get("view") or {})
        view["id"] = f"V{next(self._counter):08d}"
        self.state.modals[view["id"]] = view
        return {"ok": True, "view": view}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = str(args.get("view_id") or "")
        if view_id not in self.state.modals:
            return {"ok": False, "error": "not_found"}
        view = dict(args.get("view") or {}, id=view_id)
        self.state.modals[view_id] = view
        return {"ok": True, "view": view}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._api_views_open(args)

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = dict(args.get("view") or {})
        if len(view.get("blocks") or []) > 100:
            return {"ok": False, "error": "invalid_arguments"}
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
        "--channel",
        action="append",
        default=[],
        metavar="ID[:NAME]",
        help="a channel the bot is in (repeatable)",
    )
    args = parser.parse_args()
    stand_in = SlackStandIn(args.host, args.port).start()
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
