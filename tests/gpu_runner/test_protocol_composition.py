"""The finished-video part of the contract: compositions validate and round-trip, renditions stay beside."""

from __future__ import annotations

import dataclasses

import pytest

from gpu_runner.protocol import (
    FORMATS,
    LAYOUTS,
    LOUDNESS_TARGETS,
    MAX_PRODUCT_IMAGES,
    Brand,
    Composition,
    ProtocolError,
    RenderRequest,
    RenderResult,
    Rendition,
    VideoEvent,
    asset_key,
    poster_key,
    presenter_key,
    rendition_key,
    video_key,
)

ORG = 12
KEY = video_key(ORG, 34, "abcdefghij012345")
PRODUCT = asset_key(ORG, "products", "a" * 64, "jpg")
LOGO = asset_key(ORG, "brand", "b" * 64, "png")


def composition(**changes: object) -> dict:
    return {
        "layout": "presenter_product",
        "formats": ["vertical", "landscape"],
        "product_name": "Enamel mug",
        "product_price": "€12.00",
        "product_image_keys": [PRODUCT],
        "brand": {"primary_colour": "#AA3300", "logo_key": LOGO, "intro_s": 1.5, "version": "v7"},
        **changes,
    }


def request(**changes: object) -> RenderRequest:
    return RenderRequest(
        job_id="job-1",
        organization_id=ORG,
        page_id=34,
        image_key=presenter_key(ORG, "c" * 64, "jpg"),
        script="Hello.",
        voice="espeak:en-us",
        renderer="still",
        output_key=KEY,
        **changes,
    )


def test_a_composition_round_trips_through_a_request() -> None:
    parsed = Composition.from_dict(composition(), ORG)
    sent = request(composition=parsed)
    assert RenderRequest.from_dict(sent.to_dict()) == sent
    # Formats come back in the contract's order, whatever order they were asked in; colours lower-cased.
    assert parsed.formats == ("landscape", "vertical")
    assert parsed.brand == Brand(primary_colour="#aa3300", logo_key=LOGO, intro_s=1.5, version="v7")


def test_a_request_without_a_composition_still_means_the_talking_head_alone() -> None:
    data = request().to_dict()
    assert data["composition"] is None
    del data["composition"]  # a message from before compositions existed
    assert RenderRequest.from_dict(data).composition is None


@pytest.mark.parametrize(
    ("layout", "formats", "burned", "loudness"),
    [
        ("presenter", ("landscape",), False, -16.0),
        ("presenter_product", ("landscape",), False, -16.0),
        ("social", ("vertical",), True, -14.0),
    ],
)
def test_each_layout_has_its_defaults(layout: str, formats: tuple, burned: bool, loudness: float) -> None:
    parsed = Composition.from_dict({"layout": layout}, ORG)
    assert (parsed.formats, parsed.burn_captions, parsed.loudness_target) == (formats, burned, loudness)
    assert LOUDNESS_TARGETS[layout] == loudness


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"layout": "carousel"}, "valid layouts: " + ", ".join(LAYOUTS)),
        ({"formats": ["4k"]}, "valid formats: " + ", ".join(FORMATS)),
        ({"formats": "landscape"}, "non-empty list"),
        ({"burn_captions": "yes"}, "true or false"),
        ({"product_name": "x" * 201}, "at most|limited to 200"),
        ({"product_image_keys": [PRODUCT] * (MAX_PRODUCT_IMAGES + 1)}, "at most"),
        ({"product_image_keys": [asset_key(ORG + 1, "products", "a" * 64, "jpg")]}, "organization 12"),
        ({"product_image_keys": ["original_images/x.jpg"]}, "filed copies"),
        ({"brand": {"primary_colour": "red"}}, "#rrggbb"),
        ({"brand": {"font": "comic-sans"}}, "valid fonts: noto-sans, noto-serif"),
        ({"brand": {"intro_s": 60}}, "from 0 to 10"),
        ({"brand": {"music_key": "13/brand/" + "d" * 64 + ".mp3"}}, "organization 12"),
        ({"loudness_lufs": 0}, "from -30 to -9"),
    ],
)
def test_bad_compositions_are_refused_with_what_is_valid(changes: dict, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        Composition.from_dict(composition(**changes), ORG)


def test_asset_keys_are_built_from_the_organization_and_a_digest_only() -> None:
    assert PRODUCT == f"12/products/{'a' * 64}.jpg"
    assert presenter_key(ORG, "c" * 64, ".JPG") == f"12/presenters/{'c' * 64}.jpg"
    for kind, digest, extension in (
        ("uploads", "a" * 64, "jpg"),
        ("brand", "../x", "png"),
        ("brand", "a" * 64, ""),
    ):
        with pytest.raises(ProtocolError):
            asset_key(ORG, kind, digest, extension)


def test_renditions_sit_beside_the_main_video() -> None:
    assert rendition_key(KEY, "vertical") == "12/videos/ai-generated/34-abcdefghij012345.vertical.mp4"
    assert poster_key(rendition_key(KEY, "square")).endswith("34-abcdefghij012345.square.jpg")
    with pytest.raises(ProtocolError):
        rendition_key(KEY, "4k")


def rendition(**changes: object) -> dict:
    key = rendition_key(KEY, "vertical")
    return (
        dataclasses.asdict(
            Rendition(
                format="vertical",
                key=key,
                poster_key=poster_key(key),
                width=1080,
                height=1920,
                duration_s=3.04,
                bytes=1000,
                sha256="0" * 64,
                layout="social",
                captions_burned=True,
                encoder="libx264",
            )
        )
        | changes
    )


def succeeded(renditions: list[dict]) -> dict:
    result = RenderResult(
        key=KEY,
        poster_key=poster_key(KEY),
        captions_key=None,
        duration_s=3.0,
        width=512,
        height=512,
        bytes=1000,
        sha256="0" * 64,
        timings={"compose": 1.0},
        voice_engine="espeak",
        voice="espeak:en-us",
        renderer="still",
        weights="none",
        renditions=renditions,
        audio={"target_lufs": -14.0, "integrated_lufs": -14.2, "music": True},
    )
    return VideoEvent(job_id="j", attempt=1, type="succeeded", result=result).to_dict()


def test_an_event_carries_its_renditions() -> None:
    event = VideoEvent.from_dict(succeeded([rendition()]))
    assert Rendition.from_dict(event.result.renditions[0]).width == 1080
    assert event.result.audio["integrated_lufs"] == -14.2


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"key": rendition_key(video_key(13, 34, "abcdefghij012345"), "vertical")}, "not beside its main"),
        ({"poster_key": "12/elsewhere.jpg"}, "not beside its main"),
        ({"format": "4k"}, "unknown format"),
        ({"surprise": 1}, "malformed rendition"),
    ],
)
def test_a_rendition_elsewhere_or_malformed_is_refused(changes: dict, words: str) -> None:
    with pytest.raises(ProtocolError, match=words):
        VideoEvent.from_dict(succeeded([rendition(**changes)]))
