"""The presenter photo of a job: one the organization may use, filed where the runner may read it
(:mod:`video_plugin.jobs.filing`)."""

from __future__ import annotations

from typing import Any

from video_plugin.jobs.filing import file_asset
from video_plugin.tenancy import OrganizationInfo, get_tenancy


def may_use_image(organization: OrganizationInfo, image: Any) -> bool:
    """Whether the organization may use ``image`` (its collections, or what its tenancy allows)."""
    return get_tenancy().images_of(organization).filter(pk=image.pk).exists()


def file_presenter(organization: OrganizationInfo, image: Any) -> str:
    """Copy ``image``'s file to the organization's presenter key, once per content, and return the key.

    Raises whatever the storage raises when it cannot be read or written.
    """
    return file_asset(organization.id, "presenters", image.file, "jpg")
