"""One assembly: engines and Slack clients are built in bot/assembly.py, and every reminder keeps to the policy."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Calls that build an engine or a Slack client, and the one module each may be called from.
BUILDERS = {
    "create_engine": "storage/db.py",  # inside make_engine, which holds the engine's options
    "make_engine": "bot/assembly.py",
    "WebClient": "bot/assembly.py",
    "InstrumentedWebClient": "bot/assembly.py",
    "AsyncWebClient": "bot/assembly.py",
}
# Bolt copies the assembly's client into a plain WebClient per request; the middleware re-wraps that copy.
COPIES = {("bot/slack.py", "instrument", "InstrumentedWebClient")}


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _calls(path: Path) -> list[tuple[str, str, int]]:
    """Return (function the call is in, name called, line) for each call in a module."""
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, within: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = within
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
            if isinstance(child, ast.Call) and (called := _called(child)) is not None:
                found.append((name, called, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def test_engines_and_slack_clients_are_built_only_by_the_assembly() -> None:
    builders = []
    for folder in ("bot", "storage", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = str(path.relative_to(ROOT))
            for within, called, line in _calls(path):
                home = BUILDERS.get(called)
                if home is not None and home != module and (module, within, called) not in COPIES:
                    builders.append(f"{module}:{line} calls {called}")
    assert builders == [], "open the database and build Slack clients through bot.assembly"


def test_every_reminder_keeps_to_the_programs_working_hours() -> None:
    forgetful = []
    for path in sorted((ROOT / "bot" / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "reminder"  # bot.services.quiet.reminder
                and "hours" not in {keyword.arg for keyword in node.keywords}
            ):
                forgetful.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert forgetful == [], "pass the policy's working hours (hours=policy.hours) to every reminder"
