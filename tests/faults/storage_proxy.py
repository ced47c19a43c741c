"""A fault-injecting HTTP proxy in front of the S3 server: it fails PUTs on demand and counts every attempt.

The runner is pointed at the proxy, the test process at the S3 server itself. ``fail_puts`` decides how many
of the next PUTs fail (``None``: all of them) and how: ``"503"`` answers an S3 ``ServiceUnavailable`` error,
``"drop"`` closes the connection without an answer, as a storage host that went away does.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
SERVICE_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code>'
    b"<Message>injected by the fault test</Message></Error>"
)


@dataclass(frozen=True)
class PutAttempt:
    """One PUT the proxy saw: when (monotonic seconds), which path, and whether it was failed on purpose."""

    at: float
    path: str
    failed: bool


class StorageFaultProxy:
    """Forwards everything to ``upstream``; fails the next ``failures`` PUTs (all of them when ``None``)."""

    def __init__(self, upstream: str, failures: int | None = 0, mode: str = "503") -> None:
        if mode not in ("503", "drop"):
            raise ValueError(f"mode {mode!r} is not '503' or 'drop'")
        self.upstream = urlsplit(upstream)
        self.failures = failures
        self.mode = mode
        self.puts: list[PutAttempt] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="storage-proxy", daemon=True)

    def __enter__(self) -> StorageFaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def failed_puts(self) -> list[PutAttempt]:
        return [put for put in self.puts if put.failed]

    def _should_fail_put(self, path: str) -> bool:
        with self._lock:
            fail = self.failures is None or self.failures > 0
            if fail and self.failures is not None:
                self.failures -= 1
            self.puts.append(PutAttempt(time.monotonic(), path, fail))
            return fail

    def _forward(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, list, bytes]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            forwarded = {
                k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "expect"
            }
            connection.request(method, path, body=body or None, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "PUT" and proxy._should_fail_put(self.path):
                    if proxy.mode == "drop":
                        self.close_connection = True
                        self.connection.close()
                        return
                    self._answer(503, [("Content-Type", "application/xml")], SERVICE_UNAVAILABLE)
                    return
                status, headers, payload = proxy._forward(self.command, self.path, self.headers, body)
                self._answer(status, headers, payload)

            def _answer(self, status: int, headers: list, payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
