"""Wagtail API v2 field: a page's current presenter video as ``ai_video``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from video_plugin.models import VideoJob


class AIVideoField(serializers.Field):
    """``{url, poster_url, duration, width, height}`` of the page's current video, or ``null``.

    Use as ``APIField("ai_video", serializer=AIVideoField(source="*"))``. Local-folder URLs are made absolute
    with the request's host, so a headless front end on another origin can play them.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, page: Any) -> dict[str, Any] | None:
        job = VideoJob.objects.filter(page_id=page.pk, is_current=True).select_related("media").first()
        if job is None or job.media is None:
            return None
        media = job.media
        return {
            "url": self.absolute(media.file.url),
            "poster_url": self.absolute(media.thumbnail.url) if media.thumbnail else None,
            "duration": media.duration,
            "width": media.width,
            "height": media.height,
        }

    def absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None and url.startswith("/") else url
