"""What a page shows of its product in a finished video; light enough for a host's models to import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProductFacts:
    """What a page shows of its product in a finished video: name, price as displayed, pictures (main first).

    A page model offers them with ``VideoPageMixin.video_product()``, whose default is the title alone.
    """

    name: str
    price: str = ""
    images: Sequence[Any] = ()
