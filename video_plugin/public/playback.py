"""Where a finished video, its poster and its captions are: one answer for the editor, the site and the API.

URLs that leave the site (API answers, webhook payloads) are made absolute, since they are read on other
origins.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.http import HttpRequest

from video_plugin.models import VideoJob


@dataclass(frozen=True)
class Playback:
    """A playable video: its URLs (poster and captions may be missing), size and length."""

    video_url: str
    poster_url: str | None
    captions_url: str | None
    duration_s: float | None
    width: int | None
    height: int | None
    title: str

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
    )


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
    """The video's, poster's and captions' absolute URLs, with the video's MIME type."""
    return {
        "url": absolute_url(playback.video_url, request),
        "poster_url": absolute_url(playback.poster_url, request) if playback.poster_url else None,
        "captions_url": absolute_url(playback.captions_url, request) if playback.captions_url else None,
        "mime_type": "video/mp4",
    }
