"""Presenter images: decoded safely from untrusted bytes, upright, RGB, no larger than renderers need."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from .protocol import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, ErrorCode, image_size_problem
from .renderers.base import RenderRefused

MAX_SIDE = 2048


def load_presenter_image(
    data: bytes,
    *,
    name: str = "image",
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
    max_side: int = MAX_SIDE,
) -> Image.Image:
    """Decode ``data`` into an upright RGB image whose longer side is at most ``max_side`` pixels.

    Raises :class:`RenderRefused` with ``image_too_large`` (bytes or pixels over the limit, or a decompression
    bomb) or ``image_unreadable`` (not an image, or truncated).
    """
    problem = image_size_problem(name, size_bytes=len(data), max_bytes=max_bytes)
    if problem:
        raise RenderRefused(ErrorCode.IMAGE_TOO_LARGE, problem)
    try:
        with warnings.catch_warnings():
            # Pillow warns between 1× and 2× MAX_IMAGE_PIXELS; the pixel check below is the one that decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            problem = image_size_problem(name, width=width, height=height, max_pixels=max_pixels)
            if problem:
                raise RenderRefused(ErrorCode.IMAGE_TOO_LARGE, problem)
            image.load()
    except Image.DecompressionBombError as exc:
        raise RenderRefused(
            ErrorCode.IMAGE_TOO_LARGE,
            f"{name} is too large to decode safely ({exc}). Upload a photo of at most "
            f"{max_pixels / 1e6:.0f} megapixels.",
        ) from None
    except UnidentifiedImageError:
        # Pillow's own message names only the in-memory buffer ("<_io.BytesIO object at 0x…>").
        raise RenderRefused(
            ErrorCode.IMAGE_UNREADABLE,
            f"{name} could not be read as an image: its content is not a picture format, whatever its "
            "name says. Upload a JPEG or PNG photo.",
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        # Pillow reports truncated data as OSError and some malformed headers as SyntaxError or ValueError.
        raise RenderRefused(
            ErrorCode.IMAGE_UNREADABLE,
            f"{name} could not be read as an image ({exc.__class__.__name__}: {exc}). "
            "Upload a JPEG or PNG photo.",
        ) from None
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image
