"""The visible AI label (EU AI Act, Article 50(4)) on every frame, checked on decoded videos.

Each layout is composed twice from one talking head, with and without the label, and frames of the two files
are compared: the label's box shows the plate (its colour over what was under it) with white letters, while
the rest of the frame, the other corners included, is what it was. The plain talking head is checked the same
way, and a job run end to end shows that the finished formats carry one label, not the head's as well.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gpu_runner.compose.finish import compose_finished_videos
from gpu_runner.encode import EncodedVideo, encode_mp4
from gpu_runner.events import JobReporter
from gpu_runner.jobs import JobEnvironment, run_job
from gpu_runner.protocol import (
    FORMATS,
    Brand,
    Composition,
    Disclosure,
    RenderRequest,
    asset_key,
    rendition_key,
    video_key,
)
from gpu_runner.renderers.base import FPS, NullReporter, RenderInput
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.scene import Box, place
from gpu_runner.scene.disclosure import PLATE, Label, draw_label, label_size, layout_label
from gpu_runner.scene.fonts import font_chain
from gpu_runner.scene.text import missing_characters, split_runs
from gpu_runner.settings import RunnerSettings
from gpu_runner.storage import LocalStorage
from gpu_runner.tts import SpeechService, VoicedScript
from tests.gpu_runner.test_compose import frames_of

SCRIPT = "Hello there."
OUTPUT_KEY = video_key(1, 7, "0123456789abcdef")
# Each layout in the format where its safe area matters most, with the label in a different corner.
CASES = {
    "presenter": ("landscape", "top_right"),
    "presenter_product": ("square", "top_left"),  # over the presenter's box
    "social": ("vertical", "bottom_right"),
}
JAPANESE = "AI生成の動画です"
# A private-use character: no bundled font has it, so it draws the .notdef box.
NO_GLYPH = "\ue0ff"


@pytest.fixture(scope="module")
def voiced(speech_service: SpeechService) -> VoicedScript:
    return speech_service.speak(SCRIPT, "espeak:en-us")


def plain_video(
    folder: Path, face: Image.Image, voiced: VoicedScript, disclosure: Disclosure | None
) -> EncodedVideo:
    """The still renderer's talking head, encoded with ``disclosure`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    speech = voiced.spoken.speech
    stream = StillRenderer().render(RenderInput(image=face, speech=speech), NullReporter())
    return encode_mp4(stream, speech, folder / "video.mp4", folder / "poster.jpg", disclosure)


def product_key(storage: LocalStorage) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), (0, 200, 0)).save(buffer, format="PNG")
    data = buffer.getvalue()
    key = asset_key(1, "products", hashlib.sha256(data).hexdigest(), "png")
    (storage.root / key).parent.mkdir(parents=True, exist_ok=True)
    (storage.root / key).write_bytes(data)
    return key


def composition_of(layout: str, storage: LocalStorage) -> Composition:
    return Composition(
        layout=layout,
        formats=(CASES[layout][0],),
        burn_captions=True,
        product_name="House blend",
        product_price="€9.50",
        product_image_keys=(product_key(storage),),
        # An intro card, so that the label is checked on a card's frames too.
        brand=Brand(intro_s=0.4),
    )


def composed(
    folder: Path,
    head: Path,
    face: Image.Image,
    voiced: VoicedScript,
    composition: Composition,
    disclosure: Disclosure | None,
) -> Path:
    """The one rendition of ``composition`` made from ``head``, with ``disclosure``."""
    folder.mkdir(parents=True, exist_ok=True)
    storage = LocalStorage(folder.parent / "storage")
    finished = compose_finished_videos(
        composition,
        output_key=OUTPUT_KEY,
        storage=storage,
        presenter=face,
        head_video=head,
        speech=voiced.spoken.speech,
        script=SCRIPT,
        timings=voiced.spoken.timings,
        fps=FPS,
        folder=folder,
        reporter=NullReporter(),
        disclosure=disclosure,
    )
    return finished.renditions[0].video_path


def patch(frame: np.ndarray, box: Box) -> np.ndarray:
    return frame[box.y : box.bottom, box.x : box.right]


def other_corners(box: Box, width: int, height: int) -> list[Box]:
    """The same box mirrored into the frame's three other corners."""
    mirrored_x, mirrored_y = width - box.right, height - box.bottom
    return [
        Box(mirrored_x, box.y, box.width, box.height),
        Box(box.x, mirrored_y, box.width, box.height),
        Box(mirrored_x, mirrored_y, box.width, box.height),
    ]


def assert_label_shown(labelled: np.ndarray, clean: np.ndarray, label: Label, size: int) -> None:
    """The label laid over the clean frame at its box (the plate's colour in its padding, white letters on
    it), and the other corners as they were."""
    box = label.box
    height, width = clean.shape[:2]
    padding = max(4, round(size * 0.5))
    # The plate's left padding at its middle height: no letter there, and clear of the rounded corners.
    pad = Box(box.x + 1, box.y + box.height // 2 - 2, padding - 2, 4)
    alpha = PLATE[3] / 255
    expected = np.array(PLATE[:3]) * alpha + patch(clean, pad) * (1 - alpha)
    assert np.abs(patch(labelled, pad) - expected).mean() < 12, "the plate is not the plate's colour"
    assert np.abs(patch(labelled, box) - patch(clean, box)).mean() > 20, "the label's box looks unchanged"
    # Over the dark plate, only the letters are bright.
    assert patch(labelled, box).min(axis=2).max() > 180, "no white letters on the plate"
    # The whole box is the label over what was there (within the encoder's loss at the letters' edges).
    rgba = np.asarray(label.picture).astype(int)
    a = rgba[..., 3:] / 255
    composite = rgba[..., :3] * a + patch(clean, box) * (1 - a)
    assert np.abs(patch(labelled, box) - composite).mean() < 6, "the label is not all there"
    for corner in other_corners(box, width, height):
        assert np.abs(patch(labelled, corner) - patch(clean, corner)).mean() < 3, f"{corner} changed"


@pytest.mark.parametrize("with_product", [True, False])
@pytest.mark.parametrize("layout", ["presenter", "presenter_product", "social"])
@pytest.mark.parametrize("name", list(FORMATS))
def test_the_label_keeps_to_its_corner_of_the_safe_area_clear_of_the_logo_and_the_name(
    layout: str, name: str, with_product: bool
) -> None:
    fmt = FORMATS[name]
    placement = place(layout, fmt, with_product=with_product)
    safe = placement.safe
    for position in ("top_left", "top_right", "bottom_left", "bottom_right"):
        label = layout_label(
            Disclosure(position=position), fmt, layout, "noto-sans", with_product=with_product
        )
        assert label is not None
        box = label.box
        assert safe.contains(box), f"{position} leaves the safe area {safe}: {box}"
        assert (
            box.size == label.picture.size and box.x % 2 == box.y % 2 == box.width % 2 == box.height % 2 == 0
        )
        # Its side of the safe area (the social layout's keeps clear of the apps' buttons and bars).
        assert (box.x - safe.x < safe.right - box.right) == position.endswith("left"), position
        assert (box.y + box.height / 2 < safe.y + safe.height / 2) == position.startswith("top"), position
        for obstacle in (placement.logo, placement.bar or placement.title):
            if obstacle is not None:
                assert not (
                    box.x < obstacle.right
                    and obstacle.x < box.right
                    and box.y < obstacle.bottom
                    and obstacle.y < box.bottom
                ), f"{position} covers {obstacle}"


@pytest.fixture(scope="module")
def head(
    tmp_path_factory: pytest.TempPathFactory, face_photo: Image.Image, voiced: VoicedScript
) -> EncodedVideo:
    """The talking head without a label: what compositions are made from, and the plain video's reference."""
    return plain_video(tmp_path_factory.mktemp("head"), face_photo, voiced, None)


@pytest.mark.parametrize("layout", list(CASES))
def test_each_layout_shows_the_label_at_its_position_on_every_kind_of_frame(
    tmp_path: Path, face_photo: Image.Image, voiced: VoicedScript, head: EncodedVideo, layout: str
) -> None:
    name, position = CASES[layout]
    fmt = FORMATS[name]
    disclosure = Disclosure(position=position)
    composition = composition_of(layout, LocalStorage(tmp_path / "storage"))
    clean = composed(tmp_path / "clean", head.video_path, face_photo, voiced, composition, None)
    labelled = composed(tmp_path / "labelled", head.video_path, face_photo, voiced, composition, disclosure)

    label = layout_label(disclosure, fmt, layout, composition.brand.font)
    assert label is not None
    # Frame 0 is the intro card; frame 20 has the presenter speaking (and a caption burned in).
    clean_frames, labelled_frames = frames_of(clean, {0, 20}), frames_of(labelled, {0, 20})
    for index in (0, 20):
        assert_label_shown(
            labelled_frames[index], clean_frames[index], label, label_size(fmt.width, fmt.height)
        )


def test_the_plain_talking_head_shows_the_label_and_keeps_a_clean_copy_to_compose_from(
    tmp_path: Path, face_photo: Image.Image, voiced: VoicedScript, head: EncodedVideo
) -> None:
    disclosure = Disclosure(text="AI-generated", position="bottom_left")
    plain = plain_video(tmp_path, face_photo, voiced, disclosure)
    label = draw_label(disclosure, plain.width, plain.height)
    assert label is not None
    count = plain.frames
    clean, labelled = frames_of(head.video_path, {0, count - 1}), frames_of(plain.video_path, {0, count - 1})
    for index in (0, count - 1):
        assert_label_shown(labelled[index], clean[index], label, label_size(plain.width, plain.height))
    with Image.open(plain.poster_path) as poster:
        assert_label_shown(
            np.asarray(poster.convert("RGB")).astype(int),
            np.asarray(Image.open(head.poster_path).convert("RGB")).astype(int),
            label,
            label_size(plain.width, plain.height),
        )
    # Compositions are made from the head without the label, or it would show a second time in their frames.
    assert plain.composable_path != plain.video_path
    unlabelled = frames_of(plain.composable_path, {0})[0]
    assert np.abs(patch(unlabelled, label.box) - patch(clean[0], label.box)).mean() < 2


def test_a_disabled_label_draws_nothing_and_changes_no_byte(
    tmp_path: Path, face_photo: Image.Image, voiced: VoicedScript, head: EncodedVideo
) -> None:
    disclosure = Disclosure(enabled=False)
    assert draw_label(disclosure, 1920, 1080) is None
    plain = plain_video(tmp_path, face_photo, voiced, disclosure)
    # libx264 is deterministic: the same frames give the same file as a video made without any disclosure.
    assert plain.sha256 == head.sha256
    assert plain.composable_path == plain.video_path


@pytest.mark.parametrize("text", [JAPANESE, "فيديو مولّد بالذكاء الاصطناعي", "Создано ИИ"])
def test_wording_in_any_script_is_drawn_with_real_glyphs(text: str) -> None:
    chain = font_chain("noto-sans", bold=True)
    assert missing_characters(text, chain) == []
    label = draw_label(Disclosure(text=text), 1920, 1080)
    boxes = draw_label(Disclosure(text=NO_GLYPH * len(text)), 1920, 1080)
    assert label is not None and boxes is not None
    letters = np.asarray(label.picture)[..., :3].min(axis=2) > 180
    assert letters.mean() > 0.03, "the label has hardly any letters"
    # The same number of .notdef boxes would look quite different.
    if label.picture.size == boxes.picture.size:
        assert (letters != (np.asarray(boxes.picture)[..., :3].min(axis=2) > 180)).mean() > 0.05


def test_japanese_wording_is_set_in_noto_sans_cjk_on_the_video(
    tmp_path: Path, face_photo: Image.Image, voiced: VoicedScript, head: EncodedVideo
) -> None:
    chain = font_chain("noto-sans", bold=True)
    assert {run.face.name for run in split_runs(JAPANESE, chain) if run.text.strip()} == {
        "Noto Sans",
        "Noto Sans CJK",
    }
    disclosure = Disclosure(text=JAPANESE, position="top_left")
    plain = plain_video(tmp_path, face_photo, voiced, disclosure)
    label = draw_label(disclosure, plain.width, plain.height)
    assert label is not None
    frame, clean = frames_of(plain.video_path, {5})[5], frames_of(head.video_path, {5})[5]
    assert_label_shown(frame, clean, label, label_size(plain.width, plain.height))


def test_a_job_labels_its_main_video_and_each_format_once(
    tmp_path: Path,
    face_photo: Image.Image,
    face_jpeg: bytes,
    speech_service: SpeechService,
    voiced: VoicedScript,
    head: EncodedVideo,
) -> None:
    storage = LocalStorage(tmp_path / "storage")
    image_key = asset_key(1, "presenters", hashlib.sha256(face_jpeg).hexdigest(), "jpg")
    (storage.root / image_key).parent.mkdir(parents=True, exist_ok=True)
    (storage.root / image_key).write_bytes(face_jpeg)
    composition = Composition(layout="presenter", formats=("square",))
    request = RenderRequest(
        job_id="job-label",
        organization_id=1,
        page_id=7,
        image_key=image_key,
        script=SCRIPT,
        voice="espeak:en-us",
        renderer="still",
        output_key=OUTPUT_KEY,
        composition=composition,
        disclosure=Disclosure(position="top_right"),
    )
    env = JobEnvironment(
        RunnerSettings(storage_url=str(storage.root)), storage, speech_service, StillRenderer()
    )
    run_job(request, env, JobReporter("job-label", 1, publish=lambda event: None))

    main = storage.root / OUTPUT_KEY
    plain_label = draw_label(request.disclosure, 512, 512)
    assert plain_label is not None
    assert_label_shown(
        frames_of(main, {3})[3], frames_of(head.video_path, {3})[3], plain_label, label_size(512, 512)
    )

    # The stored square rendition against one composed from the clean head without a label: only the
    # rendition's own label differs; the head's label is not pasted in with the presenter.
    fmt = FORMATS["square"]
    reference = composed(tmp_path / "reference", head.video_path, face_photo, voiced, composition, None)
    stored = storage.root / rendition_key(OUTPUT_KEY, "square")
    label = layout_label(request.disclosure, fmt, "presenter", "noto-sans")
    assert label is not None
    frame, clean = frames_of(stored, {10})[10], frames_of(reference, {10})[10]
    assert_label_shown(frame, clean, label, label_size(fmt.width, fmt.height))
    outside = np.ones(frame.shape[:2], bool)
    outside[label.box.y : label.box.bottom, label.box.x : label.box.right] = False
    assert np.abs(frame - clean)[outside].mean() < 1.5
    # Where the head's own label would have landed, scaled into the presenter's box with it.
    head_box = place("presenter", fmt).head
    scale = head_box.width / 512
    landed = Box(
        head_box.x + round(plain_label.box.x * scale),
        head_box.y + round(plain_label.box.y * scale),
        round(plain_label.box.width * scale),
        round(plain_label.box.height * scale),
    )
    assert np.abs(patch(frame, landed) - patch(clean, landed)).mean() < 3
