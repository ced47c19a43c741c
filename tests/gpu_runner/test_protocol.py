"""The message contract: requests and events round-trip, malformed ones are refused, keys are built safely."""

from __future__ import annotations

import pytest

from gpu_runner.protocol import (
    BATCH_LANE,
    EVENT_ACTOR,
    EVENTS_QUEUE,
    INTERACTIVE_LANE,
    MAX_IMAGE_BYTES,
    MAX_VOICE_ID_CHARS,
    PREVIEW_ACTOR,
    PREVIEW_QUEUE,
    Envelope,
    JobError,
    PreviewRequest,
    ProtocolError,
    RenderRequest,
    RenderResult,
    VideoEvent,
    cancel_key,
    captions_key,
    check_voice_id,
    image_size_problem,
    is_job_id,
    organization_of_key,
    parse_storage_url,
    poster_key,
    runner_key,
    video_key,
    voice_language,
    without_control_characters,
)

KEY = video_key(12, 34, "abcdefghij012345")


def request(**changes: object) -> dict:
    data = RenderRequest(
        job_id="job-1",
        organization_id=12,
        page_id=34,
        image_key="12/images/p.jpg",
        script="Hello.",
        voice="espeak:en-us",
        renderer="still",
        output_key=KEY,
    ).to_dict()
    data.update(changes)
    return data


def test_request_round_trips() -> None:
    assert RenderRequest.from_dict(request()).to_dict() == request()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"v": 2}, "version"),
        ({"page_id": True}, "boolean"),
        ({"job_id": "../etc"}, "job id"),
        ({"voice": "en-US-JennyNeural"}, "write engine:voice"),
        ({"voice": "espeak:" + "x" * MAX_VOICE_ID_CHARS}, "at most 200"),
        ({"output_key": video_key(13, 34, "abcdefghij012345")}, "outside organization"),
        ({"image_key": "../secrets"}, "not a storage key"),
        ({"options": {"x": "y" * 5000}}, "too large"),
    ],
)
def test_bad_requests_are_refused(changes: dict, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        RenderRequest.from_dict(request(**changes))


def test_keys_sit_beside_the_video() -> None:
    assert KEY == "12/videos/ai-generated/34-abcdefghij012345.mp4"
    assert poster_key(KEY).endswith("34-abcdefghij012345.jpg")
    assert captions_key(KEY).endswith("34-abcdefghij012345.vtt")
    assert organization_of_key(KEY) == 12
    with pytest.raises(ProtocolError):
        video_key(12, 34, "Not/A/Token")


def test_redis_keys() -> None:
    assert cancel_key("job-1") == "aivideo:cancel:job-1"
    assert runner_key("host-1") == "aivideo:runners:host-1"


def test_events_round_trip_with_result_and_error() -> None:
    result = RenderResult(
        key=KEY,
        poster_key=poster_key(KEY),
        captions_key=captions_key(KEY),
        duration_s=2.5,
        width=512,
        height=512,
        bytes=1000,
        sha256="0" * 64,
        timings={"tts": 0.1},
        voice_engine="espeak",
        voice="espeak:en-us",
        renderer="still",
        weights="none",
        fallbacks=["a note"],
    )
    for event in (
        VideoEvent(job_id="j", attempt=1, type="succeeded", result=result),
        VideoEvent(
            job_id="j", attempt=2, type="failed", stage="tts", error=JobError("tts_failed", "x", True)
        ),
    ):
        assert VideoEvent.from_dict(event.to_dict()) == event
    with pytest.raises(ProtocolError, match="carries a result"):
        VideoEvent.from_dict({"v": 1, "job_id": "j", "attempt": 1, "type": "succeeded"})
    bare = {**VideoEvent(job_id="j", attempt=1, type="succeeded", result=result).to_dict()}
    bare["result"] = {**bare["result"], "voice": "en-us"}
    with pytest.raises(ProtocolError, match="'en-us' is not an engine-qualified voice id"):
        VideoEvent.from_dict(bare)


def test_image_size_problems_name_the_image_its_size_and_the_limit() -> None:
    assert image_size_problem("photo.png", size_bytes=MAX_IMAGE_BYTES, width=6000, height=6000) is None
    assert image_size_problem("photo.png") is None  # sizes not known are not judged
    assert image_size_problem("photo.png", size_bytes=30_000_000, width=11000, height=11000) == (
        "photo.png is 30.0 MB; the limit is 26 MB. Upload a smaller photo."
    )
    assert image_size_problem("photo.png", width=11000, height=11000) == (
        "photo.png is 11000×11000 pixels (121 megapixels); the limit is 40 megapixels. "
        "Upload a smaller photo."
    )


def test_storage_urls() -> None:
    assert parse_storage_url("./demo-data/storage").path == "./demo-data/storage"
    location = parse_storage_url("s3://videos/shop?endpoint=https://x.r2.cloudflarestorage.com&region=auto")
    assert (location.kind, location.bucket, location.prefix, location.region) == (
        "s3",
        "videos",
        "shop",
        "auto",
    )
    with pytest.raises(ProtocolError, match="unknown parameter"):
        parse_storage_url("s3://videos?secret=1")


@pytest.mark.parametrize("job_id", ["a", "job-1", "V1StGXR8_Z5jdHi6B-myT", "x" * 64])
def test_job_ids_are_1_to_64_url_safe_characters(job_id: str) -> None:
    assert is_job_id(job_id)


@pytest.mark.parametrize("value", ["", "x" * 65, "../etc", "a b", "job.1", "job\n", "jöb", 7, None])
def test_anything_else_is_not_a_job_id(value: object) -> None:
    assert not is_job_id(value)


@pytest.mark.parametrize(
    "voice",
    ["espeak:en-us", "edge:en-US-JennyNeural", "espeak:roa.it", "my_tts2:v_1", "espeak:" + "x" * 193],
)
def test_voice_ids_name_their_engine(voice: str) -> None:
    assert check_voice_id(voice) == voice


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("en-us", "write engine:voice, e.g. 'espeak:en-us'"),
        ("Espeak:en-us", "not an engine-qualified voice id"),
        ("espeak:", "not an engine-qualified voice id"),
        (" espeak:en-us", "not an engine-qualified voice id"),
        ("espeak:en us", "not an engine-qualified voice id"),
        ("espeak:en/us", "not an engine-qualified voice id"),
        ("", "not an engine-qualified voice id"),
        ("espeak:" + "x" * MAX_VOICE_ID_CHARS, "has 207 characters; a voice id has at most 200"),
        (None, "must be a string"),
    ],
)
def test_a_malformed_voice_id_is_refused_with_its_shape(value: object, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        check_voice_id(value)


@pytest.mark.parametrize(
    ("voice", "language"),
    [
        ("espeak:en-us", "en-US"),
        ("espeak:de", "de"),
        ("espeak:es-419", "es-419"),
        ("espeak:en-shaw", "en-Shaw"),
        ("espeak:cmn-latn-pinyin", "cmn-Latn"),
        ("espeak:vi-vn-x-central", "vi-VN"),
        ("edge:en-US-AriaNeural", "en-US"),
        ("edge:iu-Latn-CA-SiqiniqNeural", "iu-Latn-CA"),
        ("edge:zh-CN-shaanxi-XiaoniNeural", "zh-CN"),
    ],
)
def test_a_voice_ids_language_is_a_bcp47_tag_for_every_engine(voice: str, language: str) -> None:
    assert voice_language(voice) == language


@pytest.mark.parametrize("voice", ["espeak:espeak:en-us", "en-us", "en-US-AriaNeural", "piper:x", ""])
def test_a_voice_id_that_names_no_language_has_none(voice: str) -> None:
    assert voice_language(voice) is None


def test_preview_requests_follow_the_voice_rule() -> None:
    with pytest.raises(ProtocolError, match="write engine:voice"):
        PreviewRequest.from_dict({"v": 1, "voice": "en-us"})


def test_control_characters_are_removed_and_line_breaks_and_tabs_kept() -> None:
    hidden = "\x00\x07\x0b\x0c\x1b\x7f\x85\x9f\u200b\u200d\u200f\u2028\u2029\u202a\u202e\u2066\u2069"
    assert without_control_characters(f"Hello{hidden} world") == "Hello world"
    assert without_control_characters("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    kept = "Crème brûlée, 日本語, \u00a0no-break, emoji \U0001f600, Ärger"
    assert without_control_characters(kept) == kept


def test_each_message_is_addressed_to_its_queue_and_actor() -> None:
    render = RenderRequest.from_dict(request())
    assert render.envelope("editor") == Envelope(
        INTERACTIVE_LANE.queue, INTERACTIVE_LANE.actor, {"request": render.to_dict()}
    )
    assert render.envelope("batch").queue == BATCH_LANE.queue
    preview = PreviewRequest(voice="espeak:de")
    assert preview.envelope() == Envelope(PREVIEW_QUEUE, PREVIEW_ACTOR, {"request": preview.to_dict()})
    event = VideoEvent(job_id="job-1", attempt=1, type="started")
    assert event.envelope() == Envelope(EVENTS_QUEUE, EVENT_ACTOR, {"event": event.to_dict()})


def test_an_invalid_message_is_never_addressed() -> None:
    with pytest.raises(ProtocolError, match="not an engine-qualified voice id"):
        RenderRequest(**request(voice="nobody")).envelope("editor")
    with pytest.raises(ProtocolError, match="no render lane"):
        RenderRequest.from_dict(request()).envelope("cron")
    with pytest.raises(ProtocolError, match="not an engine-qualified voice id"):
        PreviewRequest(voice="nobody").envelope()
