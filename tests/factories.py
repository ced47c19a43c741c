"""Test data shared across areas: what a runner reports for a finished render."""

from __future__ import annotations

from typing import Any

from gpu_runner.protocol import RenderRequest, RenderResult, poster_key, video_key


def render_request(**changes: Any) -> RenderRequest:
    """A valid still render request for organization 7's page 3, its image at ``7/images/presenter.jpg``."""
    fields: dict[str, Any] = {
        "job_id": "job-1",
        "organization_id": 7,
        "page_id": 3,
        "image_key": "7/images/presenter.jpg",
        "script": "Hello.",
        "voice": "espeak:en-us",
        "renderer": "still",
        "output_key": video_key(7, 3, "a" * 16),
    }
    fields.update(changes)
    return RenderRequest(**fields)


def still_render_result(key: str, **overrides: Any) -> RenderResult:
    """A runner's result for a still render stored at ``key``; ``overrides`` set what a test cares about."""
    fields: dict[str, Any] = {
        "key": key,
        "poster_key": poster_key(key),
        "captions_key": None,
        "duration_s": 2.0,
        "width": 64,
        "height": 64,
        "bytes": 1,
        "sha256": "0" * 64,
        "timings": {},
        "voice_engine": "espeak",
        "voice": "espeak:en-us",
        "renderer": "still",
        "weights": "none",
    }
    fields.update(overrides)
    return RenderResult(**fields)


def make_media(collection: Any, title: str, *tags: str) -> Any:
    """A saved wagtailmedia video in ``collection`` with ``tags`` (a few placeholder bytes as its file)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtailmedia.models import get_media_model

    media = get_media_model().objects.create(
        title=title,
        type="video",
        collection=collection,
        file=SimpleUploadedFile(f"{title}.mp4", b"\x00" * 16),
        duration=1.0,
    )
    media.tags.add(*tags)
    return media
