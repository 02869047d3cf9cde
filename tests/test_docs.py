"""The documents say what the code does: the README's environment table is bot/settings.py's, the changelog
names every database revision, the README's test command is the one CI runs, and its links lead somewhere."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.settings import Settings, environment_table, shown_default
from tests.conftest import ROOT

README = ROOT / "README.md"
TEST_COMMAND = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]' && pytest"


def readme_environment_table() -> str:
    """Return the table under the README's `### Environment` heading."""
    section = README.read_text(encoding="utf-8").split("\n### Environment\n", 1)[1]
    rows = [line for line in section.split("\n### ", 1)[0].splitlines() if line.startswith("|")]
    return "\n".join(rows) + "\n"


def test_the_readme_environment_table_is_the_settings() -> None:
    assert readme_environment_table() == environment_table(), (
        "README.md's environment table differs from bot/settings.py: paste `python -m bot.settings --markdown`"
    )


def test_every_setting_has_a_name_and_a_description_in_the_table() -> None:
    table = environment_table()
    for info in Settings.model_fields.values():
        assert info.alias, "every setting needs an environment name"
        assert info.description, f"{info.alias}: every setting needs a description"
        assert f"| `{info.alias}` |" in table
        assert info.description in table
    assert table.count("\n| `") == len(Settings.model_fields)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        ((), "—"),
        (False, "false"),
        (frozenset({0, 1, 2, 3, 4}), "mon-fri"),
        (frozenset({0, 1, 3}), "mon,tue,thu"),
        ((30, 14, 7, 1), "30,14,7,1"),
    ],
)
def test_defaults_are_shown_as_they_are_written(value: object, shown: str) -> None:
    assert shown_default(value) == shown


def test_the_table_command_prints_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.settings", "--markdown"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == environment_table()
    assert "| `CCBOT_WORKING_HOURS` | `09:00-17:00` |" in result.stdout
    assert "| `CCBOT_SLA_NORMAL` | `4h` |" in result.stdout


def test_the_changelog_names_every_database_revision() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = sorted((ROOT / "storage" / "migrations" / "versions").glob("*.py"))
    revisions = [
        match.group(1)
        for path in versions
        if (match := re.search(r'^revision(?:: str)? = "([^"]+)"', path.read_text(encoding="utf-8"), re.M))
    ]
    assert len(revisions) == len([p for p in versions if p.name != "__init__.py"]), (
        "a migration without a revision id"
    )
    missing = [revision for revision in revisions if not re.search(rf"\b{re.escape(revision)}\b", changelog)]
    assert not missing, f"CHANGELOG.md does not mention revision(s) {missing}: add them to its upgrade notes"


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    assert f"```sh\n{TEST_COMMAND}\n```" in README.read_text(encoding="utf-8")
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().endswith(TEST_COMMAND)


def test_the_readme_links_to_the_moved_documents() -> None:
    links = set(re.findall(r"\]\(([^)#]+?)(?:#[^)]*)?\)", README.read_text(encoding="utf-8")))
    assert {"docs/FEATURES.md", "CHANGELOG.md", "CONTRIBUTING.md", "docs/PERFORMANCE.md"} <= links


@pytest.mark.parametrize("document", ["README.md", "CONTRIBUTING.md", "docs/FEATURES.md", "CHANGELOG.md"])
def test_the_documents_links_lead_somewhere(document: str) -> None:
    path = ROOT / document
    text = path.read_text(encoding="utf-8")
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", text):
        if target.startswith(("http://", "https://")):
            continue
        linked = (path.parent / target).resolve() if target else path
        assert linked.exists(), f"{document} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.M)
            slugs = {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}
            assert anchor in slugs, (
                f"{document} links to {target or document}#{anchor}, which is no heading there"
            )
