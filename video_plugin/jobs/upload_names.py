"""Storages that give uploaded images names nobody can guess.

Wagtail files an upload as ``original_images/{file name}`` and its renditions as
``images/{file name}.{filter}``, so anyone who can guess a file name (``presenter.jpg``) could read a
presenter's photo from the storage's public URL, on the local folder and on a bucket alike. These storages
put a random token in front of the name of each new original: ``original_images/{token}_{name}``. A
rendition's name starts with its original's, so it carries the token too. The token is 16 characters of
``[0-9a-z]`` (about 82 bits), and the name stays within Django's 100-character limit for a ``FileField``.
"""

from __future__ import annotations

import posixpath
import re

from django.core.files.storage import FileSystemStorage
from nanoid import generate as nanoid

from gpu_runner.protocol import TOKEN_ALPHABET, TOKEN_LENGTH

ORIGINALS_FOLDER = "original_images"
# Django's default max_length of a FileField, which Wagtail's image file keeps.
MAX_NAME_LENGTH = 100
_TOKENED_RE = re.compile(rf"^[{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}}_")


class UnguessableUploadsMixin:
    """A storage mixin: each new file under ``original_images/`` gets a random token before its name."""

    def generate_filename(self, filename: str) -> str:
        filename = super().generate_filename(filename)  # type: ignore[misc]
        folder, name = posixpath.split(filename)
        if folder != ORIGINALS_FOLDER or _TOKENED_RE.match(name):
            return filename
        stem, extension = posixpath.splitext(name)
        room = MAX_NAME_LENGTH - len(folder) - 1 - TOKEN_LENGTH - 1 - len(extension)
        return posixpath.join(folder, f"{nanoid(TOKEN_ALPHABET, TOKEN_LENGTH)}_{stem[:room]}{extension}")


class UnguessableFileSystemStorage(UnguessableUploadsMixin, FileSystemStorage):
    """The local folder's storage (S3 and R2: ``video_plugin.jobs.s3_storage``)."""
