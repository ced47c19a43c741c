"""The presenter photo of a job: one the organization may use, filed where the runner may read it.

The runner reads only keys under the job's organization (``gpu_runner.protocol.check_image_key``). The web
side vouches for a photo by checking it against :meth:`Tenancy.images_of` and copying its bytes to the
organization's presenter key, named by their SHA-256, so a photo used by many jobs is stored once and an
upload's own key (``original_images/…``) is never sent to a runner.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Any

from django.core.files.base import ContentFile

from gpu_runner.protocol import presenter_key
from video_plugin.tenancy import OrganizationInfo, get_tenancy


def may_use_image(organization: OrganizationInfo, image: Any) -> bool:
    """Whether the organization may use ``image`` (its collections, or what its tenancy allows)."""
    return get_tenancy().images_of(organization).filter(pk=image.pk).exists()


def file_presenter(organization: OrganizationInfo, image: Any) -> str:
    """Copy ``image``'s file to the organization's presenter key, once per content, and return the key.

    Raises whatever the storage raises when it cannot be read or written.
    """
    with image.open_file() as handle:
        data = handle.read()
    extension = PurePosixPath(image.file.name).suffix.lstrip(".").lower() or "jpg"
    key = presenter_key(organization.id, hashlib.sha256(data).hexdigest(), extension)
    storage = image.file.storage
    if not storage.exists(key):
        saved = storage.save(key, ContentFile(data))
        if saved != key:
            # Another request filed the same bytes first; the storage renamed ours, which is not needed.
            storage.delete(saved)
    return key
