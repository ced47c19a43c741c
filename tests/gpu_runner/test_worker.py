"""The resident runner end to end: real Redis (db 14), the real ``render_video`` actor, in-process worker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest
import redis

from gpu_runner.events import broker_publisher
from gpu_runner.jobs import JobEnvironment
from gpu_runner.messaging import send
from gpu_runner.protocol import (
    EVENTS_QUEUE,
    RENDER_ACTOR,
    RENDER_QUEUE,
    Envelope,
    ErrorCode,
    RenderRequest,
    VideoEvent,
    cancel_key,
    video_key,
)
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.settings import RunnerSettings
from gpu_runner.storage import LocalStorage, S3Storage, parse_storage_url
from gpu_runner.worker import Runner, build_broker, finished_key, register_actor, start_worker
from tests.services import free_port

TERMINAL = {"succeeded", "failed", "cancelled"}


class RunnerHarness:
    """A booted runner consuming the render queue, plus helpers to send jobs and read their events."""

    def __init__(self, redis_url: str, storage_root: Path, speech_service: Any) -> None:
        self.settings = RunnerSettings(redis_url=redis_url, storage_url=str(storage_root))
        self.broker = build_broker(self.settings)
        self.storage = LocalStorage(storage_root)
        self.renderer = StillRenderer()
        env = JobEnvironment(self.settings, self.storage, speech_service, self.renderer)
        self.redis = redis.Redis.from_url(redis_url)
        self.runner = Runner(env, broker_publisher(self.broker), self.redis)
        self.runner.load()
        register_actor(self.broker, self.runner, self.settings)
        self.worker = start_worker(self.broker)
        self.events = self.broker.consume(EVENTS_QUEUE, prefetch=50, timeout=100)
        self.seen: list[VideoEvent] = []

    def send(self, payload: Any = None, **changes: Any) -> str:
        """Enqueue ``payload`` as is, or a valid request with ``changes``; returns the job id."""
        if payload is None:
            payload = self.request(**changes).to_dict()
        send(self.broker, Envelope(RENDER_QUEUE, RENDER_ACTOR, {"request": payload}))
        return payload.get("job_id", "") if isinstance(payload, dict) else ""

    def request(self, **changes: Any) -> RenderRequest:
        job_id = changes.pop("job_id", uuid.uuid4().hex[:12])
        fields = {
            "job_id": job_id,
            "organization_id": 7,
            "page_id": 3,
            "image_key": "7/images/presenter.jpg",
            "script": "Hello. This lamp is warm.",
            "voice": "espeak:en-us",
            "renderer": "still",
            "output_key": video_key(7, 3, uuid.uuid4().hex[:16]),
        }
        fields.update(changes)
        return RenderRequest(**fields)

    def wait(self, job_id: str, timeout: float = 30) -> list[VideoEvent]:
        """All events of ``job_id`` up to and including its terminal one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [event for event in self.seen if event.job_id == job_id]
            if mine and mine[-1].type in TERMINAL:
                return mine
            message = next(self.events)
            if message is not None:
                self.seen.append(VideoEvent.from_dict(message.kwargs["event"]))
                self.events.ack(message)
        raise AssertionError(f"no terminal event for job {job_id} within {timeout} s; saw {self.seen!r}")

    def close(self) -> None:
        self.worker.stop()
        self.events.close()
        self.broker.close()
        self.redis.close()


@pytest.fixture
def harness(redis_url: str, tmp_path: Path, speech_service: Any, face_jpeg: bytes) -> Iterator[RunnerHarness]:
    root = tmp_path / "storage"
    (root / "7" / "images").mkdir(parents=True)
    (root / "7" / "images" / "presenter.jpg").write_bytes(face_jpeg)
    (root / "7" / "images" / "notes.jpg").write_bytes(b"this is a text file, not a photo")
    running = RunnerHarness(redis_url, root, speech_service)
    yield running
    running.close()


def test_a_job_renders_uploads_and_reports(harness: RunnerHarness) -> None:
    job_id = harness.send()
    events = harness.wait(job_id)
    types = [event.type for event in events]
    assert types[0] == "started" and types[-1] == "succeeded", types
    assert {event.attempt for event in events} == {1}
    result = events[-1].result
    assert result is not None
    assert result.renderer == "still" and result.weights == "none (still image, no talking head)"
    assert (result.voice_engine, result.voice, result.fallbacks) == ("espeak", "espeak:en-us", [])
    assert set(result.timings) >= {"tts", "render", "encode", "upload"}
    root = harness.storage.root
    video = root / result.key
    assert video.stat().st_size == result.bytes
    assert (root / result.poster_key).read_bytes()[:2] == b"\xff\xd8"
    assert (root / result.captions_key).read_text().startswith("WEBVTT")
    with av.open(str(video)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert abs(container.duration / 1e6 - result.duration_s) < 0.1
    progress = [event for event in events if event.type == "progress"]
    assert progress and all(event.stage for event in progress)
    # At most about one progress event a second: the job takes a few seconds, far fewer than its frame count.
    assert len(progress) <= max(3, int(sum(result.timings.values())) + 3)


def test_unreachable_online_voice_falls_back_and_says_so(harness: RunnerHarness) -> None:
    events = harness.wait(harness.send(voice="edge:en-GB-SoniaNeural"))
    result = events[-1].result
    assert result is not None
    assert (result.voice_engine, result.voice) == ("espeak", "espeak:en-gb")
    assert result.fallbacks == [
        "voice edge:en-GB-SoniaNeural was unavailable (the Edge voice service could not be reached); "
        "the offline voice espeak:en-gb was used instead"
    ]
    # The editor learns it while the job runs, not only at the end.
    noted = [event for event in events if event.type == "progress" and event.info.get("fallbacks")]
    assert noted and noted[0].info["voice"] == "espeak:en-gb"


def test_second_job_loads_nothing(harness: RunnerHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_to_load(*args: Any) -> None:
        raise AssertionError("something was loaded during a job")

    speech = harness.runner.env.speech
    loads_at_boot = (speech.load_count, harness.renderer.load_count)
    for engine in speech.engines:
        monkeypatch.setattr(engine, "load", refuse_to_load)
    monkeypatch.setattr(harness.renderer, "load", refuse_to_load)
    monkeypatch.setattr(speech, "load", refuse_to_load)

    first, second = harness.send(), harness.send()
    assert harness.wait(first)[-1].type == "succeeded"
    assert harness.wait(second)[-1].type == "succeeded"
    assert (speech.load_count, harness.renderer.load_count) == loads_at_boot
    assert harness.renderer.load_count == 1
    assert harness.runner.jobs_done == 2


def test_one_thread_prefetching_one_message(harness: RunnerHarness) -> None:
    # A GPU runner must never hold a second job hostage while it renders the first.
    assert len(harness.worker.workers) == 1
    assert harness.worker.consumers[RENDER_QUEUE].prefetch == 1


def test_malformed_and_unknown_version_are_rejected_and_the_worker_goes_on(harness: RunnerHarness) -> None:
    malformed = harness.request().to_dict()
    del malformed["script"]
    future = {**harness.request().to_dict(), "v": 99}
    harness.send(payload=malformed)
    harness.send(payload=future)
    harness.send(payload="not even an object")
    good = harness.send()

    assert harness.wait(malformed["job_id"])[-1].error.code == ErrorCode.BAD_MESSAGE
    rejected = harness.wait(future["job_id"])[-1]
    assert rejected.error.code == ErrorCode.BAD_MESSAGE and "version" in rejected.error.message
    assert harness.wait(good)[-1].type == "succeeded"


def test_a_message_the_actor_cannot_take_is_dropped_and_the_worker_goes_on(harness: RunnerHarness) -> None:
    # render_video declares one parameter, ``request``; a message with other keywords never reaches a job.
    stray = harness.request().to_dict()
    send(harness.broker, Envelope(RENDER_QUEUE, RENDER_ACTOR, {"job": stray}))
    good = harness.send()

    assert harness.wait(good)[-1].type == "succeeded"
    assert not [event for event in harness.seen if event.job_id == stray["job_id"]]
    assert (harness.runner.jobs_done, harness.runner.jobs_failed) == (1, 0)


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"image_key": ""}, ErrorCode.NO_IMAGE, "no presenter image"),
        ({"image_key": "7/images/missing.jpg"}, ErrorCode.NO_IMAGE, "missing.jpg"),
        ({"script": "  <b> </b>\x00 "}, ErrorCode.EMPTY_SCRIPT, "no words"),
        ({"script": "word " * 700}, ErrorCode.SCRIPT_TOO_LONG, "3000"),
        ({"voice": "espeak:klingon"}, ErrorCode.UNKNOWN_VOICE, "espeak:en-us"),
        ({"image_key": "7/images/notes.jpg"}, ErrorCode.IMAGE_UNREADABLE, "notes.jpg"),
        ({"renderer": "hallo2"}, ErrorCode.RENDER_FAILED, "GPU_RUNNER_RENDERER=hallo2"),
    ],
)
def test_bad_input_fails_with_its_code(harness: RunnerHarness, changes: dict, code: str, words: str) -> None:
    job_id = harness.send(**changes)
    final = harness.wait(job_id)[-1]
    assert final.type == "failed"
    assert final.error.code == code
    assert words in final.error.message
    assert not list(harness.storage.root.glob("7/videos/**/*.mp4"))


def test_unreachable_storage_fails_retryable(harness: RunnerHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = f"s3://images?endpoint=http://127.0.0.1:{free_port()}&region=auto"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    unreachable = S3Storage(parse_storage_url(closed), attempts=2, first_backoff_s=0.01)
    monkeypatch.setattr(harness.runner.env, "storage", unreachable)
    final = harness.wait(harness.send())[-1]
    assert final.error.code == ErrorCode.STORAGE_UNREACHABLE
    assert final.error.retryable and "2 attempts" in final.error.message


def test_cancelled_job_reports_cancelled(harness: RunnerHarness) -> None:
    request = harness.request()
    harness.redis.set(cancel_key(request.job_id), "1", ex=60)
    harness.send(payload=request.to_dict())
    events = harness.wait(request.job_id)
    assert events[-1].type == "cancelled"
    # The runner counts the job once its last report is out, so give the counter a moment to follow.
    deadline = time.monotonic() + 5
    while harness.runner.jobs_failed != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert harness.runner.jobs_failed == 1


def test_redelivered_job_counts_its_attempt(harness: RunnerHarness) -> None:
    request = harness.request()
    harness.send(payload=request.to_dict())
    assert harness.wait(request.job_id)[-1].attempt == 1
    harness.seen.clear()
    # What broker maintenance does after a crash: the same message, delivered again. A runner that crashed
    # never recorded the job as finished, so that record goes too.
    harness.redis.delete(finished_key(request.job_id))
    harness.send(payload=request.to_dict())
    events = harness.wait(request.job_id)
    assert {event.attempt for event in events} == {2}


def test_a_job_delivered_again_after_it_finished_is_not_rendered_again(harness: RunnerHarness) -> None:
    # RabbitMQ redelivers the message a runner held when the broker restarted, though the job finished.
    request = harness.request()
    harness.send(payload=request.to_dict())
    assert harness.wait(request.job_id)[-1].type == "succeeded"
    harness.seen.clear()
    harness.send(payload=request.to_dict())
    # A job that does render afterwards proves the duplicate was taken (one worker thread, in order).
    later = harness.send()
    assert harness.wait(later)[-1].type == "succeeded"
    assert [event for event in harness.seen if event.job_id == request.job_id] == []
    assert harness.runner.health()["jobs_done"] == 2
