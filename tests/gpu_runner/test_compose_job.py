"""A job with a composition: renditions beside the main video, uploaded before it, recorded on the result."""

from __future__ import annotations

import hashlib
import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gpu_runner.encode import rendition_encoder
from gpu_runner.events import JobReporter
from gpu_runner.jobs import JobEnvironment, run_job
from gpu_runner.protocol import (
    FORMATS,
    MAX_LOGO_PIXELS,
    RenderRequest,
    Rendition,
    VideoEvent,
    asset_key,
    captions_key,
    poster_key,
    rendition_key,
    video_key,
)
from gpu_runner.renderers.base import JobCancelled
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.settings import RunnerSettings
from gpu_runner.storage import LocalStorage
from gpu_runner.tts import SpeechService

OUTPUT_KEY = video_key(3, 12, "abcdefghij012345")


class RecordingStorage(LocalStorage):
    """A storage folder that remembers the order objects were written in."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.written: list[str] = []

    def _put_file(self, key: str, path: Path, content_type: str) -> None:
        super()._put_file(key, path, content_type)
        self.written.append(key)


def file(storage: LocalStorage, kind: str, data: bytes, extension: str) -> str:
    key = asset_key(3, kind, hashlib.sha256(data).hexdigest(), extension)
    path = storage.root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return key


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def run(
    tmp_path: Path, face_jpeg: bytes, speech_service: SpeechService, composition: dict[str, Any]
) -> tuple[Any, RecordingStorage, list[VideoEvent]]:
    storage = RecordingStorage(tmp_path / "storage")
    image_key = file(storage, "presenters", face_jpeg, "jpg")
    for name, data, extension in composition.pop("files", []):
        kind = "products" if name == "product_image_keys" else "brand"
        key = file(storage, kind, data, extension)
        if name == "product_image_keys":
            composition.setdefault("product_image_keys", []).append(key)
        else:
            composition.setdefault("brand", {})[name] = key
    request = RenderRequest.from_dict(
        {
            "v": 1,
            "job_id": "job-compose",
            "organization_id": 3,
            "page_id": 12,
            "image_key": image_key,
            "script": "Fresh roasted coffee. Order yours today!",
            "voice": "espeak:en-us",
            "renderer": "still",
            "output_key": OUTPUT_KEY,
            "composition": composition,
        }
    )
    env = JobEnvironment(
        RunnerSettings(storage_url=str(storage.root)), storage, speech_service, StillRenderer()
    )
    events: list[VideoEvent] = []
    reporter = JobReporter("job-compose", 1, publish=events.append)
    result = run_job(request, env, reporter)
    return result, storage, events


@pytest.fixture(scope="module")
def social(
    tmp_path_factory: pytest.TempPathFactory, face_jpeg: bytes, speech_service: SpeechService
) -> tuple[Any, RecordingStorage, list[VideoEvent]]:
    """A social job in the feed and story formats, whose brand kit's logo is not a picture at all."""
    composition = {
        "layout": "social",
        "formats": ["square", "vertical"],
        "files": [("logo_key", b"%PDF-1.4 this is a document, not a logo", "png")],
    }
    return run(tmp_path_factory.mktemp("social"), face_jpeg, speech_service, composition)


def test_every_rendition_is_stored_beside_the_main_video_before_it(social: tuple) -> None:
    result, storage, _events = social
    expected = []
    for name in ("square", "vertical"):
        key = rendition_key(OUTPUT_KEY, name)
        expected += [poster_key(key), captions_key(key), key]
    expected += [poster_key(OUTPUT_KEY), captions_key(OUTPUT_KEY), OUTPUT_KEY]
    # The presenter photo was filed by the test itself; the runner wrote exactly these, the main video last.
    assert storage.written == expected
    assert [r["key"] for r in result.renditions] == [
        "3/videos/ai-generated/12-abcdefghij012345.square.mp4",
        "3/videos/ai-generated/12-abcdefghij012345.vertical.mp4",
    ]


def test_each_rendition_is_recorded_with_its_poster_of_the_format_size(social: tuple) -> None:
    result, storage, _events = social
    for data in result.renditions:
        rendition = Rendition.from_dict(data)
        fmt = FORMATS[rendition.format]
        assert (rendition.width, rendition.height) == (fmt.width, fmt.height)
        assert (rendition.layout, rendition.captions_burned) == ("social", True)
        assert rendition.encoder == rendition_encoder().codec
        stored = (storage.root / rendition.key).read_bytes()
        assert (len(stored), hashlib.sha256(stored).hexdigest()) == (rendition.bytes, rendition.sha256)
        assert rendition.duration_s == pytest.approx(result.duration_s, abs=1 / 25)
        with Image.open(storage.root / rendition.poster_key) as poster:
            assert (poster.format, poster.size) == ("JPEG", (fmt.width, fmt.height))
        vtt = (storage.root / captions_key(rendition.key)).read_text(encoding="utf-8")
        assert vtt == (storage.root / captions_key(OUTPUT_KEY)).read_text(encoding="utf-8")  # no intro card


def test_the_result_carries_the_sound_the_compose_timings_and_the_logo_note(social: tuple) -> None:
    result, _storage, events = social
    assert result.audio["target_lufs"] == -14.0 and result.audio["music"] is False
    assert abs(result.audio["integrated_lufs"] - -14.0) <= 1.0
    assert (
        0 < result.timings["compose.square"] + result.timings["compose.vertical"] <= result.timings["compose"]
    )
    assert result.fallbacks == [
        "the brand kit's logo could not be read as a picture; the video has no logo. "
        "Upload a PNG or JPEG logo",
        "the page has no product picture: the social layout shows the presenter alone",
    ]
    # The succeeded event passes the contract's checks (renditions beside their video).
    event = VideoEvent(job_id="job-compose", attempt=1, type="succeeded", result=result)
    assert VideoEvent.from_dict(event.to_dict()).result.renditions == result.renditions
    # Stages in the order they ran, then each format's share of "compose".
    assert list(result.timings) == [
        "tts",
        "face",
        "render",
        "encode",
        "compose",
        "upload",
        "compose.square",
        "compose.vertical",
    ]
    assert events[-1].info["fallbacks"] == result.fallbacks  # said while the job ran, not only at its end


def test_an_enormous_logo_and_a_missing_picture_are_left_out_and_said(
    tmp_path: Path, face_jpeg: bytes, speech_service: SpeechService
) -> None:
    side = int(MAX_LOGO_PIXELS**0.5) + 10
    composition = {
        "layout": "presenter_product",
        "formats": ["square"],
        "files": [("logo_key", png(Image.new("RGB", (side, side), (255, 0, 255))), "png")],
        "product_image_keys": [asset_key(3, "products", "e" * 64, "jpg")],
    }
    result, _storage, _events = run(tmp_path, face_jpeg, speech_service, composition)
    assert result.fallbacks == [
        "product picture 1 of 1 is no longer in storage; the video shows the others",
        f"the brand kit's logo is {side}×{side} pixels, over the 16 megapixel limit; the video has no logo. "
        "Upload a PNG or JPEG logo of at most 16 megapixels",
        "the page has no product picture: the 'Presenter' layout was used instead of 'Presenter and product'",
    ]
    assert [r["layout"] for r in result.renditions] == ["presenter"]


def test_a_job_without_a_composition_makes_the_talking_head_alone(
    tmp_path: Path, face_jpeg: bytes, speech_service: SpeechService
) -> None:
    storage = RecordingStorage(tmp_path / "storage")
    image_key = file(storage, "presenters", face_jpeg, "jpg")
    request = RenderRequest(
        job_id="job-plain",
        organization_id=3,
        page_id=12,
        image_key=image_key,
        script="Hello there.",
        voice="espeak:en-us",
        renderer="still",
        output_key=OUTPUT_KEY,
    )
    env = JobEnvironment(
        RunnerSettings(storage_url=str(storage.root)), storage, speech_service, StillRenderer()
    )
    result = run_job(request, env, JobReporter("job-plain", 1, publish=lambda event: None))
    assert storage.written == [poster_key(OUTPUT_KEY), captions_key(OUTPUT_KEY), OUTPUT_KEY]
    assert (result.renditions, result.audio) == ([], {})
    assert "compose" not in result.timings


def test_a_job_cancelled_while_composing_stores_nothing(
    tmp_path: Path, face_jpeg: bytes, speech_service: SpeechService
) -> None:
    storage = RecordingStorage(tmp_path / "storage")
    image_key = file(storage, "presenters", face_jpeg, "jpg")
    request = RenderRequest.from_dict(
        {
            "v": 1,
            "job_id": "job-cancel",
            "organization_id": 3,
            "page_id": 12,
            "image_key": image_key,
            "script": "Fresh roasted coffee, ground to order and sent the same day.",
            "voice": "espeak:en-us",
            "renderer": "still",
            "output_key": OUTPUT_KEY,
            "composition": {"layout": "presenter", "formats": ["landscape", "vertical"]},
        }
    )
    env = JobEnvironment(
        RunnerSettings(storage_url=str(storage.root)), storage, speech_service, StillRenderer()
    )
    # Cancelled from the moment composing starts. The reporter asks at most once a second; its clock here
    # moves a second a reading, so every check asks, however fast this machine composes.
    reporter = JobReporter(
        "job-cancel",
        1,
        publish=lambda event: None,
        is_cancelled=lambda: reporter.stage == "compose",
        clock=itertools.count(0.0, 1.0).__next__,
    )
    with pytest.raises(JobCancelled, match="during compose"):
        run_job(request, env, reporter)
    assert storage.written == []
