"""The whole system on real services, for the end-to-end and fault tests.

A :class:`Stack` is one test's world: a Redis database (the shared one's test database, or a server of the
test's own), the broker (that Redis, or a RabbitMQ node of the tests' own), a fresh bucket on a
``moto_server`` on loopback, the test database (committed transactions, so the other processes see its rows),
and runner and events-worker processes that the test can start, stop and kill one by one. Every process
writes its log under ``logs/``; a failing wait prints their tails.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import dramatiq
import pytest
import redis
from django.db import connection
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from tests.rabbitmq import message_count
from tests.services import free_port, wait_for_http
from video_plugin.jobs.storage import storage_backend
from video_plugin.models import VideoJob

ROOT = Path(__file__).resolve().parents[1]
AWS_ENV = {"AWS_ACCESS_KEY_ID": "e2e-key", "AWS_SECRET_ACCESS_KEY": "e2e-secret"}
RUNNER_BOOT_TIMEOUT_S = 60


class Stack:
    """The running system as a test sees it: storage, Redis, and named runner and events-worker processes."""

    def __init__(
        self,
        bucket: str,
        s3: Any,
        s3_endpoint: str,
        redis_url: str,
        logs: Path,
        env: dict[str, str],
        broker_url: str | None = None,
    ) -> None:
        self.broker_url = broker_url or redis_url
        self.bucket = bucket
        self.s3 = s3
        self.s3_endpoint = s3_endpoint
        self.storage_url = storage_url(bucket, s3_endpoint)
        self.redis_url = redis_url
        self.logs = logs
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.health: dict[str, str] = {}

    @property
    def runner_health(self) -> str:
        """The ``/health`` URL of the runner named ``runner``."""
        return self.health["runner"]

    def start_runner(self, name: str = "runner", wait: bool = True, **env: str) -> str:
        """Start ``python -m gpu_runner serve`` with extra environment ``env``; returns its health URL."""
        port = free_port()
        self._start(
            name, [sys.executable, "-m", "gpu_runner", "serve"], GPU_RUNNER_HEALTH_PORT=str(port), **env
        )
        self.health[name] = f"http://127.0.0.1:{port}/health"
        if wait and not wait_for_http(self.health[name], timeout=RUNNER_BOOT_TIMEOUT_S):
            pytest.fail(f"runner {name!r} did not come up\n{self.tail_logs()}")
        return self.health[name]

    def start_events_worker(self, name: str = "events", **env: str) -> None:
        """Start the events worker (``rundramatiq`` on the events queue, one process, one thread)."""
        command = [
            sys.executable,
            "manage.py",
            "rundramatiq",
            "--queues",
            "video-events",
            "-p",
            "1",
            "-t",
            "1",
        ]
        self._start(name, command, **env)

    def start_web(self, name: str = "web", workers: int = 2, threads: int = 8, **env: str) -> str:
        """Serve the site with gunicorn as production does (threaded workers, keep-alive); returns its base
        URL once ``/healthz`` answers. A secret key of the stack's own stands in for production's."""
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "shop.wsgi", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", str(workers), "--threads", str(threads)]
        self._start(name, command, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_DEBUG="0", **env)
        url = f"http://127.0.0.1:{port}"
        if not wait_for_http(f"{url}/healthz", timeout=RUNNER_BOOT_TIMEOUT_S):
            pytest.fail(f"web server {name!r} did not come up\n{self.tail_logs()}")
        return url

    def kill(self, name: str) -> None:
        """SIGKILL a process, as a crash or the kernel's OOM killer would: no cleanup, no ack."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=15)

    def stop(self, name: str) -> None:
        """Stop a process the way a supervisor does (SIGTERM), killing it if it hangs."""
        process = self.processes.pop(name)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def alive(self, name: str) -> bool:
        return name in self.processes and self.processes[name].poll() is None

    def runner_state(self, name: str = "runner") -> dict[str, Any]:
        """The runner's ``/health`` document."""
        import urllib.request

        with urllib.request.urlopen(self.health[name], timeout=5) as response:
            return json.load(response)

    def wait_for_job(self, predicate: Callable[[VideoJob], bool], timeout: float = 120.0) -> VideoJob:
        """Poll the database until a job satisfies ``predicate``; on timeout, fail with the logs."""
        return self.wait_for(
            lambda: next((job for job in VideoJob.objects.order_by("-created_at") if predicate(job)), None),
            timeout,
            "no job reached the expected state",
        )

    def wait_for(self, probe: Callable[[], Any], timeout: float, what: str) -> Any:
        """Call ``probe`` until it returns something truthy and return that; fail with the logs on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"{what} within {timeout:.0f} s\n{self.tail_logs()}")

    def queue_depth(self, queue: str) -> int:
        """Messages waiting on ``queue`` in the stack's broker (not those a consumer holds)."""
        if self.broker_url.startswith("amqp"):
            return message_count(self.broker_url, queue)
        return int(redis.Redis.from_url(self.broker_url).llen(f"dramatiq:{queue}"))

    def keys_under(self, prefix: str) -> set[str]:
        """The object keys in the bucket that start with ``prefix``."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return {item["Key"] for item in listed.get("Contents", [])}

    def tail_logs(self, chars: int = 4000) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')[-chars:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def _start(self, name: str, command: list[str], **env: str) -> None:
        if self.alive(name):
            raise RuntimeError(f"process {name!r} is already running")
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT
        )


def storage_url(bucket: str, endpoint: str) -> str:
    """``VIDEO_STORAGE_URL`` for ``bucket`` on the S3 server at ``endpoint``, served publicly from there."""
    return f"s3://{bucket}?endpoint={endpoint}&region=auto&public_url={endpoint}/{bucket}"


def database_url() -> str:
    """The test database as a ``DATABASE_URL`` for the other processes; PostgreSQL only."""
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail(
            "these tests run against PostgreSQL, with the runner and the worker as separate processes; "
            "run them with `make test` or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/aivideo"
        )
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@contextmanager
def running_stack(
    django_settings: Any,
    redis_url: str,
    s3_endpoint: str,
    folder: Path,
    runner: bool = True,
    events_worker: bool = True,
    broker_url: str | None = None,
    **runner_env: str,
) -> Iterator[Stack]:
    """A :class:`Stack` on ``redis_url`` (its database flushed) and a new bucket; processes stopped on exit.

    The broker is that Redis, or the RabbitMQ of ``broker_url`` (its queues emptied by the caller). The test
    process is pointed at the same broker, Redis and bucket: its broker is a real one, so the messages it
    sends reach the runner, and its default storage is the bucket (images, attached media).
    """
    redis.Redis.from_url(redis_url).flushdb()
    previous_broker = dramatiq.get_broker()
    if broker_url:
        dramatiq.set_broker(RabbitmqBroker(url=broker_url, confirm_delivery=True))
        # With RabbitMQ carrying the jobs, the runners' shared state is still read from this Redis.
        django_settings.WAGTAIL_VIDEO = {**django_settings.WAGTAIL_VIDEO, "REDIS_URL": redis_url}
    else:
        dramatiq.set_broker(RedisBroker(url=redis_url))

    bucket = f"stack-{os.getpid()}-{time.time_ns() % 10**10}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="auto",
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "auto"})
    # Public reads, as an R2 bucket behind a custom domain serves them: the API's URLs are unsigned.
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(_public_read_policy(bucket)))
    os.environ.update(AWS_ENV)
    django_settings.STORAGES = {
        **django_settings.STORAGES,
        "default": storage_backend(storage_url(bucket, s3_endpoint)),
    }

    logs = folder / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **AWS_ENV,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "BROKER_URL": broker_url or redis_url,
        "VIDEO_STORAGE_URL": storage_url(bucket, s3_endpoint),
        "GPU_RUNNER_RENDERER": "still",
        "dramatiq_queue_prefetch": "1",
        "PYTHONUNBUFFERED": "1",
    }
    stack = Stack(bucket, s3, s3_endpoint, redis_url, logs, env, broker_url)
    try:
        if events_worker:
            stack.start_events_worker()
        if runner:
            stack.start_runner(**runner_env)
        yield stack
    finally:
        stack.stop_all()
        if broker_url:
            dramatiq.get_broker().close()  # its connections, one per thread that sent
        dramatiq.set_broker(previous_broker)


def _public_read_policy(bucket: str) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return {"Version": "2012-10-17", "Statement": [statement]}
