"""The static picture of a finished video, drawn with Pillow: shared by the runner and the editor's preview.

The runner composes each format's video from :func:`plan_scene` (a background per product picture, where the
talking head and the captions go) and :func:`draw_caption`; the plugin's panel shows :func:`preview_image`,
drawn by the same code. This package ships in the contract's distribution (``wagtail-ai-video-protocol``)
and imports only the standard library, Pillow, fontTools and :mod:`gpu_runner.protocol`, so a web host draws
previews without numpy, PyAV or torch.
"""

from .captions import caption_notes, draw_caption, set_caption
from .geometry import SOCIAL_SAFE_MARGINS, Box, Placement, place
from .plan import FACE_HEIGHT, Scene, SceneAssets, Segment, draw_card, fit_head, plan_scene, preview_image

__all__ = [
    "FACE_HEIGHT",
    "SOCIAL_SAFE_MARGINS",
    "Box",
    "Placement",
    "Scene",
    "SceneAssets",
    "Segment",
    "caption_notes",
    "draw_caption",
    "draw_card",
    "fit_head",
    "place",
    "plan_scene",
    "preview_image",
    "set_caption",
]
