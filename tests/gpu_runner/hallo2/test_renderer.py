"""``Hallo2Renderer`` end to end on tiny random-weight models: a real face photo and real speech to an MP4."""

from __future__ import annotations

import hashlib
import io
import math
import shutil
import weakref
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from gpu_runner.compose.finish import compose_finished_videos
from gpu_runner.encode import encode_mp4
from gpu_runner.protocol import FORMATS, LAYOUTS, Composition, ErrorCode, asset_key, video_key
from gpu_runner.renderers.base import JobCancelled, NullReporter, RenderInput, RenderRefused
from gpu_runner.renderers.hallo2 import renderer as renderer_module
from gpu_runner.renderers.hallo2.renderer import Hallo2Renderer
from gpu_runner.renderers.hallo2.weights import ARCFACE, MODEL_FILES, NONCOMMERCIAL_FALLBACK, ModelsMissing
from gpu_runner.scene import fit_head, place
from gpu_runner.settings import RunnerSettings
from gpu_runner.storage import LocalStorage

from .tiny_models import (  # noqa: F401  (fixtures)
    presenter_image,
    short_speech,
    tiny_models_dir,
)


def _settings(models_dir: Path, allow_noncommercial: bool = True) -> RunnerSettings:
    return RunnerSettings(
        renderer="hallo2",
        hallo_models_dir=str(models_dir),
        allow_noncommercial_weights=allow_noncommercial,
        device="cpu",
    )


@pytest.fixture(scope="module")
def loaded(tiny_models_dir) -> Hallo2Renderer:  # noqa: F811
    renderer = Hallo2Renderer(_settings(tiny_models_dir))
    renderer.load()
    return renderer


class RecordingReporter(NullReporter):
    """Records progress; raises JobCancelled from the ``cancel_at``-th cancellation check on."""

    def __init__(self, cancel_at: int | None = None) -> None:
        super().__init__()
        self.fractions: list[tuple[str, float]] = []
        self.checks = 0
        self.cancel_at = cancel_at

    def progress(self, fraction: float) -> None:
        self.fractions.append((self.stages[-1], fraction))

    def check_cancelled(self) -> None:
        self.checks += 1
        if self.cancel_at is not None and self.checks >= self.cancel_at:
            raise JobCancelled()


def test_real_face_and_speech_become_an_mp4_exactly_as_long_as_the_audio(
    loaded,
    presenter_image,  # noqa: F811
    short_speech,  # noqa: F811
    tmp_path,
):
    reporter = RecordingReporter()
    job = RenderInput(image=presenter_image, speech=short_speech, options={"steps": 2})
    stream = loaded.render(job, reporter)
    expected_frames = math.ceil(short_speech.duration_s * 25)
    assert stream.frame_count == expected_frames
    assert stream.fallbacks == []
    size = loaded.describe()["size"]
    assert (stream.width, stream.height) == (size, size)

    encoded = encode_mp4(stream, short_speech, tmp_path / "video.mp4", tmp_path / "poster.jpg")

    assert encoded.frames == expected_frames
    with av.open(str(tmp_path / "video.mp4")) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == expected_frames
    assert reporter.stages == ["face", "audio", "render"]
    render_progress = [f for stage, f in reporter.fractions if stage == "render"]
    clips = math.ceil(expected_frames / 16)
    assert len(render_progress) == clips * 2 and render_progress[-1] == pytest.approx(1.0)
    assert render_progress == sorted(render_progress)
    assert set(loaded.last_timings) >= {"reference_pass", "denoising", "vae_decode"}
    assert loaded.weights().startswith("hallo2 net.pth sha256:")
    assert loaded.weights().endswith("identity: glintr100")


def test_render_loads_nothing(loaded, presenter_image, short_speech, monkeypatch):  # noqa: F811
    from diffusers import AutoencoderKL
    from transformers import Wav2Vec2Model

    loads: list[str] = []

    def counting(name, original):
        def wrapper(*args, **kwargs):
            loads.append(name)
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(torch, "load", counting("torch.load", torch.load))
    monkeypatch.setattr(renderer_module, "build_net", counting("build_net", renderer_module.build_net))
    monkeypatch.setattr(AutoencoderKL, "from_pretrained", counting("vae", AutoencoderKL.from_pretrained))
    monkeypatch.setattr(Wav2Vec2Model, "from_pretrained", counting("wav2vec", Wav2Vec2Model.from_pretrained))
    monkeypatch.setattr(renderer_module, "FaceFinder", counting("faces", renderer_module.FaceFinder))
    monkeypatch.setattr(
        renderer_module, "IdentityEncoder", counting("identity", renderer_module.IdentityEncoder)
    )

    job = RenderInput(image=presenter_image, speech=short_speech, options={"steps": 1})
    for _ in range(2):
        assert len(list(loaded.render(job, NullReporter()).frames)) == math.ceil(short_speech.duration_s * 25)
    assert loads == []

    # The counters do see a load: the check above cannot pass by counting nothing.
    fresh = Hallo2Renderer(loaded.settings)
    fresh.load()
    assert {"torch.load", "build_net", "vae", "wav2vec", "faces", "identity"} <= set(loads)


def test_missing_models_fail_load_with_every_file_and_the_fetch_command(tmp_path):
    renderer = Hallo2Renderer(_settings(tmp_path / "models"))
    with pytest.raises(ModelsMissing) as caught:
        renderer.load()
    message = str(caught.value)
    for model_file in MODEL_FILES:
        assert model_file.path in message
    assert f"python -m gpu_runner fetch-models --dir {tmp_path / 'models'}" in message


def test_refused_noncommercial_weights_mean_zero_identity_and_a_recorded_fallback(
    tiny_models_dir,  # noqa: F811
    presenter_image,  # noqa: F811
    short_speech,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    # A models dir without the non-commercial ArcFace file: it must not even be needed.
    commercial_dir = tmp_path / "models"
    for model_file in MODEL_FILES:
        if model_file.path != ARCFACE:
            target = commercial_dir / model_file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(tiny_models_dir / model_file.path)
    renderer = Hallo2Renderer(_settings(commercial_dir, allow_noncommercial=False))
    renderer.load()
    assert renderer.weights().endswith("identity: none (non-commercial weights refused)")

    seen = []
    frames = renderer._models.pipeline.frames

    def spy(face, *args, **kwargs):
        seen.append(face.embedding)
        return frames(face, *args, **kwargs)

    monkeypatch.setattr(renderer._models.pipeline, "frames", spy)
    stream = renderer.render(
        RenderInput(image=presenter_image, speech=short_speech, options={"steps": 1}), NullReporter()
    )
    assert stream.fallbacks == [NONCOMMERCIAL_FALLBACK]
    assert "non-commercial" in stream.fallbacks[0] and "zeros" in stream.fallbacks[0]
    assert len(list(stream.frames)) == stream.frame_count
    assert torch.count_nonzero(seen[0]) == 0


def test_out_of_memory_fails_the_job_clearly_and_the_renderer_stays_usable(
    loaded,
    presenter_image,  # noqa: F811
    short_speech,  # noqa: F811
    monkeypatch,
):
    pipeline = loaded._models.pipeline
    decode = pipeline.decode

    def exhausted(latents):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(pipeline, "decode", exhausted)
    job = RenderInput(image=presenter_image, speech=short_speech, options={"steps": 1})
    stream = loaded.render(job, NullReporter())
    with pytest.raises(RenderRefused) as caught:
        list(stream.frames)
    assert caught.value.code == ErrorCode.OUT_OF_MEMORY
    assert "out of memory" in caught.value.message

    monkeypatch.setattr(pipeline, "decode", decode)
    assert len(list(loaded.render(job, NullReporter()).frames)) == stream.frame_count


def test_cancellation_is_checked_between_clips(loaded, presenter_image, short_speech):  # noqa: F811
    # Checks: before the face stage, after it, after the audio stage, then before each clip; the 5th is the
    # second clip's.
    reporter = RecordingReporter(cancel_at=5)
    stream = loaded.render(
        RenderInput(image=presenter_image, speech=short_speech, options={"steps": 1}), reporter
    )
    produced = []
    with pytest.raises(JobCancelled):
        for frame in stream.frames:
            produced.append(frame)
    assert len(produced) == 16


def test_a_photo_without_a_face_is_refused_before_any_diffusion(loaded, short_speech):  # noqa: F811
    reporter = RecordingReporter()
    blank = Image.fromarray(np.full((256, 256, 3), 200, dtype=np.uint8))
    with pytest.raises(RenderRefused) as caught:
        loaded.render(RenderInput(image=blank, speech=short_speech), reporter)
    assert caught.value.code == ErrorCode.NO_FACE
    assert "render" not in reporter.stages


def test_render_before_load_says_what_to_do(tiny_models_dir, presenter_image, short_speech):  # noqa: F811
    with pytest.raises(RuntimeError, match="before load"):
        Hallo2Renderer(_settings(tiny_models_dir)).render(
            RenderInput(image=presenter_image, speech=short_speech), NullReporter()
        )


def test_a_models_dir_lacking_only_net_pth_names_only_that_file(tiny_models_dir, tmp_path):  # noqa: F811
    partial = tmp_path / "partial"
    shutil.copytree(tiny_models_dir, partial)
    (partial / "hallo2" / "net.pth").unlink()
    with pytest.raises(ModelsMissing) as caught:
        Hallo2Renderer(_settings(partial)).load()
    assert caught.value.missing == ["hallo2/net.pth"]


@pytest.fixture(scope="module")
def hallo2_head(loaded, presenter_image, short_speech, tmp_path_factory) -> Path:  # noqa: F811
    """The tiny renderer's talking head, encoded as a job's main video."""
    folder = tmp_path_factory.mktemp("hallo2-head")
    stream = loaded.render(
        RenderInput(image=presenter_image, speech=short_speech, options={"steps": 2}), NullReporter()
    )
    return encode_mp4(stream, short_speech, folder / "video.mp4", folder / "poster.jpg").video_path


def _frame(path: Path, index: int) -> np.ndarray:
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number == index:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError(f"{path.name} has no frame {index}")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_is_composed_from_the_hallo2_head(
    hallo2_head,
    presenter_image,  # noqa: F811
    short_speech,  # noqa: F811
    tmp_path,
    layout,
):
    storage = LocalStorage(tmp_path / "storage")
    picture = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(picture, format="PNG")
    product_key = asset_key(3, "products", hashlib.sha256(picture.getvalue()).hexdigest(), "png")
    (storage.root / product_key).parent.mkdir(parents=True)
    (storage.root / product_key).write_bytes(picture.getvalue())
    composition = Composition.from_dict(
        {
            "layout": layout,
            "formats": ["square"],
            "burn_captions": False,
            "product_image_keys": [product_key],
        },
        3,
    )

    finished = compose_finished_videos(
        composition,
        output_key=video_key(3, 12, "abcdefghij012345"),
        storage=storage,
        presenter=presenter_image,
        head_video=hallo2_head,
        speech=short_speech,
        script="Hello, this is our new product.",
        timings=[],
        fps=25,
        folder=tmp_path,
        reporter=NullReporter(),
    )

    (rendition,) = finished.renditions
    assert (rendition.record.layout, rendition.record.width, rendition.record.height) == (layout, 1080, 1080)
    head = place(layout, FORMATS["square"]).head
    for index in (5, 30):
        composed = _frame(rendition.video_path, index)[head.y : head.bottom, head.x : head.right]
        # The rendered head of the same moment, cropped into the box as the scene crops a presenter.
        rendered = Image.fromarray(_frame(hallo2_head, index).astype(np.uint8))
        expected = np.asarray(fit_head(rendered, head), dtype=np.int16)
        assert np.abs(composed - expected).mean() < 12, f"frame {index} of {layout} is not the hallo2 head"


def test_out_of_memory_in_the_audio_stage_is_refused_after_its_memory_is_released(
    loaded,
    presenter_image,  # noqa: F811
    short_speech,  # noqa: F811
    monkeypatch,
):
    audio = loaded._models.audio
    held: list[weakref.ref] = []

    def exhausted(speech, clip_length=None):
        features = torch.empty(1_000_000)  # what a failing encoder holds when the allocation fails
        held.append(weakref.ref(features))
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")

    monkeypatch.setattr(audio, "encode", exhausted)
    job = RenderInput(image=presenter_image, speech=short_speech, options={"steps": 1})
    reporter = RecordingReporter()
    with pytest.raises(RenderRefused) as caught:
        loaded.render(job, reporter)
    assert caught.value.code == ErrorCode.OUT_OF_MEMORY
    assert reporter.stages == ["face", "audio"]
    # Nothing (a traceback kept as the refusal's context, say) still holds the failed stage's tensors.
    assert caught.value.__context__ is None
    assert held[0]() is None

    monkeypatch.undo()
    assert len(list(loaded.render(job, NullReporter()).frames)) == math.ceil(short_speech.duration_s * 25)


@pytest.mark.parametrize(
    "message",
    [
        "CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`",
        "cuDNN error: CUDNN_STATUS_ALLOC_FAILED",
        "CUDA error: out of memory",
    ],
)
def test_math_library_allocation_failures_count_as_out_of_memory(
    loaded,
    presenter_image,  # noqa: F811
    short_speech,  # noqa: F811
    monkeypatch,
    message,
):
    # cuBLAS, cuDNN and raw CUDA calls fail outside PyTorch's allocator, with a plain RuntimeError.
    def exhausted(latents):
        raise RuntimeError(message)

    monkeypatch.setattr(loaded._models.pipeline, "decode", exhausted)
    stream = loaded.render(
        RenderInput(image=presenter_image, speech=short_speech, options={"steps": 1}), NullReporter()
    )
    with pytest.raises(RenderRefused) as caught:
        list(stream.frames)
    assert caught.value.code == ErrorCode.OUT_OF_MEMORY


def test_other_runtime_errors_are_not_mistaken_for_out_of_memory(
    loaded,
    presenter_image,  # noqa: F811
    short_speech,  # noqa: F811
    monkeypatch,
):
    def broken(speech, clip_length=None):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(loaded._models.audio, "encode", broken)
    with pytest.raises(RuntimeError, match="illegal memory access"):
        loaded.render(
            RenderInput(image=presenter_image, speech=short_speech, options={"steps": 1}), NullReporter()
        )
