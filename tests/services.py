"""Starting and waiting for the local services the tests talk to (all on loopback)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float) -> bool:
    """True once ``url`` answers with a 2xx, False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.2)
    return False


@contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    """An S3 API (``moto_server``) on a free loopback port; yields its endpoint URL."""
    executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen([executable, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while not _listening(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start on port {port}; see {log_path}")
                time.sleep(0.1)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class RedisServer:
    """A ``redis-server`` of the test's own on a free loopback port, with its data in ``folder``.

    It persists every write (AOF, fsync always), so :meth:`restart` loses nothing: the test sees what a
    production Redis with persistence does when it restarts. Never use the machine's shared Redis for this.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed; apt-get install redis-server")
        command = [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        command += ["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"]
        log = (self.folder / "redis.log").open("ab")
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not _listening(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis-server did not start on port {self.port}; see {self.folder}/redis.log"
                )
            time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        """Stop the server: SIGKILL (a crash) when ``kill``, else SIGTERM (a clean shutdown)."""
        if self._process is None:
            return
        if kill:
            self._process.kill()
        else:
            self._process.terminate()
        self._process.wait(timeout=15)
        self._process = None

    def restart(self, down_s: float = 0.0, kill: bool = True) -> None:
        """Stop, stay down ``down_s`` seconds, and start again on the same port with the same data."""
        self.stop(kill=kill)
        time.sleep(down_s)
        self.start()


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """A started :class:`RedisServer`, stopped on exit."""
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
