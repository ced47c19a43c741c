"""Where a finished video, its poster, its captions and its renditions are: one answer for the editor, the
site and the API.

URLs that leave the site (API answers, webhook payloads) are made absolute, since they are read on other
origins.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.files.storage import Storage
from django.http import HttpRequest

from gpu_runner.protocol import FORMATS, captions_key
from video_plugin.models import VideoJob


@dataclass(frozen=True)
class RenditionPlayback:
    """One finished format of a video (``gpu_runner.protocol.Rendition``) with its URLs."""

    format: str
    label: str
    width: int
    height: int
    url: str
    poster_url: str
    # Its own WebVTT, beside it: the cues of the main video's, later by the intro card's length.
    captions_url: str
    captions_burned: bool
    encoder: str
    duration_s: float
    bytes: int


@dataclass(frozen=True)
class Playback:
    """A playable video: its URLs (poster and captions may be missing), size and length, and its renditions
    in :data:`~gpu_runner.protocol.FORMATS` order (none for a talking head alone)."""

    video_url: str
    poster_url: str | None
    captions_url: str | None
    duration_s: float | None
    width: int | None
    height: int | None
    title: str
    renditions: list[RenditionPlayback] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def playback_for(job: VideoJob | None) -> Playback | None:
    """The job's video, or ``None`` for a job with no Media attached (not finished, or its Media deleted)."""
    if job is None or job.media is None:
        return None
    media = job.media
    storage = media.file.storage
    # The job records the WebVTT the runner wrote beside the MP4; the Media row has no field for it.
    captions = storage.url(job.captions_key) if job.captions_key else None
    return Playback(
        video_url=media.url,
        poster_url=media.thumbnail.url if media.thumbnail else None,
        captions_url=captions,
        duration_s=media.duration,
        width=media.width,
        height=media.height,
        title=media.title,
        renditions=renditions_of(job, storage),
    )


def renditions_of(job: VideoJob, storage: Storage) -> list[RenditionPlayback]:
    """The job's renditions with URLs from ``storage`` (where its Media lives): no query of their own.

    Each was checked against the contract when the runner reported it; a format this version no longer
    knows is skipped rather than shown without a label.
    """
    order = list(FORMATS)
    known = [r for r in job.renditions or [] if isinstance(r, dict) and r.get("format") in FORMATS]
    return [
        RenditionPlayback(
            format=r["format"],
            label=FORMATS[r["format"]].label,
            width=int(r["width"]),
            height=int(r["height"]),
            url=storage.url(r["key"]),
            poster_url=storage.url(r["poster_key"]),
            captions_url=storage.url(captions_key(r["key"])),
            captions_burned=bool(r.get("captions_burned")),
            encoder=str(r.get("encoder", "")),
            duration_s=float(r["duration_s"]),
            bytes=int(r["bytes"]),
        )
        for r in sorted(known, key=lambda r: order.index(r["format"]))
    ]


def absolute_url(url: str, request: HttpRequest | None) -> str:
    """``url`` made absolute: by the request's host, or by ``WAGTAILADMIN_BASE_URL`` outside a request.

    Local-folder storage gives paths (``/media/…``); S3/R2 URLs are absolute already and pass unchanged.
    """
    if not url.startswith("/"):
        return url
    if request is not None:
        return request.build_absolute_uri(url)
    return urljoin(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://localhost", url)


def playback_urls(playback: Playback, request: HttpRequest | None) -> dict[str, Any]:
    """The video's, poster's and captions' absolute URLs, with the video's MIME type, and its renditions
    (format, width, height, url, poster_url, captions_url, captions_burned) with absolute URLs."""
    return {
        "url": absolute_url(playback.video_url, request),
        "poster_url": absolute_url(playback.poster_url, request) if playback.poster_url else None,
        "captions_url": absolute_url(playback.captions_url, request) if playback.captions_url else None,
        "mime_type": "video/mp4",
        "renditions": [
            {
                "format": rendition.format,
                "width": rendition.width,
                "height": rendition.height,
                "url": absolute_url(rendition.url, request),
                "poster_url": absolute_url(rendition.poster_url, request),
                "captions_url": absolute_url(rendition.captions_url, request),
                "captions_burned": rendition.captions_burned,
            }
            for rendition in playback.renditions
        ],
    }
