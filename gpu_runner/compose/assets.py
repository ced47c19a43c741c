"""The pictures and music a composition names, read from storage; what cannot be used is left out and said.

Nothing here fails a job: a finished video without its logo, one product picture or its music is still worth
having, and the note on the job says what was left out and what to do about it.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ..images import load_presenter_image
from ..protocol import MAX_LOGO_BYTES, MAX_LOGO_PIXELS, Composition, asset_key
from ..renderers.base import RenderRefused
from ..storage import ObjectNotFound, Storage


@dataclass
class CompositionAssets:
    """The composition's files as the scene and the sound take them, and notes on what was left out."""

    product_images: list[Image.Image] = field(default_factory=list)
    logo: Image.Image | None = None
    music: bytes | None = None
    notes: list[str] = field(default_factory=list)


def read_assets(composition: Composition, storage: Storage) -> CompositionAssets:
    """Read the product pictures, the logo and the music of ``composition`` from ``storage``.

    Raises only :class:`~gpu_runner.storage.StorageUnreachable` (the job is then retried).
    """
    assets = CompositionAssets()
    count = len(composition.product_image_keys)
    for number, key in enumerate(composition.product_image_keys, start=1):
        name = f"product picture {number} of {count}"
        data = _get(storage, key)
        if data is None:
            assets.notes.append(f"{name} is no longer in storage; the video shows the others")
            continue
        try:
            assets.product_images.append(load_presenter_image(data, name=name))
        except RenderRefused as refused:
            assets.notes.append(f"{refused.message} It is left out of the video.")
    brand = composition.brand
    if brand.logo_key:
        data = _get(storage, brand.logo_key)
        if data is None:
            assets.notes.append("the brand kit's logo is no longer in storage; the video has no logo")
        else:
            assets.logo, problem = load_logo(data)
            if problem:
                assets.notes.append(problem)
    if brand.music_key:
        data = _get(storage, brand.music_key)
        if data is None:
            assets.notes.append("the brand kit's music is no longer in storage; the video has no music")
        else:
            assets.music = data  # finish_sound judges it (size, length, whether it is audio at all)
    return assets


def load_logo(data: bytes) -> tuple[Image.Image | None, str | None]:
    """The logo as an upright RGBA image (its transparency kept), or ``None`` and why it was left out."""
    fix = "the video has no logo. Upload a PNG or JPEG logo"
    if len(data) > MAX_LOGO_BYTES:
        return None, (
            f"the brand kit's logo is {len(data) / 1e6:.1f} MB, over the {MAX_LOGO_BYTES / 1e6:.0f} MB "
            f"limit; {fix} of at most {MAX_LOGO_BYTES / 1e6:.0f} MB"
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns of decompression bombs far above the logo limit; the pixel check decides first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_LOGO_PIXELS:
                return None, (
                    f"the brand kit's logo is {width}×{height} pixels, over the {MAX_LOGO_PIXELS / 1e6:.0f} "
                    f"megapixel limit; {fix} of at most {MAX_LOGO_PIXELS / 1e6:.0f} megapixels"
                )
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return None, f"the brand kit's logo could not be read as a picture; {fix}"
    return ImageOps.exif_transpose(image).convert("RGBA"), None


def file_asset(storage: Storage, organization_id: int, kind: str, data: bytes, extension: str) -> str:
    """Store ``data`` as the web side files an organization's copy of a file (``kind``: ``products`` or
    ``brand``) and return its key: for local renders and benchmarks, which have no web side."""
    key = asset_key(organization_id, kind, hashlib.sha256(data).hexdigest(), extension.lstrip(".") or "bin")
    with tempfile.TemporaryDirectory(prefix="gpu-runner-asset-") as folder:
        path = Path(folder) / "asset"
        path.write_bytes(data)
        storage.put_file(key, path, "application/octet-stream")
    return key


def _get(storage: Storage, key: str) -> bytes | None:
    try:
        return storage.get(key)
    except ObjectNotFound:
        return None
