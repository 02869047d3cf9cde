"""The outbox: the one path by which the bot sends anything on its own.

A decision and the messages it implies are committed together (`commit`); delivery comes after
(`deliver_pending`), from the handler that decided, from any job, or from the next process after a
crash. A message either posts (and, with a `subject`, records where that thing now lives in Slack),
redraws a posting, or uploads a file; a message with `after` waits for that subject's posting and can
go into its thread or link to it.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlmodel import Session

from bot.types.keys import Kind, message_key, redraw_key
from bot.types.outbox import (
    LINK_TO_POSTING,
    PERMALINK,
    POST_METHOD,
    POST_PER_CHANNEL,
    REASON,
    Rate,
    lane_of,
    method_rate,
)
from bot.views.text import Mrkdwn, escape, join, mrkdwn, stored
from storage import outbox as store
from storage.models import OutboxLane, OutboxMessage, OutboxOp, OutboxStatus, SlackPosting

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died before recording the send.
CLAIM_LEASE = dt.timedelta(minutes=10)
# Jobs deliver with this many threads, so one recipient's Retry-After does not hold up the rest.
DELIVERY_WORKERS = 8
# Transient failures (5xx, timeouts, rate limits past the client's own retries) back off up to this...
MAX_BACKOFF = dt.timedelta(minutes=30)
# ...and are retried for this long after the message was decided before it is given up.
RETRY_WINDOW = dt.timedelta(days=1)
# How often one send waits out a 429 (recorded in the shared budget) before it backs off like any failure.
RATE_LIMITED_TRIES = 5
# How often one pass re-tries messages whose posting appeared during that pass.
DEPENDENCY_PASSES = 3


class FileContent(str):
    """The content of a file the outbox uploads: plain text, never read as mrkdwn (so never escaped)."""

    __slots__ = ()


class DeliveryFailed(Exception):
    """Slack refused a message: `permanent` when retrying cannot help; `uncertain` when it may have been sent;
    `retry_after` (Slack seconds) when Slack said the call was over its rate limit."""

    def __init__(
        self, reason: str, *, permanent: bool, uncertain: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.uncertain = uncertain
        self.retry_after = retry_after


def wall_clock() -> float:
    """Return the real time in seconds since the epoch (the same on every instance; no test freezes it)."""
    return time.clock_gettime(time.CLOCK_REALTIME)


# The budget counts on a little less than Slack allows: this share of the rate...
RATE_MARGIN = 0.95
# ...and, of each burst, this share is never used (a call can reach Slack a little later than it was timed).
BURST_SPARE = 0.2
# Of what remains of a burst, this share is kept for interactive messages: bulk campaigns never use it.
INTERACTIVE_RESERVE = 0.5


@dataclass(frozen=True)
class Budget:
    """The Slack sending budget, shared by every instance through the database (storage.outbox.take_budget).

    Each Slack method has a budget for the workspace ('*'), and chat.postMessage one per channel too, paced at
    the rates of bot.types.outbox. Interactive messages may use more of a burst than bulk ones, so a campaign
    running at the limit leaves room for what a person is waiting for. `time_scale` is Slack seconds per real
    second (a benchmark against a time-scaled stand-in); `max_wait` the real seconds a send waits for budget
    before giving its message back to the queue.
    """

    time_scale: float = 1.0
    clock: Callable[[], float] = wall_clock
    max_wait: float = 60.0
    rates: Callable[[str], Rate | None] = method_rate
    post_per_channel: Rate = POST_PER_CHANNEL

    def now(self) -> float:
        """Return the budget's clock in Slack seconds."""
        return self.clock() * self.time_scale

    def draws(
        self, calls: Sequence[tuple[str, str]], lane: OutboxLane
    ) -> list[tuple[str, str, float, float]]:
        """Return (method, scope, interval, tolerance) for each budget these calls draw on."""
        found = []
        for method, scope in calls:
            rate = self.post_per_channel if scope != "*" else self.rates(method)
            if rate is None:
                continue
            interval = 1 / (rate.per_second * RATE_MARGIN)
            usable = max(0, rate.burst - 1 - math.ceil(rate.burst * BURST_SPARE))
            if lane == OutboxLane.BULK:
                usable = max(0, usable - math.ceil(usable * INTERACTIVE_RESERVE))
            found.append((method, scope, interval, usable * interval))
        return found


@dataclass(frozen=True)
class Posted:
    """Where a message landed: its channel (a DM's channel id for a DM) and ts."""

    channel: str
    ts: str


class Messenger(Protocol):
    """Slack as the outbox sees it; each method raises DeliveryFailed when Slack refuses."""

    def post(
        self, *, channel: str, text: str, blocks: list[dict[str, Any]], thread_ts: str | None, key: str
    ) -> Posted: ...

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None: ...

    def find_sent(
        self, *, channel: str, key: str, thread_ts: str | None, since: dt.datetime
    ) -> Posted | None: ...

    def upload(
        self, *, channel: str, file_name: str, content: str | bytes, comment: str, alt_text: str = ""
    ) -> str: ...

    def permalink(self, *, channel: str, ts: str) -> str | None: ...


@dataclass(frozen=True)
class Outgoing:
    """A message to send: `key` makes it unique (kind, subject, recipient, period).

    `text` is the notification text, built by `bot.views.text.mrkdwn` from escaped parts; for an upload it is
    the file's content (`FileContent`), which nobody reads as mrkdwn, or, for a binary file (`data`, a chart's
    PNG), the file's alt text.
    """

    key: str
    kind: str
    channel: str
    text: Mrkdwn | FileContent
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    file_name: str | None = None
    op: OutboxOp = OutboxOp.POST
    subject: str | None = None
    after: str | None = None
    in_thread: bool = False
    fallback: Outgoing | None = None
    # Not delivered before this instant (a reminder held for its recipient's quiet, or snoozed).
    not_before: dt.datetime | None = None
    # A binary file's bytes (an upload of a picture); `text` is then its alt text.
    data: bytes | None = None


def _blocks(blocks: Sequence[Any] | None) -> list[dict[str, Any]]:
    return [b if isinstance(b, dict) else b.to_dict() for b in (blocks or [])]


def dm(
    kind: Kind | str,
    parts: Sequence[object],
    user_id: str | None,
    text: Mrkdwn,
    *,
    blocks: Sequence[Any] | None = None,
    after: str | None = None,
    subject: str | None = None,
) -> Outgoing | None:
    """Return a direct message (None when the person has no Slack id); `after` waits for, and may link to, a posting."""
    if not user_id:
        return None
    return _message(kind, parts, user_id, text, blocks=_blocks(blocks), after=after, subject=subject)


def post(
    kind: Kind | str,
    parts: Sequence[object],
    channel: str | None,
    text: Mrkdwn,
    *,
    blocks: Sequence[Any] | None = None,
    subject: str | None = None,
    fallback: Outgoing | None = None,
) -> Outgoing | None:
    """Return a post in a channel (None when the channel is not configured); with `subject`, it becomes a posting."""
    if not channel:
        return None
    return _message(kind, parts, channel, text, blocks=_blocks(blocks), subject=subject, fallback=fallback)


def upload(
    kind: Kind | str, parts: Sequence[object], channel: str | None, file_name: str, content: str
) -> Outgoing | None:
    """Return a file to upload to a channel (None when the channel is not configured); its content is plain text."""
    if not channel:
        return None
    return _message(kind, parts, channel, FileContent(content), file_name=file_name, op=OutboxOp.UPLOAD)


def upload_picture(
    kind: Kind | str, parts: Sequence[object], channel: str | None, file_name: str, data: bytes, alt_text: str
) -> Outgoing | None:
    """Return a picture (a PNG's bytes) to upload to a channel, with the alt text saying what it shows in words
    (None when the channel is not configured)."""
    if not channel:
        return None
    return _message(
        kind, parts, channel, FileContent(alt_text), file_name=file_name, op=OutboxOp.UPLOAD, data=data
    )


def _message(
    kind: Kind | str, parts: Sequence[object], channel: str, text: Mrkdwn | FileContent, **fields: Any
) -> Outgoing:
    return Outgoing(key=message_key(kind, *parts), kind=str(kind), channel=channel, text=text, **fields)


def reply(kind: Kind | str, parts: Sequence[object], subject: str, text: Mrkdwn) -> Outgoing:
    """Return a message in the thread of a posting (sent once the posting exists)."""
    return Outgoing(
        key=message_key(kind, *parts), kind=str(kind), channel="", text=text, after=subject, in_thread=True
    )


def redraw(subject: str, text: Mrkdwn, blocks: Sequence[Any]) -> Outgoing:
    """Return the redraw of a posting; a later redraw of the same posting replaces one not yet sent."""
    return Outgoing(
        key=redraw_key(subject),
        kind=str(Kind.REDRAW),
        channel="",
        text=text,
        blocks=_blocks(blocks),
        op=OutboxOp.UPDATE,
        subject=subject,
    )


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    waiting: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        """Add another report's counts to this one."""
        self.sent += other.sent
        self.retrying += other.retrying
        self.waiting += other.waiting
        self.failed.extend(other.failed)

    @property
    def worked(self) -> bool:
        """Whether the pass sent, retried or gave up anything (messages only waiting for their hour do not count)."""
        return bool(self.sent or self.retrying or self.failed)

    def __str__(self) -> str:
        return f"{self.sent} message(s) sent, {self.retrying} to retry, {len(self.failed)} failed"


def _values(message: Outgoing, now: dt.datetime) -> dict[str, Any]:
    """Return the outbox row of a message as column values (every column a new row sets)."""
    return {
        "key": message.key,
        "kind": message.kind[:32],
        "op": message.op,
        "lane": lane_of(message.kind),
        "channel": message.channel,
        "thread_ts": message.thread_ts,
        "subject": message.subject,
        "after": message.after,
        "in_thread": message.in_thread,
        "text": message.text,
        "blocks": message.blocks,
        "file_name": message.file_name,
        "data": message.data,
        "fallback": _encode(message.fallback) if message.fallback else None,
        # A held message counts as decided when it falls due, so its retry window starts then.
        "created_at": max(now, message.not_before or now),
        "next_attempt_at": message.not_before,
        "status": OutboxStatus.PENDING,
        "version": 0,
        "attempts": 0,
    }


def _row(message: Outgoing, now: dt.datetime) -> OutboxMessage:
    return OutboxMessage(**_values(message, now))


def _encode(message: Outgoing) -> dict[str, Any]:
    data = asdict(message)
    data["fallback"] = None
    data.pop("not_before", None)
    # A fallback is a message in words: a picture falls back to text, never to another picture.
    data.pop("data", None)
    return data


def enqueue(session: Session, messages: Iterable[Outgoing | None], *, now: dt.datetime) -> int:
    """Write messages to the outbox (without committing); return how many were new or redrawn."""
    added = 0
    # New messages are inserted in batches (each once, as `store.add_messages` does); a redraw replaces one row,
    # after the messages before it, so rows keep the order they were decided in.
    rows: list[dict[str, Any]] = []
    for message in messages:
        if message is None:
            continue
        if message.op == OutboxOp.UPDATE:
            added += store.add_messages(session, rows)
            rows = []
            added += store.replace_message(session, _row(message, now))
        else:
            rows.append(_values(message, now))
    return added + store.add_messages(session, rows)


def commit(session: Session, messages: Iterable[Outgoing | None], *, now: dt.datetime) -> tuple[str, ...]:
    """The unit of work: queue a decision's messages and commit them with it; return their keys to deliver."""
    wanted = [m for m in messages if m is not None]
    enqueue(session, wanted, now=now)
    session.commit()
    return tuple(m.key for m in wanted)


def deliver_pending(
    session: Session,
    messenger: Messenger,
    *,
    now: dt.datetime,
    limit: int = 1000,
    keys: Sequence[str] | None = None,
    workers: int = 1,
    budget: Budget | None = None,
) -> DeliveryReport:
    """Send pending messages, each claimed in its own transaction so two workers never send one twice.

    Interactive messages go first; a bulk send first delivers any interactive message that came in meanwhile.
    With a `budget`, every send waits for its share of Slack's rate limits, shared with every other instance,
    and a Retry-After Slack answers is kept there for all of them.
    With `workers` > 1 the messages go out in parallel threads (each with its own session), so one
    recipient's Retry-After does not hold up the others. Messages waiting for a posting made in the
    same pass go out in a following pass.
    """
    report = DeliveryReport()
    stale_before = now - CLAIM_LEASE
    wanted = list(keys) if keys is not None else None
    if wanted == []:
        return report
    for _ in range(DEPENDENCY_PASSES):
        ids = store.list_deliverable_ids(
            session, stale_before=stale_before, now=now, limit=limit, keys=wanted
        )
        session.commit()
        if not ids:
            break
        this_pass = _deliver_ids(
            session, ids, messenger, now=now, stale_before=stale_before, workers=workers, budget=budget
        )
        report.sent += this_pass.sent
        report.retrying += this_pass.retrying
        report.failed.extend(this_pass.failed)
        report.waiting = this_pass.waiting
        # Another pass when this one posted something: messages waiting for those postings (some decided by
        # other requests meanwhile) can go now.
        if not this_pass.sent:
            break
    return report


def _deliver_ids(
    session: Session,
    ids: list[int],
    messenger: Messenger,
    *,
    now: dt.datetime,
    stale_before: dt.datetime,
    workers: int,
    budget: Budget | None,
) -> DeliveryReport:
    report = DeliveryReport()
    send = _Sender(messenger, now=now, stale_before=stale_before, budget=budget)
    if workers <= 1 or len(ids) <= 1:
        for message_id in ids:
            send(session, message_id, report)
        return report
    bind = session.get_bind()
    lock = threading.Lock()

    def work(message_id: int) -> None:
        local = DeliveryReport()
        with Session(bind, expire_on_commit=False) as own:
            send(own, message_id, local)
        with lock:
            report.add(local)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox") as pool:
        # Each task runs in a copy of this thread's context, so its log lines keep the request or job run id.
        for future in [pool.submit(contextvars.copy_context().run, work, i) for i in ids]:
            future.result()
    return report


_BULK_TURN = threading.Lock()
# Calls a bulk send took from the shared budget beyond its own, for the next bulk sends of this process.
_BULK_TAKEN: dict[tuple[tuple[str, str, float, float], ...], tuple[int, float]] = {}
# At most this many at once.
BULK_BATCH = 5


@dataclass
class _Sender:
    """Delivers claimed messages one at a time (from any number of threads), within the budget."""

    messenger: Messenger
    now: dt.datetime
    stale_before: dt.datetime
    budget: Budget | None
    # Messages this pass already tried: a reply waiting for its posting is not tried again before each bulk send.
    tried: set[int] = field(default_factory=set)

    def __call__(self, session: Session, message_id: int, report: DeliveryReport) -> None:
        """Deliver one message."""
        _deliver_one(session, message_id, self, report=report)

    def serve_interactive(self, session: Session, report: DeliveryReport) -> None:
        """Deliver the interactive messages waiting now (a bulk send gives way to them)."""
        # Interactive work decided during the pass has no next_attempt_at: due at the pass's instant too.
        now = self.now
        if not store.has_deliverable(
            session, OutboxLane.INTERACTIVE, stale_before=self.stale_before, now=now
        ):
            session.commit()
            return
        ids = store.list_deliverable_ids(
            session, stale_before=self.stale_before, now=now, limit=100, lane=OutboxLane.INTERACTIVE
        )
        session.commit()
        for other in ids:
            if other not in self.tried:
                _deliver_one(session, other, self, report=report)

    def wait_for_budget(self, session: Session, calls: Sequence[tuple[str, str]], lane: OutboxLane) -> float:
        """Wait until the budget gives these calls their share; return 0, or the Slack seconds still to wait
        when that is longer than the budget's `max_wait`."""
        budget = self.budget
        if budget is None or not calls:
            return 0.0
        draws = budget.draws(calls, lane)
        # One bulk send per process waits on the shared budget at a time (the others queue here, not in the
        # database); an interactive send never queues behind them.
        bulk = lane == OutboxLane.BULK
        with _BULK_TURN if bulk else contextlib.nullcontext():
            key = tuple(draws)
            left, until = _BULK_TAKEN.get(key, (0, 0.0))
            if bulk and left > 0 and budget.now() <= until:
                _BULK_TAKEN[key] = (left - 1, until)
                return 0.0
            # A bulk send takes a few calls' worth at once (within its share of the burst), to spare the database.
            count = min(
                BULK_BATCH, *(max(1, int(tolerance / interval)) for _, _, interval, tolerance in draws)
            )
            count = count if bulk else 1
            waited = 0.0
            while True:
                wait = store.take_budget(session, draws, now=budget.now(), count=count)
                if wait <= 0:
                    if count > 1:
                        # Used within the span they were taken for, or not at all (never a burst on top of one).
                        span = min(interval for _, _, interval, _ in draws) * count
                        _BULK_TAKEN[key] = (count - 1, budget.now() + span)
                    return 0.0
                real = wait / budget.time_scale
                if waited + real > budget.max_wait:
                    return wait
                time.sleep(real)
                waited += real

    def hold(self, session: Session, calls: Sequence[tuple[str, str]], retry_after: float) -> None:
        """Record Slack's Retry-After in the shared budget, so that every instance waits it out."""
        if self.budget is None or not calls:
            return
        now = self.budget.now()
        draws = self.budget.draws(calls, OutboxLane.INTERACTIVE)
        store.hold_budget(session, [(m, s, now + retry_after + tolerance) for m, s, _, tolerance in draws])


def _calls(message: OutboxMessage, posting: SlackPosting | None) -> list[tuple[str, str]]:
    """Return the Slack calls (method, channel or '*') delivering a message makes, for the budget."""
    if message.op == OutboxOp.UPDATE:
        return [("chat.update", "*")]
    if message.op == OutboxOp.UPLOAD or message.file_name:
        return [("files.getUploadURLExternal", "*"), ("files.completeUploadExternal", "*")]
    channel = message.channel or (posting.channel if posting else "")
    calls = [(POST_METHOD, "*")]
    if channel[:1] not in {"U", "W"}:
        # A channel's own budget; a DM (sent to the user id) is one person's, who seldom gets more than a burst.
        calls.append((POST_METHOD, channel))
    return [*calls, ("chat.getPermalink", "*")] if message.subject else calls


def _deliver_one(session: Session, message_id: int, sender: _Sender, *, report: DeliveryReport) -> None:
    sender.tried.add(message_id)
    # A redraw replaced while it was being sent is sent again at once, so the latest state wins.
    for _ in range(3):
        claimed = store.claim_message(session, message_id, now=sender.now, stale_before=sender.stale_before)
        session.commit()
        if claimed is None:
            return
        message, abandoned = claimed
        if message.lane == OutboxLane.BULK:
            sender.serve_interactive(session, report)
        if not _send(session, message, sender, abandoned=abandoned, report=report):
            return


def _send(
    session: Session,
    message: OutboxMessage,
    sender: _Sender,
    *,
    abandoned: bool,
    report: DeliveryReport,
) -> bool:
    """Deliver one claimed message and record the outcome; return True when it must be sent again."""
    assert message.id is not None
    messenger, now = sender.messenger, sender.now
    anchor = message.subject if message.op == OutboxOp.UPDATE else message.after
    posting = store.get_posting(session, anchor) if anchor else None
    if anchor and posting is None:
        failed = store.subject_failed(session, anchor)
        if failed is not None:
            store.fail_message(session, message.id, error=f"{anchor} was never posted: {failed}")
        else:
            # Its posting is still on its way: wait without spending an attempt.
            store.refund_attempt(session, message.id)
            store.release_message(session, message.id, retry_at=None, error=None)
            session.commit()
            # Posted while this claim held it (the poster's pass skipped a claimed message): go again at once.
            if store.get_posting(session, anchor) is not None:
                return True
            report.waiting += 1
        session.commit()
        return False
    calls = _calls(message, posting)
    for limited in range(RATE_LIMITED_TRIES + 1):
        wait = sender.wait_for_budget(session, calls, message.lane)
        if wait > 0:
            # Over the budget for longer than a send waits: back to the queue, without spending an attempt.
            store.refund_attempt(session, message.id)
            store.release_message(
                session,
                message.id,
                retry_at=now + dt.timedelta(seconds=wait),
                error="waiting for Slack's rate limit",
            )
            session.commit()
            report.retrying += 1
            return False
        try:
            landed = _perform(session, message, messenger, posting=posting, abandoned=abandoned)
        except DeliveryFailed as exc:
            if exc.retry_after is not None and sender.budget is not None and limited < RATE_LIMITED_TRIES:
                sender.hold(session, calls, exc.retry_after)
                continue
            _record_failure(session, message, exc, now=now, report=report)
            session.commit()
            return False
        break
    if message.subject and message.op == OutboxOp.POST and landed is not None:
        store.add_posting(
            session,
            SlackPosting(
                subject=message.subject,
                channel=landed.channel,
                ts=landed.ts,
                permalink=messenger.permalink(channel=landed.channel, ts=landed.ts),
                posted_at=now,
            ),
        )
    done = store.finish_message(
        session, message.id, version=message.version, sent_at=now, ts=landed.ts if landed else None
    )
    session.commit()
    if done:
        report.sent += 1
    return not done


def _perform(
    session: Session,
    message: OutboxMessage,
    messenger: Messenger,
    *,
    posting: SlackPosting | None,
    abandoned: bool,
) -> Posted | None:
    text, blocks = _resolve_links(message.text, message.blocks, posting)
    if message.op == OutboxOp.UPDATE:
        assert posting is not None
        messenger.update(channel=posting.channel, ts=posting.ts, text=text, blocks=blocks)
        return Posted(posting.channel, posting.ts)
    if message.op == OutboxOp.UPLOAD or message.file_name:
        if message.data is not None:
            file_id = messenger.upload(
                channel=message.channel,
                file_name=message.file_name or "file.png",
                content=message.data,
                comment="",
                alt_text=text,
            )
        else:
            file_id = messenger.upload(
                channel=message.channel, file_name=message.file_name or "file.txt", content=text, comment=""
            )
        return Posted(message.channel, file_id)
    channel = message.channel or (posting.channel if posting else "")
    thread_ts = posting.ts if (posting and message.in_thread) else message.thread_ts
    # A worker died (or a post timed out) between sending and recording: look in Slack before re-sending.
    if abandoned:
        found = messenger.find_sent(
            channel=channel, key=message.key, thread_ts=thread_ts, since=message.created_at
        )
        if found is not None:
            return found
    return messenger.post(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, key=message.key)


def _resolve_links(
    text: str, blocks: list[dict[str, Any]], posting: SlackPosting | None
) -> tuple[str, list[dict[str, Any]]]:
    if PERMALINK not in text and not (blocks and PERMALINK in json.dumps(blocks)):
        return text, blocks

    def swap(value: str) -> str:
        if posting is not None and posting.permalink:
            return value.replace(PERMALINK, posting.permalink)
        return LINK_TO_POSTING.sub(lambda m: m.group(1), value)

    return swap(text), json.loads(swap(json.dumps(blocks))) if blocks else blocks


def _record_failure(
    session: Session, message: OutboxMessage, exc: DeliveryFailed, *, now: dt.datetime, report: DeliveryReport
) -> None:
    assert message.id is not None
    created = message.created_at
    if exc.permanent or now - created >= RETRY_WINDOW:
        store.fail_message(session, message.id, error=exc.reason)
        report.failed.append((message.key, exc.reason))
        logger.warning("outbox %s failed for good: %s", message.key, exc.reason)
        _enqueue_fallback(session, message, exc.reason, now=now)
        return
    backoff = min(MAX_BACKOFF, dt.timedelta(minutes=2 ** max(0, message.attempts - 1)))
    retry_at = now + backoff
    if exc.uncertain:
        # Slack may have it: stay claimed until retry_at, then the abandoned-claim path looks before posting.
        message.status, message.claimed_at, message.error = (
            OutboxStatus.SENDING,
            retry_at - CLAIM_LEASE,
            exc.reason[:500],
        )
        session.add(message)
    else:
        store.release_message(session, message.id, retry_at=retry_at, error=exc.reason[:500])
    report.retrying += 1
    logger.info("outbox %s will be retried at %s: %s", message.key, retry_at.isoformat(), exc.reason)


def _enqueue_fallback(session: Session, message: OutboxMessage, reason: str, *, now: dt.datetime) -> None:
    if not message.fallback:
        return
    data = dict(message.fallback)
    # The stored fallback was Mrkdwn when it was decided; Slack's reason is not the bot's text: escaped.
    data["text"] = stored(str(data.get("text") or "").replace(REASON, escape(reason)))
    enqueue(session, [Outgoing(**data)], now=now)


def outbox_counts(session: Session) -> dict[str, int]:
    """Return how many outbox messages are pending, sending, sent and failed."""
    counts = store.count_by_status(session)
    return {status.value: counts.get(status.value, 0) for status in OutboxStatus}


def posting_of(session: Session, subject: str) -> SlackPosting | None:
    """Return where a subject was posted in Slack, or None when it is not (yet)."""
    return store.get_posting(session, subject)


def postings_of(session: Session, subjects: Iterable[str]) -> dict[str, SlackPosting]:
    """Return the postings of several subjects at once, by subject."""
    return store.list_postings(session, subjects)


def subject_at(session: Session, channel: str, ts: str) -> str | None:
    """Return the subject posted as message `ts` in `channel` (a question's thread root, say), or None."""
    posting = store.get_posting_by_message(session, channel, ts)
    return posting.subject if posting else None


def tell_user(session: Session, user_id: str, text: Mrkdwn, *, now: dt.datetime) -> tuple[str, ...]:
    """Queue and commit a DM telling someone what became of something they did; return its key to deliver."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return commit(
        session, [dm(Kind.TOLD, [user_id, f"{now:%Y%m%d%H%M%S%f}", digest], user_id, text)], now=now
    )


def queue_failure_notice(
    session: Session, failed: Sequence[tuple[str, str]], *, now: dt.datetime, admins: Sequence[str]
) -> tuple[str, ...]:
    """Tell the admins which messages were given up and why (once per run's failures); return the keys."""
    given_up = [(key, reason) for key, reason in failed if not key.startswith(str(Kind.DELIVERY_FAILED))]
    if not given_up or not admins:
        return ()
    lines = join(
        "\n", [mrkdwn("• `{key}`: {reason}", key=key, reason=reason) for key, reason in given_up[:15]]
    )
    more = mrkdwn("\n…and {count} more", count=len(given_up) - 15) if len(given_up) > 15 else ""
    text = mrkdwn(
        ":warning: {count} message(s) could not be delivered and were given up:\n{lines}{more}\n"
        "`ccbot doctor` checks the token, scopes and channels; the outbox table keeps each message and its error.",
        count=len(given_up),
        lines=lines,
        more=more,
    )
    stamp = f"{now:%Y%m%dT%H%M}"
    first = given_up[0][0]
    return commit(
        session, [dm(Kind.DELIVERY_FAILED, [stamp, first, admin], admin, text) for admin in admins], now=now
    )
