"""The scene of a finished video, checked on its pixels: where the logo, the product picture, the text go."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gpu_runner.protocol import FORMATS, LAYOUTS, Brand, Composition, VideoFormat
from gpu_runner.scene import (
    SOCIAL_SAFE_MARGINS,
    Box,
    SceneAssets,
    draw_caption,
    draw_card,
    fit_head,
    place,
    plan_scene,
    preview_image,
    set_caption,
)

REPO = Path(__file__).resolve().parents[2]
RED = (230, 20, 30)
GREEN, BLUE, YELLOW = (20, 190, 40), (30, 60, 220), (240, 210, 20)
PRESENTER = (190, 140, 120)
FORMAT_IDS = list(FORMATS)
LONG_NAME = ("Handmade stoneware coffee mug with a reactive ocean glaze " * 4)[:200]


def fmt_of(name: str) -> VideoFormat:
    return FORMATS[name]


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (600, 600), mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, colour if mode == "RGB" else (*colour, 255))


def logo() -> Image.Image:
    """A red logo on a transparent margin: only its opaque middle must show."""
    image = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    image.paste(solid(RED, (360, 160), "RGBA"), (20, 20))
    return image


def assets(*colours: tuple[int, int, int], with_logo: bool = True) -> SceneAssets:
    return SceneAssets(
        product_images=[solid(colour) for colour in colours],
        logo=logo() if with_logo else None,
        presenter=solid(PRESENTER, (512, 512)),
    )


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB")).astype(int)


def mask_of(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> np.ndarray:
    return np.abs(pixels(image) - np.array(colour)).max(axis=2) <= tolerance


def bbox(mask: np.ndarray) -> Box | None:
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return None
    return Box(int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))


def changed(first: Image.Image, second: Image.Image) -> Box | None:
    """Where two images differ."""
    return bbox(np.abs(pixels(first) - pixels(second)).max(axis=2) > 0)


# --- geometry -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_every_box_is_even_inside_the_frame_and_the_logo_never_sits_under_the_presenter(
    layout: str, format_name: str
) -> None:
    fmt = fmt_of(format_name)
    frame = Box(0, 0, fmt.width, fmt.height)
    placement = place(layout, fmt)
    boxes = [placement.head, placement.logo, placement.caption, placement.title, placement.product]
    for box in filter(None, boxes):
        assert frame.contains(box), (box, frame)
        assert all(value % 2 == 0 for value in (box.x, box.y, box.width, box.height)), box
    head, logo_box = placement.head, placement.logo
    overlap_x = min(head.right, logo_box.right) - max(head.x, logo_box.x)
    overlap_y = min(head.bottom, logo_box.bottom) - max(head.y, logo_box.y)
    assert overlap_x <= 0 or overlap_y <= 0, "the presenter's video would cover the logo"
    if placement.product is not None:
        product = placement.product
        assert min(head.right, product.right) <= max(head.x, product.x) or min(
            head.bottom, product.bottom
        ) <= max(head.y, product.y), "presenter and product picture overlap"


# --- logo, product picture, segments ------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_the_logo_is_drawn_inside_the_box_its_layout_gives_it(layout: str, format_name: str) -> None:
    fmt = fmt_of(format_name)
    scene = plan_scene(Composition(layout=layout), fmt, assets(GREEN), speech_s=10.0)
    red = bbox(mask_of(scene.segments[0].background, RED))
    expected = place(layout, fmt).logo
    assert red is not None, "no logo pixels"
    assert expected.contains(red), (red, expected)
    # Its transparent margin trimmed, fitted keeping its shape (9:4), as large as the box allows.
    assert red.width / red.height == pytest.approx(360 / 160, rel=0.03)
    assert red.width >= expected.width - 2 or red.height >= expected.height - 2


@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_presenter_and_product_shows_the_product_picture_in_its_box(format_name: str) -> None:
    fmt = fmt_of(format_name)
    scene = plan_scene(Composition(layout="presenter_product"), fmt, assets(GREEN), speech_s=10.0)
    product = place("presenter_product", fmt).product
    assert scene.layout == "presenter_product" and not scene.notes
    image = pixels(scene.segments[0].background)
    centre = image[product.y + product.height // 2, product.x + product.width // 2]
    assert tuple(centre) == GREEN
    # The picture is shown whole: a square picture fills the card's shorter side, less the card's margin.
    green = bbox(mask_of(scene.segments[0].background, GREEN, tolerance=0))
    assert product.contains(green)
    assert max(green.width, green.height) >= min(product.width, product.height) * 0.85


def test_product_pictures_take_turns_while_the_presenter_speaks() -> None:
    fmt = fmt_of("landscape")
    product = place("presenter_product", fmt).product
    scene = plan_scene(
        Composition(layout="presenter_product"), fmt, assets(GREEN, BLUE, YELLOW), speech_s=30.0
    )
    assert [segment.start_s for segment in scene.segments] == [0.0, 10.0, 20.0]
    centres = [
        tuple(pixels(segment.background)[product.y + product.height // 2, product.x + product.width // 2])
        for segment in scene.segments
    ]
    assert centres == [GREEN, BLUE, YELLOW]
    # Everything but the product card is the same drawing in every segment.
    first, second = scene.segments[0].background, scene.segments[1].background
    assert product.contains(changed(first, second))


def test_a_short_speech_shows_each_picture_at_least_three_seconds() -> None:
    scene = plan_scene(
        Composition(layout="presenter_product"), fmt_of("square"), assets(GREEN, BLUE, YELLOW), speech_s=7.0
    )
    assert [segment.start_s for segment in scene.segments] == [0.0, 3.5]


@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_presenter_and_product_without_a_picture_falls_back_to_presenter_and_says_so(
    format_name: str,
) -> None:
    fmt = fmt_of(format_name)
    scene = plan_scene(Composition(layout="presenter_product"), fmt, assets(), speech_s=10.0)
    assert scene.layout == "presenter"
    assert scene.head_box == place("presenter", fmt).head
    assert len(scene.segments) == 1 and scene.segments[0].start_s == 0.0
    assert scene.notes == [
        "the page has no product picture: the 'Presenter' layout was used instead of 'Presenter and product'"
    ]


def test_the_presenter_layout_draws_one_segment_on_the_brand_background() -> None:
    brand = Brand(primary_colour="#204080", secondary_colour="#ffcc00")
    scene = plan_scene(Composition(layout="presenter", brand=brand), fmt_of("landscape"), assets(GREEN), 30.0)
    assert len(scene.segments) == 1 and scene.caption_box is None
    image = pixels(scene.segments[0].background)
    # The top of the background is the primary colour; the presenter is framed in the secondary one.
    assert np.abs(image[60, scene.head_box.x - 100] - (0x20, 0x40, 0x80)).max() <= 3
    assert tuple(image[scene.head_box.y - 2, scene.head_box.x + 50]) == (0xFF, 0xCC, 0x00)
    assert not mask_of(scene.segments[0].background, GREEN).any()


# --- lower third and long names -----------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_a_200_character_product_name_stays_in_the_lower_third_and_is_shortened_with_a_note(
    format_name: str,
) -> None:
    fmt = fmt_of(format_name)
    named = Composition(layout="presenter_product", product_name=LONG_NAME, product_price="€1,299.00")
    bare = Composition(layout="presenter_product")
    with_name = plan_scene(named, fmt, assets(GREEN, with_logo=False), 10.0)
    without = plan_scene(bare, fmt, assets(GREEN, with_logo=False), 10.0)
    title = place("presenter_product", fmt).title
    ink = changed(with_name.segments[0].background, without.segments[0].background)
    assert ink is not None and title.contains(ink), (ink, title)
    # Two lines and a price: the text used the box's height, not one squeezed line.
    assert ink.height > title.height * 0.6
    assert "the product name was shortened to fit the lower third" in with_name.notes


def test_a_name_that_fits_is_neither_shortened_nor_noted() -> None:
    composition = Composition(layout="presenter_product", product_name="Ocean mug", product_price="€24")
    scene = plan_scene(composition, fmt_of("landscape"), assets(GREEN), 10.0)
    assert scene.notes == []


def test_a_name_in_a_script_the_brand_font_lacks_is_drawn_by_a_fallback_font_and_noted() -> None:
    composition = Composition(
        layout="presenter_product", product_name="كوب القهوة", brand=Brand(font="noto-serif")
    )
    scene = plan_scene(composition, fmt_of("landscape"), assets(GREEN), 10.0)
    assert scene.notes == [
        "Noto Serif cannot draw 'كوب…' in the product name: Noto Sans Arabic was used for it"
    ]


# --- social and its safe area -------------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_social_keeps_text_logo_and_captions_inside_the_safe_area(format_name: str) -> None:
    fmt = fmt_of(format_name)
    safe = SOCIAL_SAFE_MARGINS.area(fmt.width, fmt.height)
    # Top 14 %, bottom 20 %, right 12 %, left 6 % of the frame kept clear.
    assert safe.x >= fmt.width * 0.06 and safe.y >= fmt.height * 0.14
    assert fmt.width - safe.right >= fmt.width * 0.12 and fmt.height - safe.bottom >= fmt.height * 0.2
    assert safe.width > fmt.width * 0.8 - 4 and safe.height > fmt.height * 0.66 - 4
    dressed = Composition(
        layout="social", burn_captions=True, product_name=LONG_NAME, product_price="€1,299.00"
    )
    plain = Composition(layout="social", burn_captions=False)
    with_text = plan_scene(dressed, fmt, assets(GREEN), 10.0)
    bare = plan_scene(plain, fmt, assets(GREEN, with_logo=False), 10.0)
    ink = changed(with_text.segments[0].background, bare.segments[0].background)
    assert ink is not None and safe.contains(ink), (ink, safe)
    assert with_text.caption_box is not None and safe.contains(with_text.caption_box)
    # The burned caption's own ink stays in its box, so in the safe area too.
    caption = draw_caption(
        "A caption long enough to need two lines in the frame", with_text.caption_box, dressed, fmt
    )
    assert caption.getbbox() is not None
    assert bare.caption_box is None


def test_social_without_a_product_picture_shows_the_presenter_alone_and_says_so() -> None:
    fmt = fmt_of("vertical")
    scene = plan_scene(Composition(layout="social"), fmt, assets(), 10.0)
    assert scene.layout == "social"
    assert scene.notes == ["the page has no product picture: the social layout shows the presenter alone"]
    assert scene.head_box.width > place("social", fmt).head.width


# --- captions -----------------------------------------------------------------------------------------------

CAPTION_BOX = Box(0, 0, 1200, 180)


def test_a_caption_draws_different_pixels_for_different_words_and_stays_inside_its_box() -> None:
    composition, fmt = Composition(layout="presenter", burn_captions=True), fmt_of("landscape")
    first = draw_caption("Fresh coffee every morning", CAPTION_BOX, composition, fmt)
    second = draw_caption("Order before noon today", CAPTION_BOX, composition, fmt)
    assert first.mode == "RGBA" and first.size == CAPTION_BOX.size
    region = changed(first, second)
    assert region is not None and region.width > 200
    for image in (first, second):
        left, top, right, bottom = image.getchannel("A").getbbox()
        assert left > 0 and top > 0 and right < CAPTION_BOX.width and bottom < CAPTION_BOX.height
    # White letters with a dark outline on a translucent plate: readable over white and over black.
    letters = pixels(first)[np.asarray(first.getchannel("A")) == 255]
    assert (letters.min(axis=1) > 240).any() and (letters.max(axis=1) < 30).any()


def test_a_caption_far_too_long_for_its_box_is_shrunk_then_ellipsized_never_overflowing() -> None:
    composition, fmt = Composition(layout="presenter", burn_captions=True), fmt_of("landscape")
    caption = draw_caption("word " * 200, CAPTION_BOX, composition, fmt)
    left, top, right, bottom = caption.getchannel("A").getbbox()
    assert left > 0 and top > 0 and right < CAPTION_BOX.width and bottom < CAPTION_BOX.height
    assert draw_caption("   ", CAPTION_BOX, composition, fmt).getbbox() is None


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_every_caption_box_holds_a_full_two_line_cue_uncut_in_readable_type(
    layout: str, format_name: str
) -> None:
    # WebVTT cues are at most two lines of 42 characters (gpu_runner.captions): burned in, not one word may go
    # missing, or the video would say less than its captions file.
    fmt = fmt_of(format_name)
    composition = Composition(layout=layout, burn_captions=True)
    box = place(layout, fmt).caption
    for cue in (
        "Our handmade mugs are glazed by hand and fired twice, so each one is a little different",
        "Каждая кружка покрыта глазурью вручную и обожжена дважды, поэтому все они разные.",
        "HANDGEFERTIGTE KAFFEEBECHER, GLASIERT UND ZWEIMAL GEBRANNT: JEDER IST EIN UNIKAT.",
    ):
        fitted = set_caption(cue, box, composition, fmt)
        assert not fitted.shortened and " ".join(fitted.lines).replace(" ", "") == cue.replace(" ", "")
        assert fitted.size >= 0.035 * min(fmt.width, fmt.height), fitted


def test_chinese_captions_break_between_characters() -> None:
    from gpu_runner.scene.fonts import font_chain
    from gpu_runner.scene.text import measure, wrap

    chain = font_chain("noto-sans")
    text = "这是一个很长的中文字幕用来测试在字符之间换行的能力没有空格，也不会溢出。"
    lines = wrap(text, chain, 48, 500)
    assert len(lines) >= 3 and "".join(lines) == text
    assert all(measure(line, chain, 48) <= 500 for line in lines)
    # Closing punctuation never starts a line.
    assert not any(line[0] in "，。" for line in lines)


# --- scripts ------------------------------------------------------------------------------------------------

# A private-use character: no bundled font has a glyph for it, so it draws the font's .notdef box.
NO_GLYPH = "\ue0ff"
SCRIPTS = {
    "latin": "Ag",
    "cyrillic": "Жд",
    "greek": "Ωλ",
    "chinese": "中字",
    "japanese": "かな",
    "korean": "한글",
    "arabic": "ضع",
    "hebrew": "של",
}


def glyph(character: str, face, size: int = 64) -> np.ndarray:  # noqa: ANN001
    from PIL import ImageDraw

    image = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(image).text((20, 120), character, font=face.font(size), fill=255, anchor="ls")
    return np.asarray(image)


@pytest.mark.parametrize("family", ["noto-sans", "noto-serif"])
@pytest.mark.parametrize("script", list(SCRIPTS))
def test_every_script_is_drawn_with_real_glyphs_not_boxes(family: str, script: str) -> None:
    from gpu_runner.scene.fonts import font_chain
    from gpu_runner.scene.text import missing_characters, split_runs

    chain = font_chain(family, bold=True)
    assert missing_characters(SCRIPTS[script], chain) == []
    assert missing_characters(NO_GLYPH, chain) == [NO_GLYPH]
    for run in split_runs(SCRIPTS[script], chain):
        for character in run.text:
            drawn, box = glyph(character, run.face), glyph(NO_GLYPH, run.face)
            assert drawn.any(), f"{character!r} drew nothing"
            assert (drawn != box).mean() > 0.01, f"{character!r} drew the .notdef box of {run.face.name}"


def top_ink_x(image: Image.Image) -> float:
    """The mean x of the topmost row of ink: where the tallest letter stands."""
    alpha = np.asarray(image.getchannel("A")) > 128
    rows = np.nonzero(alpha.any(axis=1))[0]
    return float(np.nonzero(alpha[rows[0]])[0].mean())


@pytest.mark.parametrize(
    ("text", "rtl"),
    [
        # Lamed rises above every other Hebrew letter, alef-lam above the Arabic beh and seen.
        ("ל ממממממ", True),
        ("لا ببببب سسس", True),
        ("l mmmmmmm", False),
    ],
)
def test_right_to_left_text_starts_at_the_right(text: str, rtl: bool) -> None:
    from PIL import ImageDraw

    from gpu_runner.scene.fonts import font_chain
    from gpu_runner.scene.text import draw_line, measure

    chain = font_chain("noto-sans")
    image = Image.new("RGBA", (800, 140), (0, 0, 0, 0))
    width = measure(text, chain, 64)
    draw_line(ImageDraw.Draw(image), 20, 10, text, chain, 64, (255, 255, 255, 255))
    middle = 20 + width / 2
    # The first logical character is the tallest: right of the middle when the text reads from the right.
    assert (top_ink_x(image) > middle) is rtl


# --- cards, presenter, preview ------------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", FORMAT_IDS)
def test_intro_and_outro_cards_show_the_logo_centred_and_the_outro_adds_the_price(format_name: str) -> None:
    fmt = fmt_of(format_name)
    composition = Composition(layout="presenter", product_name="Ocean mug", product_price="€24.00")
    intro = draw_card(composition, fmt, assets(), "intro")
    outro = draw_card(composition, fmt, assets(), "outro")
    assert intro.mode == "RGB" and intro.size == (fmt.width, fmt.height)
    red = bbox(mask_of(intro, RED))
    assert red is not None and abs(red.x + red.width / 2 - fmt.width / 2) <= 2
    difference = changed(intro, outro)
    assert difference is not None and difference.y > red.bottom
    with pytest.raises(ValueError, match="intro, outro"):
        draw_card(composition, fmt, assets(), "credits")


def test_fit_head_cover_crops_the_presenter_into_any_box() -> None:
    presenter = Image.new("RGB", (512, 512), PRESENTER)
    presenter.paste((0, 0, 0), (0, 0, 80, 512))  # a dark strip on the left, cropped away in a tall box
    fitted = fit_head(presenter, Box(0, 0, 300, 600))
    assert fitted.size == (300, 600)
    assert tuple(pixels(fitted)[300, 0]) == PRESENTER and tuple(pixels(fitted)[0, 150]) == PRESENTER


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_preview_of_a_vertical_frame_shows_presenter_and_caption_within_a_second(layout: str) -> None:
    fmt = fmt_of("vertical")
    composition = Composition(
        layout=layout, burn_captions=True, product_name="Ocean mug, 350 ml", product_price="€24.00"
    )
    preview_image(composition, fmt, assets(GREEN))  # fonts loaded once per process
    started = time.perf_counter()
    image = preview_image(composition, fmt, assets(GREEN), sample_caption="Fresh coffee every morning")
    assert time.perf_counter() - started < 1.5
    scene = plan_scene(composition, fmt, assets(GREEN), 3.0)
    assert image.mode == "RGB" and image.size == (1080, 1920)
    head = scene.head_box
    assert tuple(pixels(image)[head.y + 10, head.x + head.width // 2]) == PRESENTER
    # The caption is laid over the frame where captions go, and nowhere else.
    without = preview_image(
        Composition(**{**composition.__dict__, "burn_captions": False}), fmt, assets(GREEN)
    )
    caption_ink = changed(image, without)
    assert caption_ink is not None and scene.caption_box.contains(caption_ink)


def test_the_preview_without_a_presenter_photo_shows_a_silhouette() -> None:
    fmt = fmt_of("square")
    image = preview_image(Composition(layout="presenter"), fmt, SceneAssets())
    head = place("presenter", fmt).head
    inside = pixels(image)[head.y : head.bottom, head.x : head.right]
    assert len({tuple(p) for p in inside[::40, ::40].reshape(-1, 3)}) >= 2


def test_the_scene_imports_neither_numpy_nor_a_video_library() -> None:
    # A web host draws previews with Pillow alone.
    script = "import json, sys, gpu_runner.scene; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    modules = set(json.loads(completed.stdout.splitlines()[-1]))
    assert not modules & {"numpy", "av", "torch", "django", "cv2"}
    assert {name for name in modules if name.startswith("gpu_runner.")} <= {
        "gpu_runner.protocol",
        "gpu_runner.scene",
        "gpu_runner.scene.captions",
        "gpu_runner.scene.fonts",
        "gpu_runner.scene.geometry",
        "gpu_runner.scene.layers",
        "gpu_runner.scene.plan",
        "gpu_runner.scene.text",
    }


def test_without_libraqm_right_to_left_text_still_reads_from_the_right_inside_its_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PIL import ImageDraw, ImageFont

    from gpu_runner.scene import fonts, text
    from gpu_runner.scene.fonts import font_chain
    from gpu_runner.scene.text import draw_line, measure

    monkeypatch.setattr(text, "HAS_RAQM", False)
    monkeypatch.setattr(fonts, "LAYOUT_ENGINE", ImageFont.Layout.BASIC)
    fonts._truetype.cache_clear()
    try:
        chain = font_chain("noto-sans")
        assert chain[1].font(64).layout_engine == ImageFont.Layout.BASIC
        image = Image.new("RGBA", (800, 140), (0, 0, 0, 0))
        draw_line(ImageDraw.Draw(image), 20, 10, "ל ממממממ", chain, 64, (255, 255, 255, 255))
        assert top_ink_x(image) > 20 + measure("ל ממממממ", chain, 64) / 2
        composition = Composition(layout="presenter", burn_captions=True)
        caption = draw_caption("مرحبا بكم في متجرنا " * 8, CAPTION_BOX, composition, fmt_of("landscape"))
        left, top, right, bottom = caption.getchannel("A").getbbox()
        assert left > 0 and top > 0 and right < CAPTION_BOX.width and bottom < CAPTION_BOX.height
    finally:
        fonts._truetype.cache_clear()


def test_a_shop_sized_product_photo_and_a_16_megapixel_logo_are_shrunk_into_their_boxes() -> None:
    fmt = fmt_of("vertical")
    photo = Image.new("RGB", (4000, 3000), BLUE)
    big_logo = Image.new("P", (4000, 4000), 0)
    big_logo.putpalette([*RED, 0, 0, 0])
    scene = plan_scene(
        Composition(layout="social"), fmt, SceneAssets(product_images=[photo], logo=big_logo), 10.0
    )
    placement = place("social", fmt)
    image = scene.segments[0].background
    product = placement.product
    assert tuple(pixels(image)[product.y + product.height // 2, product.x + product.width // 2]) == BLUE
    blue = bbox(mask_of(image, BLUE, tolerance=0))
    assert product.contains(blue) and blue.width / blue.height == pytest.approx(4 / 3, rel=0.02)
    red = bbox(mask_of(image, RED))
    assert placement.logo.contains(red) and red.width == red.height
