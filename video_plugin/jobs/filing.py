"""Filing what a job's runner may read: the organization's own copy, under its prefix, named by content.

The runner reads presenter photos, product pictures, logos and music only from keys under the job's
organization (``gpu_runner.protocol.check_image_key`` and ``check_asset_key``). The web side vouches for
a file by copying its bytes to ``{org}/{kind}/{sha256}.{ext}`` (:func:`gpu_runner.protocol.asset_key`) after
checking that the organization may use it, so a file used by many jobs is stored once, an upload's own key
(``original_images/…``) is never sent to a runner, and nothing a person typed reaches a key.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile

from gpu_runner.protocol import asset_key


def file_asset(organization_id: int, kind: str, field_file: FieldFile, default_extension: str = "jpg") -> str:
    """Copy ``field_file`` to the organization's ``kind`` key (``presenters``, ``products`` or ``brand``),
    once per content, in the storage the file lives in, and return the key.

    Raises whatever the storage raises when the file cannot be read or written.
    """
    field_file.open("rb")
    try:
        data = field_file.read()
    finally:
        field_file.close()
    extension = PurePosixPath(field_file.name).suffix.lstrip(".").lower() or default_extension
    key = asset_key(organization_id, kind, hashlib.sha256(data).hexdigest(), extension)
    storage = field_file.storage
    if not storage.exists(key):
        saved = storage.save(key, ContentFile(data))
        if saved != key:
            # Another request filed the same bytes first; the storage renamed ours, which is not needed.
            storage.delete(saved)
    return key
