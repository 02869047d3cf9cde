"""The floor for ack latency: a bare Bolt app on ccbot's server stack that acks `/cc-ask` and opens a fixed modal,
and acks the ask modal's submission without doing anything else.

Run: python -m bench.bare_bolt [--workers N] (port from CCBOT_PORT); N > 1 serves through uvicorn's
worker processes, each building the app from the import string `bench.bare_bolt:web_app`, as
`ccbot serve --workers N` does with `bot.assembly:web_app`.
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from slack_bolt import App
from slack_sdk import WebClient
from starlette.applications import Starlette

from bot.assembly import open_database, slack_client
from bot.server import build_asgi
from bot.settings import load_settings

MODAL = {
    "type": "modal",
    "callback_id": "bare",
    "title": {"type": "plain_text", "text": "Ask"},
    "blocks": [
        {
            "type": "input",
            "block_id": "q",
            "label": {"type": "plain_text", "text": "Q"},
            "element": {"type": "plain_text_input", "action_id": "q"},
        }
    ],
}


def web_app() -> Starlette:
    """Return the bare app's web app, built from the environment (one per worker process).

    Its Slack client and database are the bot's own (bot.assembly); only the listeners are bare.
    """
    settings = load_settings()
    app = App(
        client=slack_client(settings),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=64),
    )

    def open_modal(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=MODAL)

    def take_submission(ack: Any) -> None:
        ack()

    app.command("/cc-ask")(open_modal)
    app.view("ask_question")(take_submission)
    return build_asgi(app, open_database(settings.database_url).engine)


def main() -> None:
    """Serve the bare app on CCBOT_PORT with --workers processes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1)
    workers = parser.parse_args().workers
    port = int(os.environ["CCBOT_PORT"])
    if workers > 1:
        uvicorn.run(
            "bench.bare_bolt:web_app",
            factory=True,
            workers=workers,
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    else:
        uvicorn.run(web_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
