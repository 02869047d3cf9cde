"""The floor for ack latency: a bare Bolt app on ccbot's server stack that acks `/cc-ask` and opens a fixed modal."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from slack_bolt import App
from slack_sdk import WebClient

from bot.server import build_asgi
from bot.slack import retry_handlers
from storage.db import make_engine

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


def main() -> None:
    """Serve the bare app on CCBOT_PORT."""
    client = WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ["SLACK_API_URL"],
        retry_handlers=retry_handlers(),
    )
    app = App(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=64),
    )

    def open_modal(ack: Any, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=MODAL)

    app.command("/cc-ask")(open_modal)
    engine = make_engine(os.environ["CCBOT_DATABASE_URL"])
    uvicorn.run(
        build_asgi(app, engine), host="127.0.0.1", port=int(os.environ["CCBOT_PORT"]), log_level="warning"
    )


if __name__ == "__main__":
    main()
