"""Voice previews on the runner: the sample in AAC at a hash-named key, fallbacks recorded, bad requests
ignored, and a preview served by its own worker thread while a render holds the render thread.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import av
import dramatiq
import pytest

from gpu_runner.messaging import send
from gpu_runner.previews import SAMPLE_SENTENCE, VoicePreviewer
from gpu_runner.protocol import (
    RENDER_ACTOR,
    RENDER_QUEUE,
    Envelope,
    PreviewRequest,
    ProtocolError,
    voice_preview_info_key,
    voice_preview_key,
)
from gpu_runner.settings import RunnerSettings
from gpu_runner.storage import LocalStorage
from gpu_runner.worker import build_broker, register_preview_actor, start_preview_worker, start_worker


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def stored_files(storage: LocalStorage) -> list[str]:
    if not storage.root.exists():
        return []
    return sorted(str(path.relative_to(storage.root)) for path in storage.root.rglob("*") if path.is_file())


def test_keys_hold_only_a_hash_of_the_voice() -> None:
    key = voice_preview_key("espeak:en-us")
    assert key.startswith("voice-previews/") and key.endswith(".m4a")
    assert "espeak" not in key and "en-us" not in key and len(key.rsplit("/", 1)[1]) == 24 + len(".m4a")
    assert voice_preview_info_key("espeak:en-us") == key[: -len(".m4a")] + ".json"
    assert voice_preview_key("espeak:de") != key


def test_preview_requests_validate() -> None:
    assert PreviewRequest.from_dict({"v": 1, "voice": "espeak:de"}).voice == "espeak:de"
    for bad in (
        {"v": 2, "voice": "espeak:de"},
        {"v": 1},
        {"v": 1, "voice": " "},
        {"v": 1, "voice": "x" * 201},
    ):
        with pytest.raises(ProtocolError):
            PreviewRequest.from_dict(bad)


def test_a_preview_is_the_sample_sentence_in_aac_with_its_record(
    storage: LocalStorage, speech_service: Any
) -> None:
    record = VoicePreviewer(speech_service, storage).make("espeak:en-us")

    assert stored_files(storage) == sorted(
        [voice_preview_key("espeak:en-us"), voice_preview_info_key("espeak:en-us")]
    )
    with av.open(str(storage.root / voice_preview_key("espeak:en-us"))) as container:
        (stream,) = container.streams.audio
        assert stream.codec_context.name == "aac" and not container.streams.video
        decoded = sum(frame.samples for frame in container.decode(stream)) / stream.codec_context.sample_rate
    assert decoded == pytest.approx(record["duration_s"], abs=0.1) and decoded > 1.0
    stored = json.loads((storage.root / voice_preview_info_key("espeak:en-us")).read_text())
    assert stored == record
    assert (record["voice"], record["voice_used"], record["engine"]) == ("espeak:en-us",) * 2 + ("espeak",)
    assert record["fallbacks"] == [] and record["sample"] == SAMPLE_SENTENCE


def test_a_fallback_preview_records_the_voice_really_heard(
    storage: LocalStorage, speech_service: Any
) -> None:
    # Offline, the Edge service is unreachable: the runner falls back to espeak, as it would for a video.
    record = VoicePreviewer(speech_service, storage).make("edge:en-GB-SoniaNeural")
    assert record["voice"] == "edge:en-GB-SoniaNeural" and record["voice_used"] == "espeak:en-gb"
    assert record["fallbacks"] and "espeak:en-gb was used instead" in record["fallbacks"][0]
    stored = json.loads((storage.root / voice_preview_info_key("edge:en-GB-SoniaNeural")).read_text())
    assert stored["voice_used"] == "espeak:en-gb"


@pytest.mark.parametrize(
    "payload",
    [{"v": 9, "voice": "espeak:en-us"}, {"v": 1}, {"v": 1, "voice": "espeak:no-such-voice"}, "espeak:en-us"],
)
def test_a_bad_request_is_logged_and_stores_nothing(
    storage: LocalStorage, speech_service: Any, payload: Any, caplog: pytest.LogCaptureFixture
) -> None:
    VoicePreviewer(speech_service, storage).handle_message(payload)
    assert stored_files(storage) == []
    assert "no voice preview made" in caplog.text


def test_a_preview_is_served_while_a_render_holds_the_render_thread(
    redis_url: str, storage: LocalStorage, speech_service: Any
) -> None:
    broker = build_broker(RunnerSettings(redis_url=redis_url))
    rendering, release = threading.Event(), threading.Event()

    def long_render(**_: Any) -> None:
        rendering.set()
        release.wait(30)

    dramatiq.actor(long_render, broker=broker, actor_name=RENDER_ACTOR, queue_name=RENDER_QUEUE)
    preview_broker = build_broker(RunnerSettings(redis_url=redis_url))
    register_preview_actor(preview_broker, VoicePreviewer(speech_service, storage))
    workers = [start_worker(broker), start_preview_worker(preview_broker)]
    try:
        send(broker, Envelope(RENDER_QUEUE, RENDER_ACTOR, {}))
        assert rendering.wait(10), "the render worker never took the render"
        send(preview_broker, PreviewRequest(voice="espeak:de").envelope())
        info = storage.root / voice_preview_info_key("espeak:de")
        deadline = time.monotonic() + 15
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert info.exists(), "the preview waited behind the render"
        assert not release.is_set()  # the render was still going when the preview landed
    finally:
        release.set()
        for worker in workers:
            worker.stop()
        broker.close()
        preview_broker.close()
