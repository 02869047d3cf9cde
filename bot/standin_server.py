"""A local HTTP server answering in a background thread: what the Slack and GitHub stand-ins are served by."""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class StandInServer(ABC):
    """Serves every request on a local port (port 0: any free one) to `handle`, each in a thread of its own."""

    def __init__(self, host: str, port: int, *, name: str) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, delayed ACKs add 40 ms per request.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                stand_in.handle(self)

            def do_PUT(self) -> None:
                stand_in.handle(self)

            def do_DELETE(self) -> None:
                stand_in.handle(self)

            def do_POST(self) -> None:
                stand_in.handle(self)

            def do_PATCH(self) -> None:
                stand_in.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.005}, name=name, daemon=True
        )

    @property
    def origin(self) -> str:
        """Return `http://host:port`, where the server listens."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def reply(
        self, request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        """Answer a request with `body` as JSON (None: no body) and any extra headers."""
        data = b"" if body is None else json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(data)

    @abstractmethod
    def handle(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one request (its method is `request.command`)."""
