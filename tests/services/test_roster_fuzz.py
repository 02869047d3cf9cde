"""Roster files of any shape: either imported or refused with located problems, never half-applied."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from bot.services.roster import RosterError, import_roster, read_roster
from storage.models import Agreement, AuditEntry, Person
from tests.conftest import NOW, load_pilot

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
HANDLES = st.sampled_from(
    ["ziafazal", "regisb", "newperson", "Another-One", "bad handle", "", "x" * 45, "nimisha"]
)
VALUES = st.one_of(TEXT, st.integers(), st.none(), st.booleans(), st.lists(TEXT, max_size=3), st.dates())
PERSON = st.fixed_dictionaries(
    {"github": HANDLES},
    optional={
        "name": TEXT,
        "email": st.one_of(TEXT, st.just("new@example.org")),
        "roles": st.lists(st.sampled_from(["committer", "champion", "manager", "wizard"]), max_size=3),
        "repos": st.lists(
            st.sampled_from(["openedx/edx-platform", "openedx/*", "not a repo", "a/b/c"]), max_size=2
        ),
        "champions": st.lists(HANDLES, max_size=2),
        "manager": HANDLES,
        "timezone": st.sampled_from(["Europe/Paris", "Mars/Olympus", "UTC"]),
        "slack": st.sampled_from(["U0PILOT01", "U0NEW0001", "nope"]),
        "agreements": st.lists(
            st.fixed_dictionaries(
                {"kind": st.sampled_from(["individual", "nda", "entity", "cla"])},
                optional={"signed": VALUES, "expires": VALUES},
            ),
            max_size=2,
        ),
        "surprise": VALUES,
    },
)
DOCUMENT = st.fixed_dictionaries(
    {"people": st.lists(PERSON, max_size=4)}, optional={"program": st.just({"phase": "pilot"})}
)


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.exec(select(func.count()).select_from(t)).one() for t in (Person, Agreement, AuditEntry)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=DOCUMENT)
def test_any_roster_is_imported_whole_or_refused_whole(
    session: Session, tmp_path: Path, document: dict
) -> None:
    if not _counts(session)[0]:
        load_pilot(session)
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    before = _counts(session)
    refused: RosterError | None = None
    try:
        report = import_roster(session, read_roster(path, as_of=NOW.date()), now=NOW, actor="fuzz")
    except RosterError as error:
        refused = error
    if refused is not None:
        assert refused.problems
        assert all(problem.startswith(f"{path}:") for problem in refused.problems)
        session.expire_all()
        assert _counts(session) == before
        return
    assert _counts(session)[2] == before[2] + 1
    assert report.summary
