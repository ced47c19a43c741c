"""Captions served from the site's own origin.

Browsers load a ``<track>`` from another origin only when the ``<video>`` is marked ``crossorigin`` and the
bucket answers with CORS headers; marking the video without those headers would stop the video itself from
playing. So the site and the editor panel read the WebVTT the runner stored beside the MP4 and serve it from
the site's origin: it is a few hundred bytes, and the video and poster still come straight from storage.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse

from gpu_runner.protocol import captions_key
from video_plugin.models import VideoJob

# Short enough that a regenerated video's captions show up soon, long enough to spare storage on busy pages.
CACHE_SECONDS = 300


def captions_key_of(job: VideoJob, format_name: str | None = None) -> str | None:
    """The key of the job's WebVTT: the main video's, or with ``format_name`` that rendition's, which the
    runner stored beside it timed to it (an intro card delays every cue)."""
    if not job.captions_key:
        return None
    if not format_name:
        return job.captions_key
    rendition = next((r for r in job.renditions or [] if r.get("format") == format_name), None)
    return captions_key(rendition["key"]) if rendition else None


def captions_response(job: VideoJob | None, format_name: str | None = None) -> HttpResponse:
    """The job's WebVTT captions (of one rendition with ``format_name``); 404 when there are none (no finished
    video, no such rendition, or the runner wrote none)."""
    key = captions_key_of(job, format_name) if job is not None and job.media is not None else None
    if key is None:
        which = f" in format {format_name[:20]!r}" if format_name else ""
        raise Http404(f"this video has no captions{which}")
    storage = job.media.file.storage
    try:
        with storage.open(key) as stored:
            body = stored.read()
    except FileNotFoundError:
        raise Http404("the captions file is missing from storage") from None
    response = HttpResponse(body, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = f"max-age={CACHE_SECONDS}"
    return response
