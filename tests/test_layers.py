"""The layers of the layout in CONTRIBUTING.md, checked on the imports: data flows one way, feature types sit at the
bottom, no two modules import each other, and only the outbox sends."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Imports that break a rule, each with the reason it must. Nothing may join these lists without one.
SERVICES_IN_VIEWS: dict[str, set[str]] = {}
SERVICES_IN_TYPES: dict[str, set[str]] = {}
KNOWN_CYCLES: list[set[str]] = []


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _first_party() -> dict[str, Path]:
    """Every module of bot/ and storage/ (migrations aside), by dotted name."""
    paths = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]
    return {_module_name(p): p for p in paths if "migrations" not in p.parts}


MODULES = _first_party()


def _imports(path: Path, *, typing: bool = False) -> set[str]:
    """Return the modules a file imports: at run time, and with `typing` those under `if TYPE_CHECKING:` too.

    `from package import name` counts as an import of `package.name` when that is a module of ours.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(child) for child in ast.walk(node)}
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only and not typing:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _modules(folder: str) -> list[Path]:
    return sorted(
        p for p in (ROOT / folder).rglob("*.py") if p.name != "__init__.py" or p.parent != ROOT / folder
    )


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", _modules("bot/services"), ids=_id)
def test_services_import_no_slack_client_and_no_handler(path: Path) -> None:
    bad = {m for m in _imports(path) if m.startswith(("slack_sdk", "slack_bolt", "bot.handlers", "bot.jobs"))}
    assert bad == set(), f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", _modules("bot/views"), ids=_id)
def test_views_are_pure_builders_that_import_no_service(path: Path) -> None:
    imports = _imports(path, typing=True)
    bad = {
        m
        for m in imports
        if m.startswith(("slack_sdk.web", "slack_bolt", "sqlmodel", "sqlalchemy", "bot.handlers", "bot.jobs"))
        or m in {"slack_sdk", "storage.db"}
        or m.startswith("bot.services")
    }
    bad -= SERVICES_IN_VIEWS.get(_id(path), set())
    assert bad == set(), f"{path.name} imports {bad} (type checking included)"


@pytest.mark.parametrize("path", _modules("bot/views"), ids=_id)
def test_views_borrow_no_private_name_of_another_view(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    borrowed = {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.views")
        for alias in node.names
        if alias.name.startswith("_")
    }
    assert borrowed == set(), (
        f"{path.name} borrows {borrowed}: shared view helpers live in views/text or inputs"
    )


@pytest.mark.parametrize("path", _modules("bot/types"), ids=_id)
def test_feature_types_import_nothing_above_storage_models(path: Path) -> None:
    ours = {m for m in _imports(path, typing=True) if m.split(".")[0] in {"bot", "storage"}}
    bad = {m for m in ours if not m.startswith("bot.types.") and m != "storage.models"}
    bad -= SERVICES_IN_TYPES.get(_id(path), set())
    assert bad == set(), f"{path.name} imports {bad} (type checking included)"


@pytest.mark.parametrize("path", _modules("bot/handlers"), ids=_id)
def test_handlers_query_nothing_themselves(path: Path) -> None:
    bad = {m for m in _imports(path) if m.startswith(("storage.", "sqlalchemy", "bot.jobs"))}
    bad -= {"storage.models"}
    assert bad == set(), f"{path.name} imports {bad}"
    assert "select(" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [p for p in _modules("bot/jobs") if p.name != "registry.py"], ids=_id)
def test_jobs_call_services_and_read_no_settings(path: Path) -> None:
    bad = {m for m in _imports(path) if m.startswith(("storage", "bot.views", "bot.settings", "slack_sdk"))}
    assert bad == set(), f"{path.name} imports {bad}"


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Return the strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph[module]):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = set()
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.add(other)
                if other == module:
                    break
            if len(component) > 1:
                found.append(component)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for module in sorted(graph):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_no_two_modules_import_each_other() -> None:
    graph = {
        name: {m for m in _imports(path, typing=True) if m in MODULES and m != name}
        for name, path in MODULES.items()
    }
    cycles = _cycles(graph)
    unknown = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    assert unknown == [], f"import cycles among bot/ and storage/ (type checking included): {unknown}"
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in cycles]
    assert gone == [], f"these cycles are gone: take them off KNOWN_CYCLES: {gone}"


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


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
