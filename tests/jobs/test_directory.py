"""The slack_resolution job: an import asks Slack nothing; ids and time zones are filled in afterwards by one walk
of users.list (or a few look-ups), resumably, by one process at a time; whom Slack lacks is reported."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.assembly import Bot, slack_client
from bot.services.directory import choose_mode, resolve_slack
from bot.services.roster import import_roster, read_roster
from bot.settings import load_settings
from bot.slack import SlackDirectory
from bot.slack_standin import SlackStandIn
from bot.types.directory import Miss, NotFound, ResolutionReport, SlackProfile, UserPage
from bot.views.directory import not_found_notice
from storage.models import AuditEntry, OutboxMessage, Person, ResolutionMode, ResolutionState, SlackResolution
from tests.conftest import NOW, run_at


def roster(tmp_path: Path, people: list[dict[str, Any]]) -> Path:
    """Write a ccbot roster of these people (each a committer-less admin-free member)."""
    lines = ["program:", "  phase: pilot", "people:"]
    for p in people:
        lines.append(f"  - github: {p['github']}")
        for key in ("name", "email", "slack", "timezone"):
            if p.get(key):
                lines.append(f"    {key}: {json.dumps(p[key])}")
        lines.append(f"    roles: {json.dumps(p.get('roles', ['champion']))}")
    path = tmp_path / "roster.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def import_file(session: Session, path: Path) -> Any:
    return import_roster(session, read_roster(path, as_of=NOW.date()), now=NOW, actor="test")


def directory_of(slack: SlackStandIn) -> SlackDirectory:
    return SlackDirectory(slack_client(load_settings(SLACK_BOT_TOKEN="xoxb-t", SLACK_API_URL=slack.url)))


def person(session: Session, handle: str) -> Person:
    session.expire_all()
    return session.exec(select(Person).where(Person.github_key == handle)).one()


def workspace(slack: SlackStandIn, size: int) -> None:
    """`size` Slack members U1000000.., e-mails m{i}@example.org, time zones in turn."""
    zones = ["Europe/Paris", "Asia/Karachi", "America/Vancouver"]
    for i in range(size):
        slack.add_user(f"U{1000000 + i}", email=f"m{i}@example.org", tz=zones[i % 3], name=f"Member {i}")


def many(tmp_path: Path, count: int, *, by_id: bool) -> Path:
    """`count` people, each with a Slack id and no time zone (`by_id`) or an e-mail and no Slack id."""
    people = [
        {"github": f"p{i}", "slack": f"U{1000000 + i}"}
        if by_id
        else {"github": f"p{i}", "email": f"M{i}@Example.org"}
        for i in range(count)
    ]
    return roster(tmp_path, people)


def test_an_import_asks_slack_nothing_and_says_whom_it_will_resolve(
    session: Session, slack: SlackStandIn, tmp_path: Path
) -> None:
    workspace(slack, 10)
    report = import_file(session, many(tmp_path, 10, by_id=True))
    assert slack.calls() == []
    assert report.resolving == 10
    request = session.exec(select(SlackResolution)).one()
    assert request.state == ResolutionState.PENDING
    # A second import before the job ran adds no second request: the waiting one covers everyone.
    import_file(session, many(tmp_path, 12, by_id=True))
    assert len(session.exec(select(SlackResolution)).all()) == 1


def test_the_walk_fills_time_zones_by_id_and_ids_by_email_case_insensitively(
    session: Session, slack: SlackStandIn, tmp_path: Path
) -> None:
    workspace(slack, 450)
    slack.add_user("USLACKBOT", email="m5@example.org", tz="UTC", is_bot=True)
    people = [{"github": f"p{i}", "slack": f"U{1000000 + i}"} for i in range(0, 300, 2)]
    people += [{"github": f"e{i}", "email": f"M{i}@EXAMPLE.org"} for i in range(1, 300, 2)]
    people += [{"github": "keeps", "email": "m301@example.org", "timezone": "Africa/Lagos"}]
    import_file(session, roster(tmp_path, people))

    report = resolve_slack(session, directory_of(slack), now=NOW)

    assert report.finished
    assert report.mode == ResolutionMode.WALK
    calls = slack.calls("users.list")
    # Everyone wanted is among the first 400 of 451 members: the walk stops once all are found.
    assert len(calls) == 2
    assert {c.args["limit"] for c in calls} == {"200"}
    assert "cursor" not in calls[0].args
    assert calls[1].args["cursor"]
    assert slack.calls("users.info") == []
    assert slack.calls("users.lookupByEmail") == []
    assert person(session, "p4").timezone == "Asia/Karachi"
    e3 = person(session, "e3")
    assert (e3.slack_user_id, e3.timezone) == ("U1000003", "Europe/Paris")
    keeps = person(session, "keeps")
    assert (keeps.slack_user_id, keeps.timezone) == ("U1000301", "Africa/Lagos"), "the file's time zone stays"
    assert report.ids_found == 151
    assert report.timezones_found == 150 + 150
    assert report.not_found == []
    assert session.exec(select(SlackResolution)).one().state == ResolutionState.DONE
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "directory.resolve")).one()
    assert entry.details["calls"] == 2


def test_whom_slack_lacks_is_reported_to_the_admins_and_kept(
    session: Session, slack: SlackStandIn, tmp_path: Path
) -> None:
    workspace(slack, 5)
    slack.add_user("U2000000", email="taken@example.org", tz="UTC", name="<!channel> *boss*")
    slack.add_user("U2000001", email="nozone@example.org", tz="<!channel>")
    people = [
        {"github": "admin1", "slack": "U1000000", "timezone": "UTC", "roles": ["admin"]},
        {"github": "ghost", "email": "nobody@example.org"},
        {"github": "gone", "slack": "U9999999"},
        {"github": "plain", "name": "No Contact"},
        {"github": "holder", "slack": "U2000000", "timezone": "UTC"},
        {"github": "copycat", "email": "taken@example.org"},
        {"github": "nozone", "slack": "U2000001"},
    ]
    import_file(session, roster(tmp_path, people))
    report = resolve_slack(session, directory_of(slack), now=NOW, channels=_channels())

    misses = {(n.github, n.miss) for n in report.not_found}
    assert misses == {
        ("ghost", Miss.NO_USER),
        ("gone", Miss.NO_TIMEZONE),
        ("plain", Miss.NO_EMAIL),
        ("copycat", Miss.TAKEN),
        ("nozone", Miss.NO_TIMEZONE),
    }
    assert person(session, "nozone").timezone is None, "a time zone not in zoneinfo is refused"
    assert person(session, "copycat").slack_user_id is None
    request = session.exec(select(SlackResolution)).one()
    assert sorted(g for g, _, _ in request.not_found) == ["copycat", "ghost", "gone", "nozone", "plain"]
    notices = session.exec(select(OutboxMessage)).all()
    assert {m.channel for m in notices} == {"U0ADMIN99", "U1000000"}
    text = notices[0].text
    assert "ghost" in text
    assert "nobody@example.org" in text
    assert "5 could not be" in text
    # Nothing Slack's members wrote reaches the message: their names not at all, ids only once checked.
    assert "<!channel>" not in text
    assert "boss" not in text


def test_text_from_the_file_or_slack_is_escaped_in_the_notice() -> None:
    report = ResolutionReport(request_id=1, not_found=[NotFound("x", Miss.NO_USER, "<!channel>@e.org")])
    text = not_found_notice(report)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;@e.org" in text


def _channels() -> Any:
    from bot.types.policy import Channels

    return Channels(coordination="C0COORD01", management="C0MGMT001", digest=None, admins=("U0ADMIN99",))


def test_a_handful_are_looked_up_one_by_one_instead_of_walking(
    session: Session, slack: SlackStandIn, tmp_path: Path
) -> None:
    workspace(slack, 1000)
    people = [{"github": f"p{i}", "slack": f"U{1000000 + i}", "timezone": "UTC"} for i in range(1000)]
    people[3] = {"github": "p3", "slack": "U1000003"}  # no time zone
    people[4] = {"github": "p4", "email": "m4@example.org"}  # no Slack id
    import_file(session, roster(tmp_path, people))
    assert choose_mode(1, 1, 1000) == ResolutionMode.LOOKUP
    assert choose_mode(200, 0, 1000) == ResolutionMode.WALK

    report = resolve_slack(session, directory_of(slack), now=NOW)

    assert report.mode == ResolutionMode.LOOKUP
    assert report.finished
    assert slack.calls("users.list") == []
    assert [c.args["user"] for c in slack.calls("users.info")] == ["U1000003"]
    assert [c.args["email"] for c in slack.calls("users.lookupByEmail")] == ["m4@example.org"]
    assert person(session, "p3").timezone == "Europe/Paris"
    assert person(session, "p4").slack_user_id == "U1000004"


class Killed(BaseException):
    """The process dies mid-walk: nothing after this runs (not even an `except Exception`)."""


class DyingDirectory:
    """Slack's directory, until the process dies after `pages` pages of users.list."""

    def __init__(self, inner: SlackDirectory, pages: int) -> None:
        self.inner, self.pages = inner, pages

    def lookup_by_email(self, email: str) -> SlackProfile | None:
        return self.inner.lookup_by_email(email)

    def user_info(self, user_id: str) -> SlackProfile | None:
        return self.inner.user_info(user_id)

    def list_users(self, cursor: str, limit: int) -> UserPage:
        if self.pages == 0:
            raise Killed
        self.pages -= 1
        return self.inner.list_users(cursor, limit)


def test_a_walk_killed_midway_is_continued_from_its_cursor_not_started_over(
    session: Session, slack: SlackStandIn, tmp_path: Path
) -> None:
    workspace(slack, 1000)
    import_file(session, many(tmp_path, 1000, by_id=True))
    with pytest.raises(Killed):
        resolve_slack(session, DyingDirectory(directory_of(slack), pages=2), now=NOW)
    session.rollback()
    assert sum(1 for i in range(1000) if person(session, f"p{i}").timezone) == 400
    saved = session.exec(select(SlackResolution)).one()
    cursor = saved.cursor
    assert cursor
    assert saved.state == ResolutionState.RUNNING

    # Within the dead process's lease, another run waits; after it, the walk goes on from page 3.
    assert resolve_slack(session, directory_of(slack), now=NOW + dt.timedelta(minutes=1)).busy
    assert len(slack.calls("users.list")) == 2
    report = resolve_slack(session, directory_of(slack), now=NOW + dt.timedelta(minutes=11))

    calls = slack.calls("users.list")
    assert len(calls) == 5, "two pages before the kill, three after: none twice"
    assert calls[2].args["cursor"] == cursor
    assert report.finished
    assert report.timezones_found == 1000
    assert report.not_found == []
    assert all(person(session, f"p{i}").timezone for i in range(1000))


class GatedDirectory(DyingDirectory):
    """Slack's directory whose first users.list waits until the test lets it through."""

    def __init__(self, inner: SlackDirectory) -> None:
        super().__init__(inner, pages=10_000)
        self.entered, self.gate = threading.Event(), threading.Event()

    def list_users(self, cursor: str, limit: int) -> UserPage:
        self.entered.set()
        assert self.gate.wait(timeout=10)
        return super().list_users(cursor, limit)


def test_two_processes_do_not_both_walk(job_bot: Bot, slack: SlackStandIn, tmp_path: Path) -> None:
    workspace(slack, 300)
    factory = job_bot.runtime.session_factory
    with factory() as session:
        import_file(session, many(tmp_path, 300, by_id=True))
    gated = GatedDirectory(directory_of(slack))
    results: list[Any] = []

    def first() -> None:
        with factory() as own:
            results.append(resolve_slack(own, gated, now=NOW))

    thread = threading.Thread(target=first)
    thread.start()
    assert gated.entered.wait(timeout=10)
    with factory() as session:
        second = resolve_slack(session, directory_of(slack), now=NOW)
    gated.gate.set()
    thread.join(timeout=30)
    assert second.busy
    assert not second.finished
    assert results[0].finished
    assert results[0].calls == 2
    assert len(slack.calls("users.list")) == 2, "only the lease holder walked"


def test_the_job_runs_the_walk_and_tells_the_admins(
    job_bot: Bot, slack: SlackStandIn, tmp_path: Path
) -> None:
    workspace(slack, 3)
    with job_bot.runtime.session_factory() as session:
        import_file(
            session,
            roster(tmp_path, [{"github": "p0", "slack": "U1000000"}, {"github": "x", "email": "x@e.org"}]),
        )
    assert slack.calls() == []
    report = run_at(job_bot, "slack_resolution", NOW)
    assert report.finished
    assert [n.github for n in report.not_found] == ["x"]
    # Two people in a workspace of three: two look-ups are quicker than a page of users.list at Slack's limits.
    asked = [c.method for c in slack.calls() if c.method.startswith("users.")]
    assert asked == ["users.info", "users.lookupByEmail"]
    assert any("x@e.org" in json.dumps(m) for m in slack.messages("U0ADMIN99"))
    again = run_at(job_bot, "slack_resolution", NOW + dt.timedelta(minutes=1))
    assert again.request_id is None  # type: ignore[attr-defined]
    assert [c.method for c in slack.calls() if c.method.startswith("users.")] == asked


def test_slack_still_busy_after_the_clients_retries_is_waited_out(
    session: Session, slack: SlackStandIn, tmp_path: Path
) -> None:
    workspace(slack, 250)
    import_file(session, many(tmp_path, 250, by_id=True))
    slack.fail("users.list", status=429, count=7, retry_after=2)  # the client retries 5 times, then gives up
    waits: list[float] = []
    directory = SlackDirectory(slack_client(load_settings(SLACK_BOT_TOKEN="xoxb-t", SLACK_API_URL=slack.url)))
    for handler in directory.client.retry_handlers:
        handler.max_retry_count = 0  # the test does not sleep: the job's own wait is what is checked
    report = resolve_slack(session, directory, now=NOW, sleep=waits.append)
    assert report.finished
    assert report.timezones_found == 250
    assert waits == [2.0] * 7
