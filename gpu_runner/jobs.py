"""One render job, from a validated :class:`RenderRequest` to uploaded files and a :class:`RenderResult`.

Cheap checks come first (script, voice, renderer, image), so a bad job fails in milliseconds instead of after
minutes of GPU time. Every failure a user can cause becomes a :class:`RenderRefused` with a specific
``ErrorCode``; :func:`job_error_for` maps whatever else is raised to a :class:`JobError`.

Scripts are plain text. Control characters are removed and anything that looks like markup (``<b>``,
``<speak>``, SSML) is stripped, never interpreted: an editor's script cannot change the voice, insert pauses
or inject engine commands, and what is read out is exactly the words left.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .captions import build_webvtt
from .compose.finish import FinishedVideos, compose_finished_videos
from .credentials import NOT_CONFIGURED_REASON, ContentCredentials, GenerationFacts, signed_file_facts
from .encode import EncodedVideo, encode_mp4
from .events import JobReporter
from .images import load_presenter_image
from .metrics import RunnerMetrics
from .protocol import (
    MAX_SCRIPT_CHARS,
    Composition,
    Disclosure,
    ErrorCode,
    JobError,
    RenderRequest,
    RenderResult,
    captions_key,
    poster_key,
    without_control_characters,
)
from .renderers.base import FPS, FrameStream, Renderer, RenderInput, RenderRefused, StageReporter
from .settings import RunnerSettings
from .storage import ObjectNotFound, Storage, StorageUnreachable
from .tts import SpeechService, TTSError, UnknownVoice, VoicedScript
from .tts.base import language_of

logger = logging.getLogger(__name__)

_MARKUP_RE = re.compile(r"<[^<>]{0,500}>")
_SPACES_RE = re.compile(r"[ \t\r\n]+")
_SPACE_BEFORE_PUNCTUATION_RE = re.compile(r" +([,.;:!?])")


@dataclass
class JobEnvironment:
    """What every job uses, loaded once at boot and shared by all jobs of the process."""

    settings: RunnerSettings
    storage: Storage
    speech: SpeechService
    renderer: Renderer
    metrics: RunnerMetrics = field(default_factory=RunnerMetrics)
    # Built from the settings at boot (gpu_runner.worker); one built without still records it signed nothing.
    credentials: ContentCredentials = field(
        default_factory=lambda: ContentCredentials.unsigned(NOT_CONFIGURED_REASON)
    )


def clean_script(script: str) -> str:
    """The words to speak: control characters and markup removed, whitespace collapsed.

    Raises :class:`RenderRefused` with ``script_too_long`` or ``empty_script``.
    """
    if len(script) > MAX_SCRIPT_CHARS:
        raise RenderRefused(
            ErrorCode.SCRIPT_TOO_LONG,
            f"the script has {len(script)} characters; the limit is {MAX_SCRIPT_CHARS}. Shorten it.",
        )
    text = _MARKUP_RE.sub(" ", without_control_characters(script))
    # A removed tag leaves a space so "a<br>b" stays two words; "<b>word</b>," must not become "word ,".
    text = _SPACE_BEFORE_PUNCTUATION_RE.sub(r"\1", _SPACES_RE.sub(" ", text)).strip()
    if not any(ch.isalnum() for ch in text):
        raise RenderRefused(
            ErrorCode.EMPTY_SCRIPT, "the script has no words to speak; write what the presenter says"
        )
    return text


def run_job(request: RenderRequest, env: JobEnvironment, reporter: JobReporter) -> RenderResult:
    """Render ``request`` and upload the MP4, poster and captions; return what was produced and how.

    With a composition, every requested format is then composed from the rendered head (stage ``compose``)
    and uploaded beside the main video, before it: the main video is always the last object written, so a
    consumer that sees it can rely on everything else being there.
    """
    renderer = env.renderer
    if request.renderer != renderer.name:
        raise RenderRefused(
            ErrorCode.RENDER_FAILED,
            f"this runner serves the {renderer.name!r} renderer, the job asks for {request.renderer!r}; "
            f"start a runner with GPU_RUNNER_RENDERER={request.renderer}",
        )
    text = clean_script(request.script)
    env.speech.resolve(request.voice)  # an unknown voice fails here, before the image is even read
    image = _read_image(request.image_key, env.storage)
    reporter.check_cancelled()

    reporter.enter("tts")
    voiced = speak_script(env.speech, text, request.voice, env.settings.max_audio_seconds)
    reporter.progress(1.0)
    reporter.record(voice_engine=voiced.engine, voice=voiced.voice, fallbacks=voiced.fallbacks)
    env.metrics.fallbacks_noted("voice", voiced.fallbacks)
    reporter.check_cancelled()

    with tempfile.TemporaryDirectory(prefix=f"gpu-runner-{request.job_id}-") as folder:
        files = render_files(
            renderer, image, text, voiced, reporter, Path(folder), request.options, request.disclosure
        )
        fallbacks = [*voiced.fallbacks, *files.renderer_fallbacks]
        if files.renderer_fallbacks:
            reporter.record(fallbacks=fallbacks)
            env.metrics.fallbacks_noted("renderer", files.renderer_fallbacks)
        reporter.check_cancelled()
        finished: FinishedVideos | None = None
        if request.composition is not None:
            finished = compose_files(
                request.composition,
                request.output_key,
                env.storage,
                image,
                text,
                voiced,
                files,
                reporter,
                request.disclosure,
            )
            if finished.notes:
                fallbacks += finished.notes
                reporter.record(fallbacks=fallbacks)
                env.metrics.fallbacks_noted("compose", finished.notes)
            reporter.check_cancelled()
        reporter.enter("upload")
        facts = GenerationFacts.of(
            request,
            renderer=renderer.name,
            weights=renderer.weights(),
            voice_engine=voiced.engine,
            voice=voiced.voice,
        )
        key = request.output_key
        renditions = []
        for composed in finished.renditions if finished else []:
            size, sha256, _ = _sign_files(env.credentials, composed.video_path, composed.poster_path, facts)
            renditions.append(
                dataclasses.asdict(dataclasses.replace(composed.record, bytes=size, sha256=sha256))
            )
            _upload_video(
                env.storage,
                composed.record.key,
                composed.video_path,
                composed.poster_path,
                finished.captions_path,
            )
        reporter.progress(0.5)
        size, sha256, manifest = _sign_files(
            env.credentials, files.video.video_path, files.video.poster_path, facts
        )
        # The main video goes last: a consumer that sees it can rely on everything else being there.
        _upload_video(env.storage, key, files.video.video_path, files.video.poster_path, files.captions_path)
        reporter.progress(1.0)

    encoded = files.video
    return RenderResult(
        key=key,
        poster_key=poster_key(key),
        captions_key=captions_key(key),
        duration_s=encoded.duration_s,
        width=encoded.width,
        height=encoded.height,
        bytes=size,
        sha256=sha256,
        timings={**reporter.timings, **(finished.timings if finished else {})},
        voice_engine=voiced.engine,
        voice=voiced.voice,
        renderer=renderer.name,
        weights=renderer.weights(),
        fallbacks=fallbacks,
        renditions=renditions,
        audio=finished.sound.as_result() if finished else {},
        credentials=env.credentials.record(manifest),
    )


def _sign_files(
    credentials: ContentCredentials, video: Path, poster: Path, facts: GenerationFacts
) -> tuple[int, str, str | None]:
    """Sign a video and its poster in place; returns the video's size and SHA-256 as uploaded, and its
    manifest label (``None`` where signing is off)."""
    manifest = credentials.sign_video(video, facts)
    credentials.sign_poster(poster, facts)
    size, sha256 = signed_file_facts(video)
    return size, sha256, manifest


def _upload_video(storage: Storage, key: str, video: Path, poster: Path, captions: Path) -> None:
    """Store a video at ``key`` with its poster and captions beside it, the video last."""
    storage.put_file(poster_key(key), poster, "image/jpeg")
    storage.put_file(captions_key(key), captions, "text/vtt")
    storage.put_file(key, video, "video/mp4")


def speak_script(speech: SpeechService, text: str, voice: str, max_audio_seconds: float) -> VoicedScript:
    """Voice ``text`` (falling back to the offline engine if need be); refuse speech over the length limit."""
    voiced = speech.speak(text, voice)
    duration = voiced.spoken.speech.duration_s
    if duration > max_audio_seconds:
        raise RenderRefused(
            ErrorCode.AUDIO_TOO_LONG,
            f"the spoken script lasts {duration:.0f} s; the limit is {max_audio_seconds:.0f} s. "
            "Shorten the script.",
        )
    if not np.isfinite(voiced.spoken.speech.samples).all():
        raise TTSError(f"voice {voiced.voice} produced invalid samples")
    return voiced


@dataclass(frozen=True)
class RenderedFiles:
    """A job's outputs on local disk, before upload."""

    video: EncodedVideo
    captions_path: Path
    #: the renderer's own plain-words fallback notes (``FrameStream.fallbacks``)
    renderer_fallbacks: list[str]


def render_files(
    renderer: Renderer,
    image: Image.Image,
    text: str,
    voiced: VoicedScript,
    reporter: StageReporter,
    folder: Path,
    options: Mapping[str, Any] | None = None,
    disclosure: Disclosure | None = None,
) -> RenderedFiles:
    """Render and encode into ``folder``: ``video.mp4``, ``poster.jpg`` and ``captions.vtt``; ``disclosure``
    is the AI label drawn on every frame (``None``: none)."""
    speech = voiced.spoken.speech
    stream = renderer.render(RenderInput(image=image, speech=speech, options=options or {}), reporter)
    # Frames are encoded as the renderer yields them; "encode" then times the flush, poster and hash.
    timed = _entering_when_exhausted(stream, lambda: reporter.enter("encode"))
    video = encode_mp4(timed, speech, folder / "video.mp4", folder / "poster.jpg", disclosure)
    captions_path = folder / "captions.vtt"
    webvtt = build_webvtt(text, voiced.spoken.timings, speech.duration_s, language=spoken_language(voiced))
    captions_path.write_text(webvtt, encoding="utf-8")
    # Read after encoding: a renderer may add a note while it streams (e.g. a clip it had to redo).
    return RenderedFiles(video, captions_path, list(stream.fallbacks))


def compose_files(
    composition: Composition,
    output_key: str,
    storage: Storage,
    image: Image.Image,
    text: str,
    voiced: VoicedScript,
    files: RenderedFiles,
    reporter: StageReporter,
    disclosure: Disclosure | None = None,
) -> FinishedVideos:
    """Compose every format of ``composition`` from the rendered head in ``files``, beside it on disk.

    Stage ``compose``; the captions burned in are the same cues as ``files``' WebVTT.
    """
    reporter.enter("compose")
    return compose_finished_videos(
        composition,
        output_key=output_key,
        storage=storage,
        presenter=image,
        head_video=files.video.composable_path,
        speech=voiced.spoken.speech,
        script=text,
        timings=voiced.spoken.timings,
        fps=FPS,
        folder=files.video.video_path.parent,
        reporter=reporter,
        disclosure=disclosure,
        language=spoken_language(voiced),
    )


def spoken_language(voiced: VoicedScript) -> str:
    """The language of the voice heard (``edge:de-DE-KatjaNeural`` → ``de``): the captions' language tag."""
    return language_of(voiced.voice.partition(":")[2])


def job_error_for(exc: BaseException, stage: str | None) -> JobError:
    """The :class:`JobError` to report for an exception raised while a job ran in ``stage``."""
    if isinstance(exc, RenderRefused):
        return JobError(exc.code, exc.message)
    if isinstance(exc, UnknownVoice):
        return JobError(ErrorCode.UNKNOWN_VOICE, str(exc))
    if isinstance(exc, TTSError):
        return JobError(ErrorCode.TTS_FAILED, f"the voice could not be produced: {exc}", retryable=True)
    if isinstance(exc, StorageUnreachable):
        return JobError(ErrorCode.STORAGE_UNREACHABLE, str(exc), retryable=True)
    # torch.cuda.OutOfMemoryError is matched by name so this module never imports torch.
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return JobError(
            ErrorCode.OUT_OF_MEMORY,
            f"out of memory during {stage or 'start-up'}; try a shorter script or a runner with more memory",
            retryable=True,
        )
    if type(exc).__name__ == "TimeLimitExceeded":
        return JobError(
            ErrorCode.TIMED_OUT,
            f"the job ran past GPU_RUNNER_JOB_TIME_LIMIT_S during {stage or 'start-up'}; shorten the script",
            retryable=True,
        )
    return JobError(
        ErrorCode.INTERNAL,
        f"internal error during {stage or 'start-up'} ({type(exc).__name__}: {exc}); see the runner's log",
        retryable=True,
    )


def _read_image(image_key: str, storage: Storage) -> Image.Image:
    if not image_key:
        raise RenderRefused(ErrorCode.NO_IMAGE, "the page has no presenter image; choose one and try again")
    try:
        data = storage.get(image_key)
    except ObjectNotFound:
        raise RenderRefused(
            ErrorCode.NO_IMAGE, f"the presenter image {image_key!r} is not in storage; choose the image again"
        ) from None
    return load_presenter_image(data, name=f"image {image_key!r}")


def _entering_when_exhausted(stream: FrameStream, on_exhausted: Callable[[], None]) -> FrameStream:
    def frames() -> Iterator[np.ndarray]:
        yield from stream.frames
        on_exhausted()

    return dataclasses.replace(stream, frames=frames())
