"""A mock NGSI-LD context source on 127.0.0.1: records every request, answers as told."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PREFIX = "/ngsi-ld/v1"


@dataclass
class Received:
    method: str
    path: str  # percent-decoded, without the query
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    status: int
    body: Any = None


@dataclass
class ContextSource:
    """Holds `entities` and `temporal` entities for GET; any other request gets `replies[(method, path)]`, else
    201 for POST /entities and 204 otherwise."""

    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    temporal: dict[str, dict[str, Any]] = field(default_factory=dict)  # temporal entities
    replies: dict[tuple[str, str], Reply] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        source = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length) if length else b""
                path = unquote(url.path)
                source.received.append(
                    Received(
                        self.command,
                        path,
                        parse_qs(url.query),
                        dict(self.headers.items()),
                        json.loads(raw) if raw else None,
                    )
                )
                reply = source.reply(self.command, path)
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PATCH(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def reply(self, method: str, path: str) -> Reply:
        if (method, path) in self.replies:
            return self.replies[(method, path)]
        if method == "GET" and path == f"{PREFIX}/temporal/entities":
            return Reply(200, list(self.temporal.values()))
        if method == "GET" and path.startswith(f"{PREFIX}/temporal/entities/"):
            held = self.temporal.get(path.removeprefix(f"{PREFIX}/temporal/entities/"))
            return Reply(200, held) if held else Reply(404)
        if method == "GET" and path == f"{PREFIX}/entities":
            return Reply(200, list(self.entities.values()))
        if method == "GET" and path.startswith(f"{PREFIX}/entities/"):
            found = self.entities.get(path.removeprefix(f"{PREFIX}/entities/"))
            return Reply(200, found) if found else Reply(404, {"type": "x", "status": 404})
        if method == "POST" and path == f"{PREFIX}/entityOperations/query":
            return Reply(200, list(self.entities.values()))
        if method == "POST" and path == f"{PREFIX}/entities":
            return Reply(201)
        return Reply(204)

    def writes(self) -> list[Received]:
        return [r for r in self.received if r.method != "GET"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
