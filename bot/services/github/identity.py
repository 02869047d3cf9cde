"""Who a GitHub account is on the roster: matched by account id first (a login can change hands), then by login.

A login arriving with another account id than the one on record is not that person: nothing is credited or
granted to it, and the admins are told once. A known account under a new login is a rename, followed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.services.admins import admin_messages
from bot.services.audit import audit
from bot.services.github.api import GitHubAccount, GitHubApi
from bot.services.outbox import Outgoing, commit
from bot.types.access import IdentityIssue, Rename
from bot.types.keys import Kind
from bot.types.policy import Channels
from bot.views import identity as views
from storage import access as access_store
from storage import roster as roster_store
from storage.models import Person

ACTOR = "ccbot:identity"


@dataclass
class Identities:
    """Matches GitHub accounts to roster people, recording ids first seen, renames and impostor logins.

    Changes to people are made in the session (not committed): the caller commits them with its decision.
    """

    session: Session
    now: dt.datetime
    by_id: dict[int, Person] = field(default_factory=dict)
    by_login: dict[str, Person] = field(default_factory=dict)
    preloaded: bool = False
    renames: list[Rename] = field(default_factory=list)
    issues: list[IdentityIssue] = field(default_factory=list)
    filled: list[Person] = field(default_factory=list)

    @classmethod
    def of_roster(cls, session: Session, people: list[Person], *, now: dt.datetime) -> Identities:
        """Return a matcher over people already loaded (no query per account)."""
        return cls(
            session,
            now,
            by_id={p.github_id: p for p in people if p.github_id is not None},
            by_login={p.github_key: p for p in people},
            preloaded=True,
        )

    def _person_by_id(self, account_id: int) -> Person | None:
        if account_id not in self.by_id and not self.preloaded:
            found = access_store.people_by_github_id(self.session, [account_id]).get(account_id)
            if found is not None:
                self.by_id[account_id] = found
        return self.by_id.get(account_id)

    def _person_by_login(self, login: str) -> Person | None:
        key = login.lower()
        if key not in self.by_login and not self.preloaded:
            found = roster_store.get_person_by_github(self.session, key)
            if found is not None:
                self.by_login[key] = found
        return self.by_login.get(key)

    def match(self, account: GitHubAccount, *, where: str) -> Person | None:
        """Return the roster person this account is, or None (a stranger, or a login held by someone else)."""
        person = self._person_by_id(account.id)
        if person is not None:
            if person.github_key != account.login.lower():
                self._rename(person, account)
            return person
        person = self._person_by_login(account.login)
        if person is None:
            return None
        if person.github_id is None:
            self._fill(person, account.id)
            return person
        self._issue(person, account, where)
        return None

    def current(self, person: Person, github: GitHubApi, *, where: str) -> tuple[GitHubAccount | None, str]:
        """Return the person's account as GitHub knows it now, or None with the reason it cannot be trusted."""
        if person.github_id is not None:
            account = github.get_user_by_id(person.github_id)
            if account is None:
                return None, f"GitHub account {person.github_id} no longer exists"
            if account.login.lower() != person.github_key:
                self._rename(person, account)
            if account.login.lower() != person.github_key:
                return None, f"GitHub account {account.id} is now {account.login}, on record for someone else"
            return account, ""
        account = github.get_user(person.github)
        if account is None:
            return None, f"no GitHub account holds the login {person.github}"
        other = self._person_by_id(account.id)
        if other is not None and other.id != person.id:
            self._issue(person, account, where)
            return None, f"{account.login} is GitHub account {account.id}, on record as {other.github}"
        self._fill(person, account.id)
        return account, ""

    def _fill(self, person: Person, account_id: int) -> None:
        person.github_id = account_id
        self.by_id[account_id] = person
        self.session.add(person)
        self.filled.append(person)

    def _rename(self, person: Person, account: GitHubAccount) -> None:
        holder = self._person_by_login(account.login)
        if holder is not None and holder.id != person.id:
            # The new login is on record for someone else: that record's login changed hands. Leave both
            # as they are and tell the admins, who know which is which.
            self._issue(holder, account, "a rename")
            return
        old = person.github
        self.by_login.pop(person.github_key, None)
        person.github, person.github_key = account.login, account.login.lower()
        self.by_login[person.github_key] = person
        self.session.add(person)
        assert person.id is not None
        self.renames.append(Rename(person.id, old, account.login, account.id))
        audit(self.session, self.now, ACTOR, "person.renamed", account.login, old=old, github_id=account.id)

    def _issue(self, person: Person, account: GitHubAccount, where: str) -> None:
        assert person.id is not None
        issue = IdentityIssue(person.id, account.login, person.github_id, account.id, where)
        if issue not in self.issues:
            self.issues.append(issue)

    def messages(self, channels: Channels) -> list[Outgoing | None]:
        """Return the admins' DMs about logins held by another account: once per person and account, ever."""
        messages: list[Outgoing | None] = []
        for issue in self.issues:
            text = views.impostor_text(issue)
            messages += admin_messages(
                self.session, channels, Kind.IDENTITY, [issue.person_id, issue.seen_id], text
            )
        return messages

    def flush(self) -> None:
        """Write the ids first seen and the renames (still uncommitted)."""
        self.session.flush()


@dataclass(frozen=True)
class Confirmed:
    """What confirming people's GitHub accounts found: ids recorded, renames, impostors, logins with no account."""

    checked: int
    filled: list[str]
    renames: list[Rename]
    issues: list[IdentityIssue]
    missing: list[str]
    left: int


def confirm_accounts(
    session: Session,
    github: GitHubApi,
    people: list[Person],
    *,
    now: dt.datetime,
    channels: Channels,
    limit: int = 200,
    where: str,
) -> Confirmed:
    """Ask GitHub who each person is (by id when recorded, else by login) and commit what it says.

    At most `limit` people are asked, those without a recorded id first; the rest wait for the next run.
    """
    ordered = sorted(people, key=lambda p: (p.github_id is not None, p.github_key))
    asked, left = ordered[:limit], max(0, len(ordered) - limit)
    ids = Identities(session, now)
    missing = []
    for person in asked:
        account, problem = ids.current(person, github, where=where)
        if account is None and problem.startswith("no GitHub account"):
            missing.append(person.github)
    ids.flush()
    commit(session, ids.messages(channels), now=now)
    return Confirmed(
        checked=len(asked),
        filled=[p.github for p in ids.filled],
        renames=list(ids.renames),
        issues=list(ids.issues),
        missing=missing,
        left=left,
    )
