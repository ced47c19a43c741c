"""Captions served from the site's own origin.

Browsers load a ``<track>`` from another origin only when the ``<video>`` is marked ``crossorigin`` and the
bucket answers with CORS headers; marking the video without those headers would stop the video itself from
playing. So the site and the editor panel read the WebVTT the runner stored beside the MP4 and serve it from
the site's origin: it is a few hundred bytes, and the video and poster still come straight from storage.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse

from video_plugin.models import VideoJob

# Short enough that a regenerated video's captions show up soon, long enough to spare storage on busy pages.
CACHE_SECONDS = 300


def captions_response(job: VideoJob | None) -> HttpResponse:
    """The job's WebVTT captions; 404 when it has none (no finished video, or the runner wrote none)."""
    if job is None or job.media is None or not job.captions_key:
        raise Http404("this video has no captions")
    storage = job.media.file.storage
    try:
        with storage.open(job.captions_key) as stored:
            body = stored.read()
    except FileNotFoundError:
        raise Http404("the captions file is missing from storage") from None
    response = HttpResponse(body, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = f"max-age={CACHE_SECONDS}"
    return response
