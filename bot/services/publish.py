"""The program's public page: who is on it, what it says, and keeping it current on GitHub by pull request.

Only current core contributors are listed (committers stored as active, not removed), each with their name,
GitHub login, organisation and repositories: never an e-mail, a Slack id or an agreement. The roster keeps no
consent to be listed publicly after leaving, so alumni are not on the page at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path

from sqlmodel import Session

from bot.services.errors import UserError
from bot.services.github.api import GitHubApi
from bot.services.responsiveness import responsiveness_series
from bot.types.policy import DEFAULT_HOURS, WorkingHours
from bot.types.publish import Contributor, ProgramPage, Published, PublishTarget
from bot.views import chart as chart_views
from bot.views import publish as views
from storage import publish as store
from storage import roster as roster_store

# The branch ccbot keeps the page's pull request on.
BRANCH = "ccbot/public-page"
WEEKS = 12
TARGET = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}):([A-Za-z0-9._/-]{1,200})$")
DEFAULT_ABOUT = """\
## How to become a core contributor

Core contributors are nominated by a current core contributor or a maintainer, sign the contributor
agreements, and are looked after by two champions while they settle in. Ask in the project's community
channels to find out more.
"""
PR_TITLE = "Update the core contributors page"
PR_BODY = (
    "ccbot keeps this page current: the program's core contributors and its weekly numbers.\n\n"
    "It is generated from the roster; edit the roster (or the admins' about file) rather than these files."
)


def parse_target(text: str) -> PublishTarget:
    """Return ORG/REPO:PATH as a target; UserError when it is not one."""
    match = TARGET.fullmatch(text.strip())
    path = match[2].strip("/") if match else ""
    pieces = path.split("/")
    if match is None or (path != "." and any(piece in {"", ".", ".."} for piece in pieces)):
        raise UserError(f"{text[:200]!r} is not ORG/REPO:PATH (like openedx/community:core-contributors)")
    return PublishTarget(repo=match[1], path=path)


def read_about(path: Path | None, *, required: bool = True) -> str:
    """Return the admins' Markdown on how to become a core contributor (a default paragraph when none is given,
    or when the file is missing and not `required`); UserError when a required file cannot be read."""
    if path is None or (not required and not path.is_file()):
        return DEFAULT_ABOUT
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the about file {path}: {exc.__class__.__name__}") from None


def program_page(
    session: Session,
    *,
    now: dt.datetime,
    about: str,
    target: dt.timedelta,
    hours: WorkingHours = DEFAULT_HOURS,
    web_url: str = "https://github.com",
) -> ProgramPage:
    """Return what the public page shows as of `now`: current core contributors and the last twelve weeks
    (`target` in business time, as the policy holds it)."""
    grants = roster_store.active_grants_by_person(session)
    contributors = []
    for person, organization in store.list_public_committers(session):
        assert person.id is not None
        repos = sorted(
            {repo.full_name for _, repo in grants.get(person.id, []) if repo is not None}, key=str.lower
        )
        contributors.append(
            Contributor(
                name=person.name or person.github,
                github=person.github,
                organization=organization.name if organization else None,
                repos=tuple(repos),
            )
        )
    series = responsiveness_series(session, now=now, weeks=WEEKS, target=target, hours=hours)
    return ProgramPage(about=about, contributors=contributors, series=series, web_url=web_url)


def page_files(page: ProgramPage) -> dict[str, bytes]:
    """Return the page's files by name: index.md (with chart.png beside it) and the standalone index.html."""
    chart = chart_views.chart_png(page.series)
    alt = chart_views.chart_alt_text(page.series)
    return {
        "index.md": views.page_markdown(page, chart_file="chart.png").encode(),
        "index.html": views.page_html(page, chart, alt).encode(),
        "chart.png": chart,
    }


def write_page(files: Mapping[str, bytes], out: Path) -> list[Path]:
    """Write the page's files into a folder (made when missing); return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        path = out / name
        path.write_bytes(content)
        written.append(path)
    return written


def publish_to_github(github: GitHubApi, files: Mapping[str, bytes], target: PublishTarget) -> Published:
    """Open or update the pull request that brings the page's files to the repository's default branch.

    Nothing is committed, and no pull request opened, when the files there (or on the open pull request's
    branch) are already these. Without an open pull request the branch starts again from the default branch.
    """
    base = github.get_repo(target.repo).default_branch
    paths = {target.file(name): content for name, content in files.items()}
    pull = github.find_pull(target.repo, BRANCH, base)
    if pull is None:
        if all(github.read_bytes(target.repo, path, base) == content for path, content in paths.items()):
            return Published(status="unchanged")
        start = github.branch_sha(target.repo, base)
        if start is None:
            raise UserError(f"{target.repo} has no branch {base} to start the page's pull request from")
        github.set_branch(target.repo, BRANCH, start)
    changed = [
        path for path, content in paths.items() if github.read_bytes(target.repo, path, BRANCH) != content
    ]
    if not changed:
        return Published(status="unchanged", url=pull.url if pull else None)
    for path in changed:
        github.write_file(target.repo, path, BRANCH, paths[path], f"Update {path} (ccbot publish)")
    if pull is None:
        opened = github.open_pull(target.repo, BRANCH, base, PR_TITLE, PR_BODY)
        return Published(status="opened", url=opened.url, changed=changed)
    github.update_pull(target.repo, pull.number, PR_TITLE, PR_BODY)
    return Published(status="updated", url=pull.url, changed=changed)


def publish_program_page(
    session: Session,
    github: GitHubApi,
    *,
    now: dt.datetime,
    target: str,
    about: Path | None,
    response_target: dt.timedelta,
    hours: WorkingHours = DEFAULT_HOURS,
    web_url: str = "https://github.com",
    about_required: bool = True,
) -> Published:
    """Build the page as of `now` and bring it to `target` (ORG/REPO:PATH) by pull request."""
    where = parse_target(target)
    text = read_about(about, required=about_required)
    page = program_page(session, now=now, about=text, target=response_target, hours=hours, web_url=web_url)
    return publish_to_github(github, page_files(page), where)
