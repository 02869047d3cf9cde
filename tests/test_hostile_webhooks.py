"""Hostile text in every field of every webhook ccbot reads: the deployment notices and GitHub's deliveries.

The deployment notice's fields come from its published schema (docs/deployment-notice.schema.json), so a new
field is exercised as soon as it is added; GitHub's deliveries are sample bodies of each event ccbot acts on,
every string in them replaced in turn. Each hostile delivery is answered 2xx or 4xx, never 5xx; then the
messages go out and every Slack call is scanned, blocks and notification text alike.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.hooks import DeploymentHook
from tests.conftest import NOW, ROOT, RunningBot, run_at
from tests.services.test_notices import ESCAPED
from tests.test_github_hook import deliver, pr_payload
from tests.test_hooks import _sign
from tests.test_hostile_forms import EVIL, LONG, everything_sent
from tests.test_injection import HOSTILE

SCHEMA = json.loads((ROOT / "docs" / "deployment-notice.schema.json").read_text())
# A field that is a URL may be linked (the pipeline's run, say), but what follows its host must not break out.
HOSTILE_URL = "https://ci.example.org/x?a=<!channel>|Sign in>&b=<@U0EVIL001>"
Path_ = tuple[str | int, ...]


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return SCHEMA["$defs"][ref.rsplit("/", 1)[1]] if ref else node


def _string_paths(node: dict[str, Any], path: Path_ = ()) -> Iterator[Path_]:
    """Yield the path of every string the schema allows, through objects, arrays and alternatives."""
    node = _resolve(node)
    if node.get("type") == "string" or "enum" in node:
        yield path
    for alternative in node.get("anyOf", []):
        yield from _string_paths(alternative, path)
    for name, child in node.get("properties", {}).items():
        yield from _string_paths(child, (*path, name))
    if "items" in node:
        yield from _string_paths(node["items"], (*path, 0))


def _with(payload: dict[str, Any], path: Path_, value: str) -> dict[str, Any]:
    """Return a copy of `payload` with `value` at `path` (the path's containers made as needed)."""
    changed = copy.deepcopy(payload)
    target: Any = changed
    for step, following in itertools.pairwise(path):
        if isinstance(target, list):
            if not isinstance(target[step], dict) and isinstance(following, str):
                target[step] = {"number": 35120}  # a pull request given by number becomes an object
        elif step not in target or not isinstance(target[step], dict | list):
            target[step] = {} if isinstance(following, str) else [None]
        target = target[step]
    target[path[-1]] = value
    return changed


def _deployment(bot: RunningBot, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    answer = DeploymentHook(bot.runtime).handle({k.lower(): v for k, v in _sign(body).items()}, body)
    return answer.status


def _github_strings(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _github_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _github_strings(item, (*path, index))
    elif isinstance(value, str):
        yield path


def _github_samples() -> dict[str, tuple[str, dict[str, Any]]]:
    labeled = pr_payload("labeled", label={"name": "cc-review-please"})
    return {
        "merged": ("pull_request", pr_payload("closed", merged_by="ziafazal")),
        "labeled": ("pull_request", labeled),
        "review_requested": (
            "pull_request",
            pr_payload(
                "review_requested", requested_reviewer={"login": "bradenmacdonald"}, sender="ziafazal"
            ),
        ),
        "review": (
            "pull_request_review",
            {
                "action": "submitted",
                "review": {"user": {"login": "pdpinch"}, "state": "approved", "body": "Looks good"},
                "pull_request": labeled["pull_request"],
                "repository": labeled["repository"],
            },
        ),
    }


def test_hostile_text_in_every_webhook_field_never_reaches_slack_unescaped_nor_answers_5xx(
    bot: RunningBot,
) -> None:
    paths = sorted(set(_string_paths(SCHEMA)), key=str)
    assert ("details",) in paths
    assert ("pull_requests", 0, "author") in paths, "the pull request objects' fields are found too"
    statuses: dict[str, int] = {}
    for n, path in enumerate(paths):
        for kind, value in (("evil", EVIL), ("long", LONG), ("url", HOSTILE_URL)):
            payload = _with({**ESCAPED, "incident_id": f"INC-{n}-{kind}"}, path, value)
            statuses[f"deployment {path} {kind}"] = _deployment(bot, payload)
    for name, (event, sample) in _github_samples().items():
        for n, path in enumerate(_github_strings(sample)):
            for kind, value in (("evil", EVIL), ("long", LONG), ("url", HOSTILE_URL)):
                answer = deliver(bot, event, _with(sample, path, value), delivery=f"{name}-{n}-{kind}")
                statuses[f"github {name} {path} {kind}"] = answer.status_code
    assert {what: status for what, status in statuses.items() if status >= 500} == {}
    assert any(status == 200 for what, status in statuses.items() if what.startswith("deployment"))
    assert any(status == 200 for what, status in statuses.items() if what.startswith("github"))
    for days in (0, 2):
        run_at(bot.bot, "outbox_delivery", NOW + dt.timedelta(days=days, minutes=1))
    for n, user in enumerate(("U0PILOT01", "U0CHAMP01")):
        bot.sender.event(
            {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME", "event_ts": "1.0"},
            event_id=f"EvWebhookHome{n}",
        )
    answers = [bot.sender.command("/cc", "", user_id="U0PILOT01").json()]
    assert bot.slack.messages(), "the webhooks sent messages to scan"
    sent = list(everything_sent(bot, answers))
    assert [t[:300] for t in sent if HOSTILE.search(t)] == []
    assert not any("|Sign in>" in t for t in sent), "a hostile URL made a link of its own"


def test_every_string_field_of_the_schema_is_exercised() -> None:
    paths = set(_string_paths(SCHEMA))
    top = {name for name, node in SCHEMA["properties"].items() if any(p[0] == name for p in paths)}
    strings = {
        name
        for name, node in SCHEMA["properties"].items()
        if "string" in json.dumps(_resolve(node)) and name != "pull_requests"
    }
    assert strings <= top
    assert Path(ROOT / "docs" / "deployment-notice.schema.json").exists()
