"""The program's public page as values: who is a core contributor now, what the admins wrote, the numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.types.responsiveness import ResponsivenessSeries


@dataclass(frozen=True)
class Contributor:
    """A current core contributor as the public page shows them: no e-mail, Slack id or agreement."""

    name: str
    github: str
    organization: str | None
    repos: tuple[str, ...]


@dataclass(frozen=True)
class ProgramPage:
    """What the public page holds: the admins' text on joining, the contributors and the weekly numbers."""

    about: str
    contributors: list[Contributor]
    series: ResponsivenessSeries
    title: str = "Core Contributors"
    web_url: str = "https://github.com"


@dataclass(frozen=True)
class PublishTarget:
    """Where the page goes on GitHub: a repository and a folder in it (`.` for its root)."""

    repo: str
    path: str

    def file(self, name: str) -> str:
        """Return a page file's path in the repository."""
        folder = self.path.strip("/")
        return name if folder in {"", "."} else f"{folder}/{name}"


@dataclass(frozen=True)
class Published:
    """What publishing did: `unchanged` (no commit, no pull request), `opened` or `updated`, and where."""

    status: str
    url: str | None = None
    changed: list[str] = field(default_factory=list)
