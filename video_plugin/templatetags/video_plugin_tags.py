"""Template tags for a host's site templates: ``{% presenter_video page as video %}``."""

from __future__ import annotations

from typing import Any

from django import template

from video_plugin.public.playback import Playback, playback_for

register = template.Library()


@register.simple_tag
def presenter_video(page: Any) -> Playback | None:
    """The page's current video with its poster and captions URLs, or ``None`` when it has none."""
    job = getattr(page, "current_video_job", None)
    return playback_for(job)
