"""Template tags for a host's site templates: ``{% presenter_video page as video %}``,
``{% video_sources video as sources %}`` and ``{% ai_video_note page video %}``; the player as a whole is
``{% include "video_plugin/player.html" %}`` (with ``page`` and ``video`` in the context)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.translation import gettext

from video_plugin.public.disclosure import NOTE, disclosure_for
from video_plugin.public.playback import Playback, RenditionPlayback, absolute_url, playback_for

register = template.Library()

# Which format a viewport plays: the first whose query matches, in this order. A tall phone screen gets the
# 9:16 video, a near-square one the 1:1; every other viewport gets the catch-all source (the 16:9 rendition,
# else the main video), which comes last and has no query.
VIEWPORT_QUERIES = (
    ("vertical", "(max-aspect-ratio: 3/4)"),
    ("square", "(max-aspect-ratio: 5/4)"),
)
CATCH_ALL_FORMAT = "landscape"


@dataclass(frozen=True)
class VideoSource:
    """One ``<source>`` of a page's ``<video>``: the file, its poster and size, and the viewports it is for
    (``media`` is ``None`` for the catch-all)."""

    url: str
    poster_url: str | None
    width: int | None
    height: int | None
    media: str | None
    format: str
    captions_burned: bool = False


@register.simple_tag
def presenter_video(page: Any) -> Playback | None:
    """The page's current video with its poster and captions URLs, or ``None`` when it has none."""
    job = getattr(page, "current_video_job", None)
    return playback_for(job)


def rendition_source(rendition: RenditionPlayback, media: str | None) -> VideoSource:
    """The ``<source>`` of one rendition, for the viewports of ``media``."""
    return VideoSource(
        url=rendition.url,
        poster_url=rendition.poster_url,
        width=rendition.width,
        height=rendition.height,
        media=media,
        format=rendition.format,
        captions_burned=rendition.captions_burned,
    )


@register.simple_tag
def video_sources(video: Playback) -> list[VideoSource]:
    """The ``<source>`` elements of ``video`` in the order a browser must weigh them: the renditions for tall
    and near-square viewports first, each with its media query, then one for any viewport (the 16:9
    rendition, else the main video).

    A browser plays the first source whose ``media`` matches; ``video_plugin/js/video-sources.js`` gives the
    ``<video>`` that source's poster and size the same way.
    """
    renditions = {rendition.format: rendition for rendition in video.renditions}
    sources = [
        rendition_source(renditions[name], query) for name, query in VIEWPORT_QUERIES if name in renditions
    ]
    if CATCH_ALL_FORMAT in renditions:
        sources.append(rendition_source(renditions[CATCH_ALL_FORMAT], None))
    else:
        sources.append(
            VideoSource(
                url=video.video_url,
                poster_url=video.poster_url,
                width=video.width,
                height=video.height,
                media=None,
                format="main",
            )
        )
    return sources


@register.inclusion_tag("video_plugin/ai_video_note.html", takes_context=True)
def ai_video_note(context: template.Context, page: Any, video: Playback) -> dict[str, Any]:
    """The note next to the player that the video is AI-generated (EU AI Act, Article 50), with a link to
    check its content credentials once the runner has signed them."""
    job = getattr(page, "current_video_job", None)
    url = absolute_url(video.video_url, context.get("request"))
    disclosure = disclosure_for(job, url) if job is not None else None
    # The note in the visitor's language (NOTE is marked for translation where it is defined).
    return {"note": gettext(disclosure.note if disclosure else NOTE), "disclosure": disclosure}
