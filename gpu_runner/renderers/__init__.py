"""The renderer registry: from a name (``GPU_RUNNER_RENDERER``, a job's ``renderer``) to a :class:`Renderer`.

``hallo2`` is imported only when asked for, so the ``still`` path runs without torch installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol import RENDERERS
from .base import Renderer

if TYPE_CHECKING:
    from ..settings import RunnerSettings

__all__ = ["Renderer", "create_renderer"]


def create_renderer(name: str, settings: RunnerSettings) -> Renderer:
    """Construct (not load) the renderer called ``name``; raise ``ValueError`` naming the valid ones."""
    if name == "still":
        from .still import StillRenderer

        return StillRenderer(settings)
    if name == "hallo2":
        from .hallo2.renderer import Hallo2Renderer

        return Hallo2Renderer(settings)
    raise ValueError(f"unknown renderer {name!r}; choose one of: {', '.join(RENDERERS)}")
