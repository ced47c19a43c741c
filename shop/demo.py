"""``make demo``: the whole product on its embedded default, on one laptop.

SQLite, a local storage folder, a local Redis (reused if one answers, started if not), the ``still`` renderer
and the offline espeak voice. Starts the web server, the events worker and the GPU runner as children,
prints the URL and the logins, and stops everything on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from gpu_runner.signing_chain import make_demo_chain
from shop.error_reports import mask_url_credentials

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "demo-data"


def _demo_secret_key() -> str:
    """A key of this demo's own, made on first run and kept beside its database, so sessions survive a
    restart."""
    path = DATA / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _demo_environment() -> dict[str, str]:
    env = dict(os.environ)
    # Debug stays off: Django's debug page would show any visitor the settings and the whole environment. Off,
    # the demo needs a secret key of its own instead of the published placeholder.
    env.setdefault("DJANGO_DEBUG", "0")
    env.setdefault("DJANGO_SECRET_KEY", _demo_secret_key())
    env.setdefault("DATABASE_URL", f"sqlite:///{DATA / 'db.sqlite3'}")
    env.setdefault("VIDEO_STORAGE_URL", str(DATA / "storage"))
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("GPU_RUNNER_RENDERER", "still")
    env.setdefault("GPU_RUNNER_DEFAULT_VOICE", "espeak:en-us")
    # The demo speaks offline, so its runner does not call the online voice service at all.
    env.setdefault("GPU_RUNNER_VOICE_ENGINES", "espeak")
    env.setdefault("DEMO_PORT", "8000")
    env.setdefault("WAGTAILADMIN_BASE_URL", f"http://127.0.0.1:{env['DEMO_PORT']}")
    env.setdefault("dramatiq_queue_prefetch", "1")
    # The demo's runner signs its videos' content credentials (C2PA) with a demo chain made anew at each start
    # (no validator trusts it: verify tools show an unknown signer); production configures a real certificate.
    if not env.get("GPU_RUNNER_C2PA_CERT") and not env.get("GPU_RUNNER_C2PA_DISABLED"):
        chain, key = make_demo_chain(DATA / "c2pa")
        env["GPU_RUNNER_C2PA_CERT"], env["GPU_RUNNER_C2PA_KEY"] = str(chain), str(key)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _ensure_redis(url: str, children: list[subprocess.Popen]) -> None:
    if _redis_answers(url):
        print(f"  redis      reusing {mask_url_credentials(url)}")
        return
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"error: Redis at {url} does not answer; start it or set REDIS_URL to a reachable Redis.")
    server = shutil.which("redis-server")
    if not server:
        sys.exit(
            f"error: no Redis answers at {url} and redis-server is not installed.\n"
            "  Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)\n"
            "  or point REDIS_URL at a running Redis."
        )
    port = str(parts.port or 6379)
    children.append(
        subprocess.Popen(
            [server, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
    )
    for _ in range(50):
        if _redis_answers(url):
            print(f"  redis      started redis-server on port {port}")
            return
        time.sleep(0.1)
    sys.exit(f"error: redis-server was started on port {port} but does not answer")


def _wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # `kill` or a supervisor's stop must clean up the children just like Ctrl-C does.
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    DATA.mkdir(exist_ok=True)
    env = _demo_environment()
    manage = [sys.executable, str(ROOT / "manage.py")]
    children: list[subprocess.Popen] = []

    # The offline voice is libespeak-ng from the espeakng-loader wheel, loaded in-process by the runner.
    if importlib.util.find_spec("espeakng_loader") is None:
        sys.exit(
            "error: the Python package espeakng-loader is not installed; the demo's offline voice needs it.\n"
            f"  Install it: {sys.executable} -m pip install espeakng-loader"
        )
    print("Preparing the demo database and content…")
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT)

    print("Starting services:")
    try:
        _ensure_redis(env["REDIS_URL"], children)
        port = env["DEMO_PORT"]
        logs = DATA / "logs"
        logs.mkdir(exist_ok=True)
        commands = {
            # --insecure: with debug off, runserver serves the static files only when asked to.
            "web": [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
            "events": [
                *manage,
                "rundramatiq",
                "--queues",
                "video-events",
                "--processes",
                "1",
                "--threads",
                "2",
            ],
            "runner": [sys.executable, "-m", "gpu_runner", "serve"],
        }
        for name, command in commands.items():
            log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process at exit
            children.append(
                subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            )
            print(f"  {name:<10} {' '.join(command[1:])}  (log: demo-data/logs/{name}.log)")

        site = f"http://127.0.0.1:{port}"
        if not _wait_for(f"{site}/healthz", 60):
            sys.exit(f"error: the web server did not come up; see {logs / 'web.log'}")
        runner_health = f"http://127.0.0.1:{env.get('GPU_RUNNER_HEALTH_PORT', '8088')}/health"
        if not _wait_for(runner_health, 60):
            print(f"warning: the GPU runner is not answering at {runner_health}; see {logs / 'runner.log'}")

        print(
            f"\nThe shop is running at {site}/  —  admin: {site}/admin/ (logins above).\n"
            "Edit a product page and click Generate video in its Presenter video panel.\n"
            "Ctrl-C stops everything.\n"
        )
        while all(child.poll() is None for child in children):
            time.sleep(1)
        print("error: a demo process stopped; see demo-data/logs/")
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    main()
