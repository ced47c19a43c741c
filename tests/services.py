"""Starting and waiting for the local services the tests talk to (all on loopback)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Cloudflare's R2 simulator and the script that serves it; `npm ci --prefix tests/r2` installs it.
R2_SERVER_FOLDER = Path(__file__).parent / "r2"


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
    """An S3 API (``moto_server``) on a free loopback port; yields its endpoint URL.

    It checks no signature; :func:`r2_server` does, as R2 would.
    """
    executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    port = free_port()
    with _serving([executable, "-H", "127.0.0.1", "-p", str(port)], port, log_path, "moto_server"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def _serving(
    command: list[str], port: int, log_path: Path, name: str, start_s: float = 30, **options: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` running, with its output in ``log_path``, once it listens on ``port``; stopped on exit.

    ``options`` go to :class:`subprocess.Popen`; with ``start_new_session`` the whole session is stopped, so
    that what the command started goes too.
    """
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, **options)
        try:
            deadline = time.monotonic() + start_s
            while not _listening(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start on port {port}; see {log_path}")
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if options.get("start_new_session"):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass  # everything it started stopped with it, as it should


@dataclass(frozen=True)
class R2Server:
    """Cloudflare's R2 simulator on loopback (``tests/r2/serve.mjs``), whose S3 endpoint checks what R2
    checks: SigV4 signatures in headers and in presigned URLs, their expiry, and the signed payload digest.

    Its buckets are configured when it starts: the simulator answers CreateBucket with NotImplemented.
    ``log_path`` has one JSON line per request it received (method, path, headers).
    """

    endpoint: str
    access_key_id: str
    secret_access_key: str
    buckets: tuple[str, ...]
    log_path: Path

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        """The ``VIDEO_STORAGE_URL`` of ``bucket`` (and a key prefix), as the README writes R2's."""
        return f"s3://{bucket}/{prefix}?endpoint={self.endpoint}&region=auto"

    def client(self, secret_access_key: str | None = None) -> Any:
        """A plain boto3 client with this server's credentials (or another secret), for setting up and
        checking what the code under test did."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="auto",
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
        )

    def requests(self) -> list[dict[str, Any]]:
        """Every request the server received so far, oldest first: ``{"method", "path", "headers"}``."""
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line]


@contextmanager
def r2_server(folder: Path, buckets: Sequence[str]) -> Iterator[R2Server]:
    """A started :class:`R2Server` with ``buckets`` and fresh R2-shaped credentials; stopped on exit."""
    node = shutil.which("node")
    if node is None or not (R2_SERVER_FOLDER / "node_modules" / "miniflare").is_dir():
        raise RuntimeError(
            "the R2 test server is not installed: it needs Node.js 20 or newer, then "
            "`npm ci --prefix tests/r2` (`make system-packages` runs it)"
        )
    port = free_port()
    server = R2Server(
        endpoint=f"http://127.0.0.1:{port}/cdn-cgi/local/r2/s3",
        # R2's API tokens have a 32-character key id and a 64-character secret.
        access_key_id=secrets.token_hex(16),
        secret_access_key=secrets.token_hex(32),
        buckets=tuple(buckets),
        log_path=folder / "requests.jsonl",
    )
    options = {
        "port": port,
        "buckets": list(buckets),
        "accessKeyId": server.access_key_id,
        "secretAccessKey": server.secret_access_key,
        "log": str(server.log_path),
    }
    command = [node, "serve.mjs", json.dumps(options)]
    # A session of its own, so that stopping it also stops the workerd process the simulator starts.
    with _serving(
        command,
        port,
        folder / "r2.log",
        "the R2 test server",
        60,
        cwd=R2_SERVER_FOLDER,
        start_new_session=True,
    ):
        yield server


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
