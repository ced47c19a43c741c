"""Where a finished video, its poster and its captions are: one answer for the editor and the site."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

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
