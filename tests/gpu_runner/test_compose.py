"""Finished videos composed from one rendered head, checked on decoded files: streams, lengths, pixels, text.

One short script (two sentences, about 2.5 s of espeak speech) is rendered once with the ``still`` renderer
and composed into every format; the tests read the files back with PyAV.
"""

from __future__ import annotations

import hashlib
import html
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import gpu_runner.compose.finish as finish
from gpu_runner.compose.finish import FinishedVideos, compose_finished_videos
from gpu_runner.compose.rendition import ComposedRendition
from gpu_runner.encode import encode_mp4, rendition_encoder
from gpu_runner.protocol import FORMATS, Brand, Composition, asset_key, rendition_key, video_key
from gpu_runner.renderers.base import FPS, NullReporter, RenderInput
from gpu_runner.renderers.still import StillRenderer
from gpu_runner.scene import Box, SceneAssets, draw_card, plan_scene
from gpu_runner.storage import LocalStorage
from gpu_runner.tts import SpeechService, VoicedScript

SCRIPT = "Fresh roasted coffee. Order yours today!"
OUTPUT_KEY = video_key(1, 7, "0123456789abcdef")
MAGENTA = (255, 0, 255)
GREEN = (0, 200, 0)


@dataclass
class Made:
    """What the module's one composition made, and what it was made from."""

    finished: FinishedVideos
    composition: Composition
    assets: SceneAssets
    voiced: VoicedScript
    burned: list[str]

    def rendition(self, name: str) -> ComposedRendition:
        return next(r for r in self.finished.renditions if r.format == name)


def put(storage: LocalStorage, kind: str, picture: Image.Image | bytes, extension: str = "png") -> str:
    """File ``picture`` under the organization's ``kind`` prefix as the web side does; its key."""
    if isinstance(picture, Image.Image):
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        picture = buffer.getvalue()
    key = asset_key(1, kind, hashlib.sha256(picture).hexdigest(), extension)
    path = storage.root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(picture)
    return key


def logo() -> Image.Image:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (280, 100), (*MAGENTA, 255)), (10, 10))
    return image


def head_video(folder: Path, presenter: Image.Image, voiced: VoicedScript) -> Path:
    speech = voiced.spoken.speech
    stream = StillRenderer().render(RenderInput(image=presenter, speech=speech), NullReporter())
    return encode_mp4(stream, speech, folder / "video.mp4", folder / "poster.jpg").video_path


def compose(
    folder: Path,
    presenter: Image.Image,
    voiced: VoicedScript,
    composition: Composition,
    storage: LocalStorage,
) -> FinishedVideos:
    return compose_finished_videos(
        composition,
        output_key=OUTPUT_KEY,
        storage=storage,
        presenter=presenter,
        head_video=head_video(folder, presenter, voiced),
        speech=voiced.spoken.speech,
        script=SCRIPT,
        timings=voiced.spoken.timings,
        fps=FPS,
        folder=folder,
        reporter=NullReporter(),
    )


@pytest.fixture(scope="module")
def voiced(speech_service: SpeechService) -> VoicedScript:
    return speech_service.speak(SCRIPT, "espeak:en-us")


@pytest.fixture(scope="module")
def made(
    tmp_path_factory: pytest.TempPathFactory, face_photo: Image.Image, voiced: VoicedScript
) -> Iterator[Made]:
    folder = tmp_path_factory.mktemp("compose")
    storage = LocalStorage(folder / "storage")
    product = Image.new("RGB", (600, 600), GREEN)
    composition = Composition(
        layout="presenter_product",
        formats=tuple(FORMATS),
        burn_captions=True,
        product_name="House blend",
        product_price="€9.50",
        product_image_keys=(put(storage, "products", product),),
        brand=Brand(logo_key=put(storage, "brand", logo())),
    )
    burned: list[str] = []

    def recording(text: str, box: Box, composition: Composition, fmt: object) -> Image.Image:
        burned.append(text)
        return draw_caption(text, box, composition, fmt)

    draw_caption = finish.draw_caption
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(finish, "draw_caption", recording)
        finished = compose(folder, face_photo, voiced, composition, storage)
    assets = SceneAssets(product_images=[product], logo=logo(), presenter=face_photo)
    yield Made(finished, composition, assets, voiced, burned)


def frames_of(path: Path, indices: set[int]) -> dict[int, np.ndarray]:
    """The decoded RGB frames at ``indices`` (converted with the matrix the stream is tagged with)."""
    found = {}
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in indices:
                found[index] = frame.to_ndarray(format="rgb24").astype(int)
    return found


def box_mask(shape: tuple[int, int], *boxes: Box) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for box in boxes:
        mask[box.y : box.y + box.height, box.x : box.x + box.width] = True
    return mask


def top_level_boxes(path: Path) -> list[str]:
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):  # MP4 top-level boxes: 4-byte big-endian size, then 4-byte type
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        offset += int.from_bytes(data[offset : offset + 4], "big")
    return boxes


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_rendition_is_h264_high_yuv420p_with_aac_and_faststart_at_its_size(
    made: Made, name: str
) -> None:
    composed = made.rendition(name)
    fmt = FORMATS[name]
    with av.open(str(composed.video_path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.profile) == ("h264", "High")
        assert video.codec_context.pix_fmt == "yuv420p" and video.average_rate == FPS
        assert (video.codec_context.width, video.codec_context.height) == (fmt.width, fmt.height)
        assert audio.codec_context.name == "aac"
    boxes = top_level_boxes(composed.video_path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    record = composed.record
    assert (record.width, record.height, record.format) == (fmt.width, fmt.height, name)
    assert (
        record.key
        == rendition_key(OUTPUT_KEY, name)
        == f"1/videos/ai-generated/7-0123456789abcdef.{name}.mp4"
    )
    assert record.poster_key == f"1/videos/ai-generated/7-0123456789abcdef.{name}.jpg"
    assert record.sha256 == hashlib.sha256(composed.video_path.read_bytes()).hexdigest()
    assert record.bytes == composed.video_path.stat().st_size
    assert (record.encoder, record.layout, record.captions_burned) == (
        rendition_encoder().codec,
        "presenter_product",
        True,
    )
    with Image.open(composed.poster_path) as poster:
        assert (poster.format, poster.size) == ("JPEG", (fmt.width, fmt.height))


@pytest.mark.parametrize("name", list(FORMATS))
def test_sound_and_picture_last_equally_long_within_one_frame(made: Made, name: str) -> None:
    composed = made.rendition(name)
    speech_s = made.voiced.spoken.speech.duration_s
    with av.open(str(composed.video_path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    with av.open(str(composed.video_path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        # The lengths players go by: each stream's duration in the file (the edit list trims AAC's padding).
        video_s, audio_s = float(video.duration * video.time_base), float(audio.duration * audio.time_base)
        samples = sum(frame.samples for frame in container.decode(audio=0))
        rate = audio.codec_context.sample_rate
    assert frames == composed.frames == math.ceil(speech_s * FPS)
    assert video_s == pytest.approx(frames / FPS) == composed.record.duration_s
    assert abs(audio_s - video_s) <= 1 / FPS
    assert made.finished.sound.duration_s == pytest.approx(frames / FPS, abs=1 / rate)
    # Decoded, the sound is the finished sound padded to whole AAC frames of 1024 samples.
    assert 0 <= samples - len(made.finished.sound.samples) < 1024


def test_the_logo_is_where_the_scene_put_it(made: Made) -> None:
    fmt = FORMATS["landscape"]
    with_logo = plan_scene(made.composition, fmt, made.assets, 2.5).segments[0].background
    without = SceneAssets(made.assets.product_images, None, made.assets.presenter)
    no_logo = plan_scene(made.composition, fmt, without, 2.5).segments[0].background
    drawn = np.asarray(with_logo).astype(int)
    logo_pixels = np.abs(drawn - np.asarray(no_logo).astype(int)).sum(axis=2) > 60
    rows, columns = np.nonzero(logo_pixels)
    assert logo_pixels.sum() > 5000  # the scene drew a logo of some size
    frame = frames_of(made.rendition("landscape").video_path, {10})[10]
    # Inside the logo's opaque middle (away from chroma-subsampled edges) the video shows the logo's magenta.
    inner = (slice(rows.min() + 6, rows.max() - 6), slice(columns.min() + 6, columns.max() - 6))
    assert np.abs(frame[inner] - np.array(MAGENTA)).mean() < 12
    assert np.abs(frame[inner] - drawn[inner]).mean() < 12


def test_the_product_picture_is_visible_in_presenter_and_product(made: Made) -> None:
    for name in FORMATS:
        frame = frames_of(made.rendition(name).video_path, {20})[20]
        green = (np.abs(frame - np.array(GREEN)).sum(axis=2) < 40).sum()
        # The product slot shows most of the 600×600 picture, scaled: far more than a stray pixel or two.
        assert green > 0.05 * frame.shape[0] * frame.shape[1], name


def test_the_head_moves_while_the_static_layers_stay_the_same(made: Made) -> None:
    scene = plan_scene(made.composition, FORMATS["square"], made.assets, 2.5)
    frames = frames_of(made.rendition("square").video_path, {5, 50})
    head = box_mask(frames[5].shape[:2], scene.head_box)
    static = ~box_mask(frames[5].shape[:2], scene.head_box, scene.caption_box)
    change = np.abs(frames[5] - frames[50]).mean(axis=2)
    assert change[head].mean() > 10.0  # the still renderer zooms in by 6 % over the clip
    assert change[static].mean() < 0.5
    background = np.asarray(scene.segments[0].background).astype(int)
    assert np.abs(frames[50] - background).mean(axis=2)[static].mean() < 3.0


def test_the_caption_changes_with_the_spoken_words_and_holds_within_a_cue(made: Made) -> None:
    timings = made.voiced.spoken.timings
    second_sentence = next(t.start_s for t in timings if t.text.startswith("Order"))
    first_cue = [3, round(second_sentence * FPS) - 3]
    second_cue = round(second_sentence * FPS) + 5
    scene = plan_scene(made.composition, FORMATS["landscape"], made.assets, 2.5)
    frames = frames_of(made.rendition("landscape").video_path, {*first_cue, second_cue})
    shape = frames[3].shape[:2]
    caption_only = box_mask(shape, scene.caption_box) & ~box_mask(shape, scene.head_box)
    within = np.abs(frames[first_cue[0]] - frames[first_cue[1]]).mean(axis=2)[caption_only].mean()
    across = np.abs(frames[first_cue[1]] - frames[second_cue]).mean(axis=2)[caption_only].mean()
    assert within < 0.5
    assert across > 5.0


def test_the_burned_captions_are_the_webvtt_cues(made: Made) -> None:
    vtt = made.finished.captions_path.read_text(encoding="utf-8")
    cue_texts = [" ".join(block.split("\n")[1:]) for block in vtt.strip().split("\n\n")[1:]]
    assert [html.unescape(text) for text in cue_texts] == ["Fresh roasted coffee.", "Order yours today!"]
    # Each format burns each cue in once, in order.
    assert made.burned == cue_texts * len(FORMATS)


def test_the_finished_sound_is_shared_and_reported(made: Made) -> None:
    assert made.finished.sound.as_result() == {
        "target_lufs": -16.0,
        "integrated_lufs": pytest.approx(-16.0, abs=1.0),
        "music": False,
    }
    assert made.finished.notes == []
    assert set(made.finished.timings) == {"compose.landscape", "compose.square", "compose.vertical"}
    for composed in made.finished.renditions:
        assert made.finished.timings[f"compose.{composed.format}"] == composed.seconds > 0.0


def test_intro_and_outro_cards_frame_the_presenter_and_the_captions_follow_the_intro(
    tmp_path: Path, face_photo: Image.Image, voiced: VoicedScript
) -> None:
    storage = LocalStorage(tmp_path / "storage")
    composition = Composition(
        layout="presenter", formats=("square",), burn_captions=True, brand=Brand(intro_s=1.0, outro_s=0.6)
    )
    finished = compose(tmp_path, face_photo, voiced, composition, storage)
    composed = finished.renditions[0]
    head = math.ceil(voiced.spoken.speech.duration_s * FPS)
    assert composed.frames == FPS + head + 15
    vtt = finished.captions_path.read_text(encoding="utf-8")
    assert vtt.split("\n\n")[1].startswith("00:00:01.000 --> ")
    last = composed.frames - 1
    frames = frames_of(composed.video_path, {0, FPS - 1, FPS + 3, FPS + head - 1, FPS + head, last})
    assert np.abs(frames[0] - frames[FPS - 1]).mean() < 0.5  # the intro card holds still
    assert np.abs(frames[FPS - 1] - frames[FPS + 3]).mean() > 10  # then the presenter's scene
    assert np.abs(frames[FPS + head - 1] - frames[FPS + head]).mean() > 10  # then the outro card
    assert np.abs(frames[FPS + head] - frames[last]).mean() < 0.5
    assets = SceneAssets(presenter=face_photo)
    for index, kind in ((0, "intro"), (last, "outro")):
        card = np.asarray(draw_card(composition, FORMATS["square"], assets, kind)).astype(int)
        assert np.abs(frames[index] - card).mean() < 2.0, kind


def test_without_a_product_picture_the_presenter_layout_is_used_and_said(
    tmp_path: Path, face_photo: Image.Image, voiced: VoicedScript
) -> None:
    storage = LocalStorage(tmp_path / "storage")
    missing = asset_key(1, "products", "f" * 64, "jpg")
    composition = Composition(layout="presenter_product", formats=("square",), product_image_keys=(missing,))
    finished = compose(tmp_path, face_photo, voiced, composition, storage)
    assert finished.renditions[0].record.layout == "presenter"
    assert finished.notes == [
        "product picture 1 of 1 is no longer in storage; the video shows the others",
        "the page has no product picture: the 'Presenter' layout was used instead of 'Presenter and product'",
    ]
