"""Keeping the runner's broker heartbeat fresh while a long job runs.

Dramatiq's Redis broker records a heartbeat for a process on every broker command, and any process's broker
maintenance puts the unfinished messages of a process whose heartbeat is older than *its own*
``heartbeat_timeout`` back on the queue. A runner busy with one job (prefetch 1) sends no fetch commands, and
only sends events when the renderer reports progress; a stage that reports nothing for a minute (a big upload,
a slow clip) would let the web process's broker, with Dramatiq's 60 s default, requeue a job that is still
running. This thread sends a cheap command (a queue's size) at a fixed interval instead, so the heartbeat only
goes stale when the process is dead or frozen. It asks about every queue the runner consumes, because
maintenance only requeues dead runners' messages of the queue named in the command that triggers it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

logger = logging.getLogger(__name__)

# Beat at least this often, whatever the timeout: other processes' brokers may use a shorter one than ours.
MAX_INTERVAL_S = 15.0


def heartbeat_interval(heartbeat_timeout_s: float) -> float:
    """A quarter of the timeout, at most :data:`MAX_INTERVAL_S`: three beats may be lost before it matters."""
    return min(MAX_INTERVAL_S, heartbeat_timeout_s / 4)


class BrokerHeartbeat:
    """A daemon thread that keeps ``broker``'s heartbeat fresh every ``interval_s`` seconds."""

    def __init__(self, broker: Any, interval_s: float) -> None:
        self._broker = broker
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gpu-runner-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self) -> None:
        """Ask each declared queue its size: each command records the heartbeat (and may run maintenance)."""
        for queue_name in sorted(self._broker.get_declared_queues()):
            self._broker.do_qsize(queue_name)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.beat()
            except Exception as exc:  # Redis down: the consumer reconnects on its own; keep beating after
                logger.warning("could not send the broker heartbeat: %s", exc)
