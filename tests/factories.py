"""Test data shared across areas: render requests and results, media, and presenters with their consent."""

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


def make_document(collection: Any, title: str = "signed consent form") -> Any:
    """A saved Wagtail document in ``collection``: a consent record's evidence (a one-page PDF's bytes)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.documents import get_document_model

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return get_document_model().objects.create(
        title=title, collection=collection, file=SimpleUploadedFile(f"{title}.pdf", pdf)
    )


def make_presenter(
    image: Any, organization_id: int, *, name: str = "", consented: bool = True, kind: str = "person"
) -> Any:
    """``image`` as a presenter of the organization; a person's with consent in force since last month, unless
    ``consented`` is false; a synthetic face's with its licence recorded."""
    from datetime import timedelta

    from django.utils import timezone

    from video_plugin.models import ConsentRecord, Presenter

    presenter = Presenter.objects.create(
        organization_id=organization_id,
        name=name or image.title,
        photo=image,
        kind=kind,
        licence="CC0 1.0, from the shop's own stock library" if kind == "synthetic" else "",
    )
    if consented and kind == "person":
        ConsentRecord.objects.create(
            presenter=presenter,
            consented_by=presenter.name,
            valid_from=timezone.localdate() - timedelta(days=30),
            evidence=make_document(image.collection),
        )
    return presenter
