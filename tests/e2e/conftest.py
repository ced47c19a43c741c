"""The whole flow on real services: PostgreSQL, Redis, an S3 server, and the runner and events worker as processes.

Each test gets the test database (committed transactions, so the other processes see its rows), a clean Redis
database, a fresh bucket on a ``moto_server`` running on loopback, and a runner and an events worker started with
the same configuration as the test process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import dramatiq
import pytest
import redis
from django.db import connection
from dramatiq.brokers.redis import RedisBroker

from tests.services import free_port, moto_server, wait_for_http
from video_plugin.models import VideoJob
from video_plugin.storage import storage_backend

ROOT = Path(__file__).resolve().parents[2]
AWS_ENV = {"AWS_ACCESS_KEY_ID": "e2e-key", "AWS_SECRET_ACCESS_KEY": "e2e-secret"}


@dataclass
class Stack:
    """What a test needs to look at the running system."""

    bucket: str
    s3: object  # a boto3 S3 client on the same server
    storage_url: str
    runner_health: str
    logs: Path

    def wait_for_job(self, predicate: Callable[[VideoJob], bool], timeout: float = 120.0) -> VideoJob:
        """Poll the database until a job satisfies ``predicate``; on timeout, fail with both processes' logs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for job in VideoJob.objects.order_by("-created_at"):
                if predicate(job):
                    return job
            time.sleep(0.25)
        pytest.fail(f"no job reached the expected state in {timeout:.0f} s\n{self.tail_logs()}")

    def tail_logs(self) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text()[-4000:]}" for path in sorted(self.logs.glob("*.log"))
        )


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.fail(
            "the end-to-end tests run against PostgreSQL, with the runner and the worker as separate processes; "
            "run them with `make test` or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/aivideo"
        )
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture(scope="session")
def e2e_s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def stack(transactional_db, stub_broker, e2e_s3_endpoint, settings, tmp_path) -> Iterator[Stack]:
    moto_endpoint = e2e_s3_endpoint
    redis_url = settings.REDIS_URL
    redis.Redis.from_url(redis_url).flushdb()
    # The unit tests' stub broker is replaced by the real one: messages must reach the runner process.
    dramatiq.set_broker(RedisBroker(url=redis_url))

    bucket = f"e2e-{os.getpid()}-{int(time.time() * 1000) % 10**8}"
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="auto", **_boto_credentials())
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "auto"})
    # Public reads, as an R2 bucket behind a custom domain serves them: the API's URLs are unsigned.
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(_public_read_policy(bucket)))
    storage_url = f"s3://{bucket}?endpoint={moto_endpoint}&region=auto&public_url={moto_endpoint}/{bucket}"

    # The test process (seed data, attach, API) uses the same bucket as the two processes below.
    os.environ.update(AWS_ENV)
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend(storage_url)}

    health_port = free_port()
    env = {
        **os.environ,
        **AWS_ENV,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "VIDEO_STORAGE_URL": storage_url,
        "GPU_RUNNER_RENDERER": "still",
        "GPU_RUNNER_HEALTH_PORT": str(health_port),
        "dramatiq_queue_prefetch": "1",
        "PYTHONUNBUFFERED": "1",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    commands = {
        "runner": [sys.executable, "-m", "gpu_runner", "serve"],
        "events": [sys.executable, "manage.py", "rundramatiq", "--queues", "video-events", "-p", "1", "-t", "1"],
    }
    processes = []
    for name, command in commands.items():
        log = (logs / f"{name}.log").open("wb")
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    health = f"http://127.0.0.1:{health_port}/health"
    result = Stack(bucket=bucket, s3=s3, storage_url=storage_url, runner_health=health, logs=logs)
    try:
        if not wait_for_http(health, timeout=60):
            pytest.fail(f"the runner did not come up\n{result.tail_logs()}")
        yield result
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _public_read_policy(bucket: str) -> dict:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _boto_credentials() -> dict[str, str]:
    return {"aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"]}
