"""Renditions: the runner's report recorded on the job, served by reuse, and shown with their URLs in the
editor's playback, API v2's ai_video, the job API and webhook payloads."""

from __future__ import annotations

from typing import Any

from gpu_runner.protocol import FORMATS, poster_key, rendition_key


def rendition_dicts(key: str, *formats: str, captions_burned: bool = False) -> list[dict[str, Any]]:
    """The runner's ``RenderResult.renditions`` for the main video at ``key``: one per format, beside it."""
    return [
        {
            "format": name,
            "key": rendition_key(key, name),
            "poster_key": poster_key(rendition_key(key, name)),
            "width": FORMATS[name].width,
            "height": FORMATS[name].height,
            "duration_s": 4.0,
            "bytes": 1_000_000 + index,
            "sha256": f"{index}" * 64,
            "layout": "presenter",
            "captions_burned": captions_burned,
            "encoder": "libx264",
        }
        for index, name in enumerate(formats)
    ]
