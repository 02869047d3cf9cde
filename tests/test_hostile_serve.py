"""Hostile input against a real `ccbot serve` process: never a 5xx, the process stays up, its memory stays bounded.

One server process serves the whole module (against the Slack stand-in and a copy of the pilot database); every
test ends by checking that the process is alive, answers /healthz, and has never held more than RSS_LIMIT.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.ids import Action, Command, Input, ViewId
from bot.slack_standin import SlackStandIn
from tests.conftest import WEBHOOK_SECRET, _free_socket
from tests.slack_requests import SIGNING_SECRET, block_action, view_submission
from tests.test_hooks import _hub, _sign

RSS_LIMIT_KB = 400 * 1024
ADMIN, COMMITTER, CHAMPION = "U0ADMIN01", "U0PILOT01", "U0CHAMP01"
NOTICE = {
    "event": "deployed_stage",
    "environment": "stage",
    "repo": "openedx/edx-platform",
    "pull_requests": [31337],
    "sha_range": "hostile..replay",
}


@dataclass
class Served:
    """The `ccbot serve` process under attack, its base URL and an HTTP client."""

    process: subprocess.Popen[bytes]
    url: str
    http: httpx.Client
    slack: SlackStandIn
    log: Path

    def peak_rss_kb(self) -> int:
        """The most memory the process has held (VmHWM), in kB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        """POST an interaction payload to /slack/events, signed as Slack signs it."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.post("/slack/events", body, _slack_signed(body, "application/x-www-form-urlencoded"))

    def post(
        self, path: str, content: Any, headers: httpx.Headers | dict[str, str] | None = None
    ) -> httpx.Response:
        """POST raw content."""
        return self.http.post(f"{self.url}{path}", content=content, headers=headers or {})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sqlite_pilot_template: Path) -> Iterator[Served]:
    """A `python -m bot serve` process on a free port, with the pilot roster, against the Slack stand-in."""
    folder = tmp_path_factory.mktemp("hostile")
    database = folder / "ccbot.db"
    shutil.copy(sqlite_pilot_template, database)
    slack = SlackStandIn().start()
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SLACK_", "CCBOT_"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "CCBOT_DATABASE_URL": f"sqlite:///{database}",
            "CCBOT_PORT": str(port),
            "CCBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CCBOT_COORDINATION_CHANNEL": "C0COORD01",
            "CCBOT_MANAGEMENT_CHANNEL": "C0MGMT001",
            "CCBOT_ADMINS": "U0ADMIN99",
            "CCBOT_LOG_FORMAT": "json",
        }
    )
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    http = httpx.Client(timeout=10)
    deadline = time.monotonic() + 30
    while True:
        try:
            if http.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, "ccbot serve exited at start-up"
        assert time.monotonic() < deadline, "ccbot serve did not become ready"
        time.sleep(0.05)
    try:
        yield Served(process=process, url=url, http=http, slack=slack, log=folder / "serve.log")
    finally:
        log.close()
        http.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        slack.stop()


@pytest.fixture(autouse=True)
def still_standing(served: Served) -> Iterator[None]:
    """After each attack: the process is alive, answers /healthz, never held more than RSS_LIMIT, and logged no
    unexpected error (hostile input gets a refusal that says what is wrong, not "something went wrong")."""
    logged = served.log.stat().st_size
    yield
    assert served.process.poll() is None, "the process died"
    assert served.http.get(f"{served.url}/healthz").json() == {"status": "ok"}
    assert served.peak_rss_kb() < RSS_LIMIT_KB, f"peak RSS {served.peak_rss_kb() // 1024} MB"
    with served.log.open("rb") as log:
        log.seek(logged)
        errors = [
            line[:300] for line in log.read().decode(errors="replace").splitlines() if '"ERROR"' in line
        ]
    assert errors == [], errors


def _no_5xx(responses: list[tuple[str, httpx.Response]]) -> None:
    errors = [(what, r.status_code, r.text[:200]) for what, r in responses if r.status_code >= 500]
    assert errors == [], errors


# -- the deployment webhook --------------------------------------------------------------------------------


def _raw_headers(headers: dict[str, str]) -> httpx.Headers:
    """Headers sent as UTF-8 bytes (httpx refuses non-ASCII text in headers; a client need not)."""
    return httpx.Headers({key.encode(): value.encode() for key, value in headers.items()})


NESTED = b"[" * 200_000 + b"]" * 200_000


def test_unsigned_wrongly_signed_and_stale_deliveries_get_401(served: Served) -> None:
    body = json.dumps(NOTICE).encode()
    attempts: dict[str, tuple[bytes, httpx.Headers | dict[str, str]]] = {
        "unsigned junk": (os.urandom(4096), {}),
        "unsigned nested": (NESTED, {"Content-Type": "application/json"}),
        "unsigned non-UTF-8": (b"\xff\xfe\x00{", {"Content-Type": "application/json"}),
        "wrong secret": (body, _sign(body, secret="guess")),
        "wrong hub secret": (body, {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
        "stale": (body, _sign(body, timestamp=int(time.time()) - 3600)),
        "from the future": (body, _sign(body, timestamp=int(time.time()) + 3600)),
        "timestamp not a number": (body, {**_sign(body), "X-Ccbot-Timestamp": "1.7e9"}),
        "timestamp not ASCII": (
            body,
            _raw_headers({**_sign(body), "X-Ccbot-Timestamp": "\uff11\uff12"}),
        ),
        "signature of another body": (body + b" ", _sign(body)),
    }
    answers = [
        (what, served.post("/hooks/deployments", raw, headers)) for what, (raw, headers) in attempts.items()
    ]
    _no_5xx(answers)
    assert {what: r.status_code for what, r in answers} == dict.fromkeys(attempts, 401)


def test_signed_but_malformed_deliveries_get_400(served: Served) -> None:
    bodies = {
        "nested arrays": NESTED,
        "nested objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "not UTF-8": b"\xff\xfe\x00{",
        "not JSON": b"{event: deployed}",
        "a JSON string": b'"deployed_stage"',
        "null": b"null",
        "unterminated escapes": b'"' + b'\\"' * 100_000,
        "wrong types": json.dumps({**NOTICE, "pull_requests": {"$gt": ""}}).encode(),
        "huge numbers": json.dumps({**NOTICE, "pull_requests": [10**400]}).encode(),
    }
    answers = [(what, served.post("/hooks/deployments", raw, _sign(raw))) for what, raw in bodies.items()]
    _no_5xx(answers)
    assert {what: r.status_code for what, r in answers} == dict.fromkeys(bodies, 400)


def test_oversized_bodies_are_refused_while_they_stream_and_memory_stays_bounded(served: Served) -> None:
    def chunks(megabytes: int) -> Iterator[bytes]:
        for _ in range(megabytes * 16):
            yield b"[" * 65536  # sent chunked: no Content-Length to refuse it by

    results: list[tuple[str, int | str]] = []

    def upload(path: str) -> None:
        try:
            response = httpx.post(f"{served.url}{path}", content=chunks(64), timeout=20)
            results.append((path, response.status_code))
        except httpx.TransportError as exc:  # the server may close the connection while we still send
            results.append((path, type(exc).__name__))

    threads = [
        threading.Thread(target=upload, args=(path,)) for path in ["/hooks/deployments", "/slack/events"] * 3
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 6
    assert all(status == 413 or isinstance(status, str) for _, status in results), results
    assert any(status == 413 for _, status in results)
    declared = served.post(
        "/hooks/deployments", b"{}", {"Content-Length": "2", "X-Declared": "x"}
    )  # a sane request after the flood is served
    assert declared.status_code == 401


def test_a_replayed_github_style_delivery_is_answered_duplicate(served: Served) -> None:
    body = json.dumps({**NOTICE, "sha_range": f"replay-{uuid.uuid4().hex[:8]}"}).encode()
    delivery = str(uuid.uuid4())
    first = served.post("/hooks/deployments", body, _hub(body, delivery))
    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    for headers in (_hub(body, delivery), _hub(body, str(uuid.uuid4())), _hub(body)):
        again = served.post("/hooks/deployments", body, headers)
        assert (again.status_code, again.json()["status"]) == (200, "duplicate")


# -- Slack's endpoint --------------------------------------------------------------------------------------


def _slack_signed(
    body: bytes | str, content_type: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Sign the exact bytes, as Slack does (v0:timestamp:body; the body need not be UTF-8 to be signed)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


def test_unsigned_and_stale_slack_requests_get_401_without_being_parsed(served: Served) -> None:
    form = "application/x-www-form-urlencoded"
    command = urlencode({"command": Command.CC.value, "user_id": COMMITTER, "text": ""})
    attempts = {
        "unsigned junk": (os.urandom(2048), {"Content-Type": form}),
        "unsigned nested JSON": (NESTED, {"Content-Type": "application/json"}),
        "unsigned JSON null": (b"null", {"Content-Type": "application/json"}),
        "unsigned broken payload": (b"payload=%7B%7B%7B", {"Content-Type": form}),
        "wrong secret": (command, _slack_signed(command, form, secret="guess")),
        "stale": (command, _slack_signed(command, form, timestamp=int(time.time()) - 3600)),
        "timestamp not a number": (
            command,
            {**_slack_signed(command, form), "X-Slack-Request-Timestamp": "soon"},
        ),
    }
    answers = [
        (what, served.post("/slack/events", raw, headers)) for what, (raw, headers) in attempts.items()
    ]
    _no_5xx(answers)
    assert {what: r.status_code for what, r in answers} == dict.fromkeys(attempts, 401)


def _interaction_form(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


def _warnings_since(served: Served, offset: int) -> list[str]:
    with served.log.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode(errors="replace").splitlines()
    return [line[:300] for line in lines if '"WARNING"' in line]


def test_signed_malformed_slack_bodies_get_a_4xx(served: Served) -> None:
    form, as_json = "application/x-www-form-urlencoded", "application/json"
    submission = view_submission(
        {"id": "V0FORGED1", "type": "modal", "callback_id": ViewId.ASK.value}, {}, user_id=COMMITTER
    )
    bodies = {
        "form: payload not JSON": (b"payload=%7Bnot%20json", form),
        "form: payload nested": (b"payload=" + b"%5B" * 50_000 + b"%5D" * 50_000, form),
        "form: payload null": (b"payload=null", form),
        "form: payload a list": (b"payload=%5B1%2C2%5D", form),
        "form: not UTF-8": (b"command=%FF%FE&text=\xff", form),
        "form: percent soup": (b"%%%&&&===", form),
        "json: broken": (b"{not json", as_json),
        "json: nested": (NESTED, as_json),
        "json: null": (b"null", as_json),
        "json: list": (b"[1, 2]", as_json),
        "json: event not an object": (b'{"type": "event_callback", "event": "x", "event_id": 7}', as_json),
        "json: url_verification without a challenge": (b'{"type": "url_verification"}', as_json),
        "form: a view without a type": (
            _interaction_form(
                {**submission, "view": {"callback_id": ViewId.ASK.value, "state": {"values": {}}}}
            ),
            form,
        ),
        "form: a view that is null": (_interaction_form({**submission, "view": None}), form),
        "form: a user that is a string": (_interaction_form({**submission, "user": "U0PILOT01"}), form),
        "form: actions without an id": (
            _interaction_form({**block_action("x", "1", user_id=COMMITTER), "actions": [{"value": "1"}]}),
            form,
        ),
        "json: an event that is null": (
            b'{"type": "event_callback", "event_id": "Ev1", "event": null}',
            as_json,
        ),
        "json: an event without a type": (
            b'{"type": "event_callback", "event_id": "Ev2", "event": {"user": "U0PILOT01"}}',
            as_json,
        ),
    }
    logged = served.log.stat().st_size
    answers = [
        (what, served.post("/slack/events", raw, _slack_signed(raw, content_type)))
        for what, (raw, content_type) in bodies.items()
    ]
    _no_5xx(answers)
    statuses = {what: r.status_code for what, r in answers}
    assert statuses.pop("form: percent soup") == 404, "a form naming nothing Slack sends is not handled"
    assert statuses == dict.fromkeys(statuses, 400)
    # One warning for each: the request refused, and why (Bolt's own for the one it did not handle).
    assert len(_warnings_since(served, logged)) == len(bodies), _warnings_since(served, logged)


HOSTILE_IDS = ["abc", "-1", "0", "9" * 2000, "1e9", "", "1; DROP TABLE question", "{}", "١٢٣", "²", " 7"]


def test_forged_buttons_are_refused_never_a_5xx(served: Served) -> None:
    # Some action ids carry what they open after a colon.
    prefixed = {
        Action.ADMIN_OPEN: [ViewId.ADMIN_PHASE.value, "forged"],
        Action.HOME_PAGE: ["next", "prev", "x"],
        Action.SNOOZE: ["1d", "forged"],
    }
    action_ids = [f"{a.value}:{tail}" for a, tails in prefixed.items() for tail in tails]
    action_ids += [a.value for a in Action if a not in prefixed]
    answers = []
    for action_id in action_ids:
        for number, value in enumerate(HOSTILE_IDS):
            user = (ADMIN, COMMITTER)[number % 2]  # an admin may do most; a committer is refused most
            payload = block_action(
                action_id, value, user_id=user, message={"channel": "C0NOWHERE", "ts": "1.000001"}
            )
            answers.append((f"{action_id}={value[:20]!r} by {user}", served.interact(payload)))
    _no_5xx(answers)
    refused = {what.split("=")[0] for what, r in answers if r.status_code != 200}
    # Link buttons open a page in the browser; Slack's click on one has no listener.
    assert refused == {Action.OPEN_QUESTION.value}, "Slack is answered; the refusal goes to the user"


FORGED_METADATA = ["", "{", "-1", "9" * 3000, '{"question_id": "x"}', json.dumps({"id": [1] * 500}), "null"]


def test_forged_modal_metadata_is_refused_never_a_5xx(served: Served) -> None:
    answers = []
    for view in ViewId:
        for metadata in FORGED_METADATA:
            payload = view_submission(
                {"id": "V0FORGED1", "type": "modal", "callback_id": view.value, "private_metadata": metadata},
                {},
                user_id=ADMIN,
            )
            answers.append((f"{view.value} {metadata[:20]!r}", served.interact(payload)))
    _no_5xx(answers)
    assert {r.status_code for _, r in answers} == {200}, "a refusal is shown in the modal"


def test_forged_admin_values_and_control_characters_are_refused_or_removed(served: Served) -> None:
    forged = {
        "phase": (
            ViewId.ADMIN_PHASE,
            Input.PHASE.value,
            {"type": "static_select", "selected_option": {"value": "chaos"}},
        ),
        "date": (
            ViewId.ADMIN_AWAY,
            Input.AWAY_UNTIL.value,
            {"type": "datepicker", "selected_date": "2026-02-31"},
        ),
    }
    for what, (view_id, block, value) in forged.items():
        payload = view_submission(
            {"id": "V0FORGED2", "type": "modal", "callback_id": view_id.value},
            {Input.GITHUB.value: {"type": "plain_text_input", "value": "jbowman"}, block: value},
            user_id=ADMIN,
        )
        answer = served.interact(payload)
        assert answer.status_code == 200, what
        assert answer.json()["response_action"] == "errors", (what, answer.text)
        assert block in answer.json()["errors"], what
    body = json.dumps(
        {**NOTICE, "environment": "stage\u0000", "sha_range": f"nul-{uuid.uuid4().hex[:8]}"}
    ).encode()
    answer = served.post("/hooks/deployments", body, _sign(body))
    assert (answer.status_code, answer.json()["status"]) == (200, "accepted")


def test_the_server_still_serves_a_real_request_after_all_of_it(served: Served) -> None:
    command = urlencode(
        {
            "command": Command.CC.value,
            "user_id": "U0PILOT05",
            "text": "",
            "team_id": "T0CCBOT00",
            "trigger_id": "1.2",
        }
    )
    answer = served.post(
        "/slack/events", command, _slack_signed(command, "application/x-www-form-urlencoded")
    )
    assert answer.status_code == 200
    assert "Felipe Montoya" in answer.text
