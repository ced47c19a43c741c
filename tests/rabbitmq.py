"""A RabbitMQ node of the tests' own, on free loopback ports, that a test may crash and start again.

The machine's RabbitMQ (127.0.0.1:5672) is shared with whatever else runs there and is never restarted by a
test; this node has its own name, ports and data folder, so :meth:`RabbitNode.restart` is what a broker crash
is in production: durable queues and confirmed persistent messages come back from disk, connections do not.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import _listening, free_port

# Debian's package puts the server script here; /usr/sbin/rabbitmq-server is a wrapper that switches to the
# rabbitmq user in a session of its own, which a test could not stop with its process group.
SERVER_SCRIPTS = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server")
BOOT_TIMEOUT_S = 60


class RabbitNode:
    """A ``rabbitmq-server`` node with its data in ``folder``; :attr:`url` is its AMQP URL (guest/guest)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self._name = f"aivideo-test-{uuid.uuid4().hex[:8]}@localhost"
        self._dist_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        (folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            # guest may log in from loopback only by default; the node listens on nothing else anyway.
            "loopback_users = none\n"
            # RabbitMQ's own default (50 MB free), stated: a disk alarm would block publishers mid-test.
            "disk_free_limit.absolute = 50MB\n"
        )
        (folder / "enabled_plugins").write_text("[].\n")

    def start(self) -> None:
        script = next((path for path in SERVER_SCRIPTS if shutil.which(path)), None)
        if script is None:
            raise RuntimeError("rabbitmq-server is not installed; apt-get install rabbitmq-server")
        env = {
            **os.environ,
            "RABBITMQ_NODENAME": self._name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self._dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(self.folder / "feature_flags"),
            "RABBITMQ_PID_FILE": str(self.folder / "rabbitmq.pid"),
        }
        log = (self.folder / "rabbitmq.out").open("ab")
        self._process = subprocess.Popen(
            [script], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not (_listening(self.port) and self._accepts_amqp()):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop(kill=True)
                raise RuntimeError(
                    f"RabbitMQ did not start on port {self.port}; see {self.folder}/rabbitmq.out"
                )
            time.sleep(0.2)

    def _accepts_amqp(self) -> bool:
        import pika

        try:
            pika.BlockingConnection(pika.URLParameters(self.url)).close()
        except Exception:  # noqa: BLE001 - still booting: the port may be open before the broker is
            return False
        return True

    def stop(self, kill: bool = False) -> None:
        """Stop the node: SIGKILL to its processes (a crash) when ``kill``, else SIGTERM (a clean stop)."""
        if self._process is None:
            return
        try:
            os.killpg(self._process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=10)
        self._process = None
        deadline = time.monotonic() + 10
        while _listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def restart(self, down_s: float = 0.0, kill: bool = True) -> None:
        """Stop, stay down ``down_s`` seconds, and start again on the same port with the same data."""
        self.stop(kill=kill)
        time.sleep(down_s)
        self.start()

    def delete_queues(self, names: Iterable[str]) -> None:
        """Delete ``names`` and their delay and dead-letter queues: a fresh start for the next test."""
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = connection.channel()
            for name in names:
                for queue in (name, f"{name}.DQ", f"{name}.XQ"):
                    channel.queue_delete(queue=queue)
        finally:
            connection.close()

    def message_count(self, queue: str) -> int:
        """Messages ready on ``queue`` (not those a consumer holds unacknowledged)."""
        return message_count(self.url, queue)


def message_count(url: str, queue: str) -> int:
    """Messages ready on ``queue`` of the RabbitMQ at ``url`` (not those a consumer holds unacknowledged)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        return connection.channel().queue_declare(queue=queue, passive=True).method.message_count
    finally:
        connection.close()


@contextmanager
def rabbitmq_node(folder: Path) -> Iterator[RabbitNode]:
    """A started :class:`RabbitNode`, stopped on exit."""
    node = RabbitNode(folder)
    node.start()
    try:
        yield node
    finally:
        node.stop()
