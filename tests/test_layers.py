"""The layers of STYLE.md, checked on the imports: data flows one way, and only the outbox sends."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    """Return the modules a file imports at run time (imports under `if TYPE_CHECKING:` excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(child) for child in ast.walk(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _modules(folder: str) -> list[Path]:
    return sorted(
        p for p in (ROOT / folder).rglob("*.py") if p.name != "__init__.py" or p.parent != ROOT / folder
    )


@pytest.mark.parametrize("path", _modules("bot/services"), ids=lambda p: p.name)
def test_services_import_no_slack_client_and_no_handler(path: Path) -> None:
    bad = {m for m in _imports(path) if m.startswith(("slack_sdk", "slack_bolt", "bot.handlers", "bot.jobs"))}
    assert bad == set(), f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", _modules("bot/views"), ids=lambda p: p.name)
def test_views_are_pure_builders(path: Path) -> None:
    imports = _imports(path)
    bad = {
        m
        for m in imports
        if m.startswith(("slack_sdk.web", "slack_bolt", "sqlmodel", "sqlalchemy", "bot.handlers", "bot.jobs"))
        or m in {"slack_sdk", "storage.db"}
        or (
            m.startswith("bot.services.")
            and m not in {"bot.types.limits", "bot.services.policy", "bot.types.keys", "bot.services.outbox"}
        )
    }
    assert bad == set(), f"{path.name} imports {bad} at run time"


@pytest.mark.parametrize("path", _modules("bot/handlers"), ids=lambda p: p.name)
def test_handlers_query_nothing_themselves(path: Path) -> None:
    bad = {m for m in _imports(path) if m.startswith(("storage.", "sqlalchemy", "bot.jobs"))}
    bad -= {"storage.models"}
    assert bad == set(), f"{path.name} imports {bad}"
    assert "select(" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path", [p for p in _modules("bot/jobs") if p.name != "registry.py"], ids=lambda p: p.name
)
def test_jobs_call_services_and_read_no_settings(path: Path) -> None:
    bad = {m for m in _imports(path) if m.startswith(("storage", "bot.views", "bot.settings", "slack_sdk"))}
    assert bad == set(), f"{path.name} imports {bad}"


def test_only_the_outbox_messenger_posts_or_updates_messages() -> None:
    senders = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if path.name != "slack_standin.py"  # the local Slack itself
        and any(
            call in path.read_text(encoding="utf-8")
            for call in ("chat_postMessage(", "chat_update(", "files_upload_v2(")
        )
    )
    assert senders == ["bot/slack.py"]


def test_no_query_outside_storage() -> None:
    outside = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if "select(" in path.read_text(encoding="utf-8") and path.name != "slack_standin.py"
    )
    assert outside == []
