"""Fixtures of the fault tests: a stack the test shapes itself (which processes, which Redis, which settings).

The fault tests run the real processes against the real services, like ``tests/e2e``, but each one breaks
something on purpose: kills a runner, stops the events worker, restarts the broker, breaks storage. Those
marked :data:`BOTH_BROKERS` run twice: on Redis, and on a RabbitMQ node of the session's own. The runner
settings they lower (heartbeat, maintenance chance) are production knobs; the per-frame delay is a test aid
that makes "the middle of a render" last long enough to hit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from gpu_runner.protocol import EVENTS_QUEUE, PREVIEW_QUEUE, RENDER_LANES
from tests.conftest import ShopWorld
from tests.rabbitmq import RabbitNode
from tests.services import moto_server
from tests.stack import Stack, running_stack

# A dead runner's job is requeued by the first broker maintenance that sees its heartbeat this old.
FAST_REDELIVERY = {"GPU_RUNNER_HEARTBEAT_TIMEOUT_S": "2", "GPU_RUNNER_MAINTENANCE_CHANCE": "1000000"}
# 50 ms a frame: a four-second script renders for about five seconds, long enough to interrupt.
SLOW_FRAMES = {"GPU_RUNNER_TEST_FRAME_DELAY_S": "0.05"}
SCRIPT = "Meet the field kettle. It boils a litre in four minutes, and it packs flat for the trail."

MakeStack = Callable[..., Stack]

# Every queue of the system, emptied on the RabbitMQ node before each test (the Redis database is flushed).
ALL_QUEUES = (*(lane.queue for lane in RENDER_LANES), PREVIEW_QUEUE, EVENTS_QUEUE)
BOTH_BROKERS = pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True)


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> str:
    """``"redis"`` (the default) or ``"rabbitmq"``, as a test marked :data:`BOTH_BROKERS` asks."""
    return getattr(request, "param", "redis")


@pytest.fixture(scope="session")
def faults_s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture
def make_stack(
    transactional_db: Any,
    stub_broker: Any,
    faults_s3_endpoint: str,
    settings: Any,
    tmp_path: Path,
    broker: str,
    request: pytest.FixtureRequest,
) -> Iterator[MakeStack]:
    """``make_stack(redis_url=…, runner=True, events_worker=True, **runner_env)`` → a running :class:`Stack`.

    Without ``redis_url`` the stack uses the test Redis database (``REDIS_URL``, flushed first). The broker is
    that Redis, or with ``broker="rabbitmq"`` the session's RabbitMQ node, its queues emptied first.
    """
    with ExitStack() as exits:

        def make(redis_url: str | None = None, **options: Any) -> Stack:
            if broker == "rabbitmq":
                node: RabbitNode = request.getfixturevalue("rabbitmq")
                node.delete_queues(ALL_QUEUES)
                options["broker_url"] = node.url
            return exits.enter_context(
                running_stack(
                    settings, redis_url or settings.REDIS_URL, faults_s3_endpoint, tmp_path, **options
                )
            )

        yield make


@pytest.fixture
def shop_after_stack() -> Callable[[], ShopWorld]:
    """Build the two-organization shop once the stack exists, so its images go to the stack's bucket."""
    return ShopWorld


def video_prefix(job: Any) -> str:
    """The bucket prefix of a job's organization's generated videos."""
    return f"{job.organization_id}/videos/ai-generated/"


def job_files(job: Any) -> set[str]:
    """The keys a finished job owns: the MP4, its poster and its captions, and those three for each finished
    format it asked for (known from the request, before any report arrives)."""
    stem = job.output_key.removesuffix(".mp4")
    parts = ["", *(f".{name}" for name in job.formats)]
    return {f"{stem}{part}.{extension}" for part in parts for extension in ("mp4", "jpg", "vtt")}
