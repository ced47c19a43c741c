"""How the outside world sees a runner: ``GET /health`` and ``GET /metrics`` over HTTP, and a capabilities
record in Redis.

``/health`` is for orchestrators (a container health check, a load balancer); ``/metrics`` is Prometheus' text
format (:mod:`gpu_runner.metrics`), on the same port so a runner needs one port opened; the Redis record is
for the Wagtail side, which shows "runner online" and the voices it can offer. Its JSON shape is documented at
:func:`gpu_runner.protocol.runner_key`. Both serve what a callable returns (the runner's ``health`` and
``capabilities``), so this module knows nothing of the runner itself.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from .protocol import RUNNER_TTL_S, runner_key

logger = logging.getLogger(__name__)

PUBLISH_INTERVAL_S = 10.0


class HealthServer:
    """Serves ``GET /health`` as JSON from ``snapshot()``, and ``GET /metrics`` from ``metrics()`` when given,
    on a daemon thread."""

    def __init__(
        self,
        snapshot: Callable[[], dict[str, Any]],
        host: str,
        port: int,
        metrics: Callable[[], bytes] | None = None,
    ) -> None:
        self._snapshot = snapshot
        handler = _handler_for(snapshot, metrics)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="gpu-runner-health", daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(
    snapshot: Callable[[], dict[str, Any]], metrics: Callable[[], bytes] | None
) -> type[BaseHTTPRequestHandler]:
    paths = "/health or /metrics" if metrics else "/health"

    class HealthHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
            path = self.path.split("?", 1)[0]
            if path == "/health":
                self._reply(200, snapshot())
            elif path == "/metrics" and metrics is not None:
                self._send(200, metrics(), CONTENT_TYPE_LATEST)
            else:
                self._reply(404, {"error": f"no such path {self.path!r}; try {paths}"})

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            # Health checks and scrapes hit every few seconds; logging each would drown the job log.
            return

    return HealthHandler


class CapabilitiesPublisher:
    """Writes ``record()`` to Redis at :func:`runner_key` every ``interval_s``, with a TTL, from a thread,
    and at once whenever :meth:`publish_now` is called (the runner calls it when a job starts or ends).
    """

    def __init__(
        self,
        redis: Any,
        runner_id: str,
        record: Callable[[], dict[str, Any]],
        interval_s: float = PUBLISH_INTERVAL_S,
    ) -> None:
        self._redis = redis
        self._key = runner_key(runner_id)
        self._record = record
        self._interval_s = interval_s
        self._stop = threading.Event()
        # Reading the record and writing it happen together: a periodic write of a record read just before
        # a job ended must not land after, and overwrite, the record written because it ended.
        self._write_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="gpu-runner-capabilities", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop publishing and delete the record: the runner shows offline at once, not after the TTL."""
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self._redis.delete(self._key)
        except Exception as exc:  # shutting down: Redis may already be gone
            logger.warning("could not remove runner record: %s", exc)

    def publish_once(self) -> None:
        """Write the record now; raises when Redis cannot be reached."""
        with self._write_lock:
            self._redis.set(self._key, json.dumps(self._record()), ex=RUNNER_TTL_S)

    def publish_now(self) -> None:
        """Write the record now, logging (not raising) a Redis failure: the next tick tries again."""
        try:
            self.publish_once()
        except Exception as exc:  # Redis down: keep rendering, try again next tick
            logger.warning("could not publish runner capabilities: %s", exc)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.publish_now()
            self._stop.wait(self._interval_s)
