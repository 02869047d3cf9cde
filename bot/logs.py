"""Logging: text or JSON lines on stderr, each carrying its request or job run id, secrets redacted.

Every line goes through `redact` (production and personal data) and loses the deployment's own secrets, whatever
their shape; the addresses of this machine (loopback, every interface, the one `serve` binds) stay readable.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import logging
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, Concatenate, ParamSpec, TextIO, TypeVar

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.services.redaction import MARK, redact
from bot.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("ccbot_request_id", default=None)
JOB_RUN_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("ccbot_job_run_id", default=None)
HANDLER_NAME = "ccbot"

# An extra whose key contains one of these is never written: secrets, and what people typed or are.
SENSITIVE_KEYS = (
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "auth",
    "cookie",
    "signature",
    "credential",
    "email",
    "phone",
    "text",
    "body",
    "content",
    "blocks",
    "details",
    "summary",
    "question",
    "real_name",
    "user_name",
    "username",
    "address",
)
# Library loggers are held at least at these levels: below them they chatter, or print request bodies.
LIBRARY_LEVELS = {
    "alembic": logging.WARNING,
    "apscheduler": logging.WARNING,
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "urllib3": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "uvicorn.access": logging.WARNING,
}
# Library warnings that say nothing about the deployment (Bolt's, when SLACK_BOT_TOKEN is in the
# environment and we hand it a client built from that same token).
NOISE = frozenset({"As you gave `client` as well, `token` will be unused."})
_RECORD_FIELDS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName", "request_id", "job_run_id", "color_message"}
)


# Addresses that name this machine or all its interfaces, never a person: 127.0.0.0/8, 0.0.0.0, ::1, ::.
LOCAL_ADDRESSES = r"(?:127(?:\.\d{1,3}){3}|0\.0\.0\.0)(?!\.?\d)|(?<=\[)::1?(?=\])|::1(?![\w:])"
# A secret shorter than this is not looked for in log lines: it would cut ordinary words.
MIN_SECRET = 6
_PLACEHOLDER = "ccbotaddress{}x"


def configured_secrets(settings: Settings) -> tuple[str, ...]:
    """Return the secret values these settings hold: tokens, webhook secrets, the key, URL passwords."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and name != "database_url":
            values.append(value.get_secret_value())
    for url in (settings.database_url.get_secret_value(), settings.slack_api_url, settings.github_api_url):
        try:
            parsed = make_url(url)
        except ArgumentError:
            continue
        values.append(parsed.password or "")
    # A multi-line secret (a PEM key) is also looked for line by line, as a traceback may show one line.
    lines = [line.strip() for value in values if "\n" in value for line in value.splitlines()]
    values += [line for line in lines if not line.startswith("-----")]
    return tuple(sorted({v for v in values if len(v) >= MIN_SECRET}, key=len, reverse=True))


class Scrubber:
    """Makes text fit for a log: `redact`, then the deployment's own secrets; this machine's addresses kept."""

    def __init__(self, secrets: tuple[str, ...] = (), bind_host: str | None = None) -> None:
        self.secrets = secrets
        own = [re.escape(bind_host)] if bind_host and bind_host.strip("[]") else []
        self.local = re.compile(rf"(?<![\w.:])(?:{'|'.join([*own, LOCAL_ADDRESSES])})(?![\w-])")

    def __call__(self, text: str) -> str:
        """Return `text` redacted, without any configured secret."""
        kept: list[str] = []
        if _PLACEHOLDER.format("") not in text:

            def hold(match: re.Match[str]) -> str:
                kept.append(match[0])
                return _PLACEHOLDER.format(len(kept) - 1)

            text = self.local.sub(hold, text)
        text = redact(text)
        for index, address in enumerate(kept):
            text = text.replace(_PLACEHOLDER.format(index), address)
        for secret in self.secrets:
            text = text.replace(secret, MARK)
        return text


SCRUB = Scrubber()


def new_id(prefix: str) -> str:
    """Return a short random id such as `req-1a2b3c4d`."""
    return f"{prefix}-{secrets.token_hex(4)}"


@contextmanager
def request_context(request_id: str | None = None) -> Iterator[str]:
    """Tag every log line written inside the block (and in threads it starts) with a request id."""
    value = request_id or new_id("req")
    token = REQUEST_ID.set(value)
    try:
        yield value
    finally:
        REQUEST_ID.reset(token)


@contextmanager
def job_run_context(job: str) -> Iterator[str]:
    """Tag every log line written inside the block with a fresh run id of `job`."""
    value = new_id(job)
    token = JOB_RUN_ID.set(value)
    try:
        yield value
    finally:
        JOB_RUN_ID.reset(token)


@contextmanager
def job_run(job: str) -> Iterator[str]:
    """Yield the id of the job run in progress, starting a run of `job` with a fresh id when none is."""
    current = JOB_RUN_ID.get()
    if current is not None:
        yield current
        return
    with job_run_context(job) as value:
        yield value


def in_request(func: Callable[P, T]) -> Callable[P, T]:
    """Run each call of `func` as a request of its own, with a fresh request id."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with request_context():
            return func(*args, **kwargs)

    return wrapper


def in_job_run(func: Callable[Concatenate[str, P], T]) -> Callable[Concatenate[str, P], T]:
    """Run each call of `func(job_name, ...)` as a job run of its own, with a fresh run id."""

    @functools.wraps(func)
    def wrapper(name: str, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with job_run_context(name):
            return func(name, *args, **kwargs)

    return wrapper


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitter's context, so their log lines keep its ids."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Schedule `fn` to run in a copy of the calling thread's context."""
        context = contextvars.copy_context()

        def run() -> T:
            return context.run(fn, *args, **kwargs)

        return super().submit(run)


def redact_value(key: str, value: Any, scrub: Callable[[str], str] = SCRUB) -> Any:
    """Return `value` fit for a log: hidden under a sensitive key, else with secrets in its text redacted.

    Numbers are kept under any key: they are counts and lengths (a payload's shape), not content.
    """
    if isinstance(value, bool | int | float) or value is None:
        return value
    if any(part in key.lower() for part in SENSITIVE_KEYS):
        return MARK
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(str(k), v, scrub) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(key, item, scrub) for item in value]
    return scrub(str(value))


def payload_shape(args: Mapping[str, Any]) -> dict[str, Any]:
    """Describe a Slack API payload without its content: its keys, how many blocks, how long each text."""
    shape: dict[str, Any] = {"keys": sorted(str(key) for key in args)}
    lengths: dict[str, int] = {}
    for key, value in args.items():
        if isinstance(value, str) and key in {"blocks", "attachments", "view"}:
            with suppress(ValueError):
                value = json.loads(value)
        if key in {"blocks", "attachments"} and isinstance(value, list):
            shape[key] = len(value)
        elif key == "view" and isinstance(value, Mapping):
            shape["view_blocks"] = len(value.get("blocks") or [])
        elif isinstance(value, str):
            lengths[str(key)] = len(value)
    if lengths:
        shape["lengths"] = lengths
    return shape


def slack_request_shape(request: Mapping[str, Any]) -> dict[str, Any]:
    """Describe a WebClient request (its params, JSON or form data; never its headers) by shape only."""
    merged: dict[str, Any] = {}
    for part in ("params", "json", "data"):
        value = request.get(part)
        if isinstance(value, Mapping):
            merged.update(value)
    return payload_shape(merged)


class ContextFilter(logging.Filter):
    """Stamps each record with the request id and job run id of the thread that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add `request_id` and `job_run_id` (None when outside a request or job run)."""
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        if getattr(record, "job_run_id", None) is None:
            record.job_run_id = JOB_RUN_ID.get()
        return True


class NoiseFilter(logging.Filter):
    """Drops library warnings that say nothing about this deployment."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but the known noise."""
        return not (isinstance(record.msg, str) and record.msg in NOISE)


def _extras(record: logging.LogRecord, scrub: Scrubber) -> dict[str, Any]:
    return {
        key: redact_value(key, value, scrub)
        for key, value in record.__dict__.items()
        if key not in _RECORD_FIELDS and not key.startswith("_")
    }


def _ids(record: logging.LogRecord) -> dict[str, str]:
    ids = {
        "request_id": getattr(record, "request_id", None),
        "job_run_id": getattr(record, "job_run_id", None),
    }
    return {key: str(value) for key, value in ids.items() if value}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the work's ids, extras; all redacted."""

    def __init__(self, *, tracebacks: bool = True, scrub: Scrubber = SCRUB) -> None:
        super().__init__()
        self.tracebacks = tracebacks
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.scrub(record.getMessage()),
        }
        entry.update(_ids(record))
        entry.update(_extras(record, self.scrub))
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = _exception(self, record, tracebacks=self.tracebacks, scrub=self.scrub)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [ids]: message key=value...` for a person at a terminal; redacted like JSON."""

    def __init__(self, *, tracebacks: bool = True, scrub: Scrubber = SCRUB) -> None:
        super().__init__()
        self.tracebacks = tracebacks
        self.scrub = scrub

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as text (a traceback follows on its own lines when there is one)."""
        when = dt.datetime.fromtimestamp(record.created).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        ids = " ".join(f"{value}" for value in _ids(record).values())
        line = f"{when} {record.levelname} {record.name}{f' [{ids}]' if ids else ''}: "
        line += self.scrub(record.getMessage())
        for key, value in _extras(record, self.scrub).items():
            line += f" {key}={json.dumps(value, default=str, ensure_ascii=False)}"
        if record.exc_info and record.exc_info[1] is not None:
            separator = "\n" if self.tracebacks else " | "
            line += separator + _exception(self, record, tracebacks=self.tracebacks, scrub=self.scrub)
        return line


def _exception(
    formatter: logging.Formatter, record: logging.LogRecord, *, tracebacks: bool, scrub: Scrubber
) -> str:
    assert record.exc_info is not None
    error = record.exc_info[1]
    if not tracebacks:
        return scrub(f"{error.__class__.__name__}: {error}".splitlines()[0])
    return scrub(formatter.formatException(record.exc_info))


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def configure_logging(
    settings: Settings | None = None,
    *,
    stream: TextIO | None = None,
    level: int = logging.INFO,
    tracebacks: bool = True,
    bind_host: str | None = None,
) -> str:
    """Send log records to stderr as text or JSON lines (CCBOT_LOG_FORMAT); return the format used.

    `bind_host` is the address `serve` listens on: shown as it is, like loopback addresses.
    """
    stream = stream if stream is not None else sys.stderr
    chosen = (settings.log_format if settings else None) or ("text" if _is_terminal(stream) else "json")
    handler = logging.StreamHandler(stream)
    formatter = JsonFormatter if chosen == "json" else TextFormatter
    scrub = Scrubber(configured_secrets(settings) if settings else (), bind_host)
    handler.setFormatter(formatter(tracebacks=tracebacks, scrub=scrub))
    handler.addFilter(ContextFilter())
    handler.addFilter(NoiseFilter())
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(level, floor))
    return chosen
