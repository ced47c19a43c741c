"""Absolute URLs for what leaves the site: API answers and webhook payloads are read on other origins."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.http import HttpRequest

from video_plugin.playback import Playback


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
