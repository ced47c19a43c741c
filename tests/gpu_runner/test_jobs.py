"""Script cleaning and the mapping from exceptions to the error codes the editor sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from gpu_runner.jobs import clean_script, job_error_for, render_files
from gpu_runner.protocol import MAX_SCRIPT_CHARS, ErrorCode
from gpu_runner.renderers.base import FrameStream, NullReporter, RenderInput, RenderRefused, StageReporter
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.storage import StorageUnreachable
from gpu_runner.tts import SpeechService, TTSError, UnknownVoice


@pytest.mark.parametrize(
    ("script", "spoken"),
    [
        ("Hello <b>world</b>, welcome!", "Hello world, welcome!"),
        ("<speak><prosody rate='x-fast'>Buy</prosody> now</speak>", "Buy now"),
        ("line one\r\nline\ttwo\x00\x07\u202e", "line one line two"),
        ("a<br>b", "a b"),
        ("-v de --stdout", "-v de --stdout"),
    ],
)
def test_markup_and_control_characters_are_removed(script: str, spoken: str) -> None:
    assert clean_script(script) == spoken


@pytest.mark.parametrize("script", ["", "   ", "<p></p>", "\x00\x01", "... !"])
def test_nothing_to_say_is_an_empty_script(script: str) -> None:
    with pytest.raises(RenderRefused) as caught:
        clean_script(script)
    assert caught.value.code == ErrorCode.EMPTY_SCRIPT


def test_long_script_is_refused() -> None:
    with pytest.raises(RenderRefused) as caught:
        clean_script("a" * (MAX_SCRIPT_CHARS + 1))
    assert caught.value.code == ErrorCode.SCRIPT_TOO_LONG and str(MAX_SCRIPT_CHARS) in caught.value.message


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError, which is matched by name."""


@pytest.mark.parametrize(
    ("exc", "code", "retryable"),
    [
        (RenderRefused(ErrorCode.NO_FACE, "no face"), ErrorCode.NO_FACE, False),
        (UnknownVoice("x:y", ["espeak:en-us"]), ErrorCode.UNKNOWN_VOICE, False),
        (TTSError("down"), ErrorCode.TTS_FAILED, True),
        (StorageUnreachable("down"), ErrorCode.STORAGE_UNREACHABLE, True),
        (OutOfMemoryError("CUDA"), ErrorCode.OUT_OF_MEMORY, True),
        (KeyError("bug"), ErrorCode.INTERNAL, True),
    ],
)
def test_errors_map_to_codes(exc: Exception, code: str, retryable: bool) -> None:
    error = job_error_for(exc, "render")
    assert (error.code, error.retryable) == (code, retryable)
    assert error.message


def test_time_limit_is_timed_out() -> None:
    from dramatiq.middleware.time_limit import TimeLimitExceeded

    error = job_error_for(TimeLimitExceeded(), "render")
    assert error.code == ErrorCode.TIMED_OUT and "GPU_RUNNER_JOB_TIME_LIMIT_S" in error.message


def test_renderer_fallback_notes_reach_the_result(
    tmp_path: Path, face_photo: Image.Image, speech_service: SpeechService
) -> None:
    class NotingRenderer(StillRenderer):
        def render(self, job: RenderInput, reporter: StageReporter) -> FrameStream:
            stream = super().render(job, reporter)
            stream.fallbacks.append("face crop used the whole image")
            return stream

    voiced = speech_service.speak("Hi there.", "espeak:en-us")
    files = render_files(NotingRenderer(), face_photo, "Hi there.", voiced, NullReporter(), tmp_path)
    assert files.renderer_fallbacks == ["face crop used the whole image"]
    assert files.video.frames > 0 and files.captions_path.read_text().startswith("WEBVTT")
