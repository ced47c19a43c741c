"""Wagtail API v2: a page's current presenter video as ``ai_video``, loaded in one query per listing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework import serializers

from gpu_runner.protocol import voice_language
from video_plugin.models import VideoJob
from video_plugin.public.disclosure import disclosure_for
from video_plugin.public.playback import playback_for, playback_urls

# Set on a page by :func:`prefetch_current_videos`: its current job with media, or None when it has none.
CURRENT_VIDEO_ATTR = "_current_video_job"
_NOT_LOADED = object()


def spoken_voice(job: VideoJob) -> str:
    """The voice id that actually spoke (``espeak:en-us``), else the one requested.

    The runner reports the heard voice engine-qualified already, so it is shown as recorded.
    """
    return job.voice_used or job.voice


def prefetch_current_videos(pages: Iterable[Any]) -> None:
    """Load the current video of every page in one query, so serializing a listing costs the same for 1 or 50.

    The jobs are stored on the pages themselves; :class:`AIVideoField` reads them instead of querying.
    """
    pages = list(pages)
    jobs = VideoJob.objects.filter(page_id__in=[page.pk for page in pages], is_current=True).select_related(
        "media"
    )
    by_page = {job.page_id: job for job in jobs}
    for page in pages:
        setattr(page, CURRENT_VIDEO_ATTR, by_page.get(page.pk))


def current_video_job(page: Any) -> VideoJob | None:
    """The page's current job with its media: prefetched when available, else one query (detail views)."""
    job = getattr(page, CURRENT_VIDEO_ATTR, _NOT_LOADED)
    if job is _NOT_LOADED:
        job = VideoJob.objects.filter(page_id=page.pk, is_current=True).select_related("media").first()
    return job


class AIVideoField(serializers.Field):
    """The page's current video, or ``null``.

    ``{url, poster_url, captions_url, mime_type, duration, width, height, created_at, voice, language,
    renditions, ai_generated, label, credentials}``; ``renditions`` lists each finished format as ``{format,
    width, height, url, poster_url, captions_burned}``, read from the job already loaded, so listings still
    cost one query for every page.
    ``ai_generated`` is always true, ``label`` is the AI label drawn on the video (``null`` when none), and
    ``credentials`` says where its C2PA content credentials verify (:mod:`video_plugin.public.disclosure`).
    Use as ``APIField("ai_video", serializer=AIVideoField(source="*"))``, and register the pages endpoint
    with :class:`video_plugin.api.pages.VideoPagesAPIViewSet` so listings load every page's video at once.
    Local-folder URLs are made absolute with the request's host, so a headless front end on another origin
    can play them.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, page: Any) -> dict[str, Any] | None:
        job = current_video_job(page)
        playback = playback_for(job)
        if playback is None:
            return None
        voice = spoken_voice(job)
        urls = playback_urls(playback, self.context.get("request"))
        return {
            **urls,
            "duration": playback.duration_s,
            "width": playback.width,
            "height": playback.height,
            "created_at": job.media.created_at.isoformat() if job.media.created_at else None,
            "voice": voice,
            "language": voice_language(voice),
            **disclosure_for(job, urls["url"]).as_json(),
        }
