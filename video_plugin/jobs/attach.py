"""Attaching a finished video: one wagtailmedia ``Media`` pointing at the runner's upload, made the page's
current or left waiting for the page's next publish (:mod:`video_plugin.jobs.going_live`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from wagtailmedia import get_media_model

from gpu_runner.protocol import ProtocolError, RenderResult, organization_of_key
from video_plugin.jobs.going_live import finish
from video_plugin.models import VideoJob
from video_plugin.tenancy import get_tenancy

logger = logging.getLogger(__name__)


def media_title(page: Any) -> str:
    """The media item's title, in the page's language where the plugin has a catalogue for it (the library
    lists it beside the editors' own uploads)."""
    with translation.override(page.specific.video_language()):
        # Translators: %(title)s is the page's title.
        return gettext("%(title)s (presenter video)") % {"title": page.title}


def attach_video(job: VideoJob, result: RenderResult) -> Any:
    """Create the job's ``Media`` (once) in the organization's collection and make it the page's current
    video, or the one waiting for the page's next publish.

    The file is already in storage under ``result.key``: assigning the key to ``Media.file`` records it
    without uploading anything. Calling this again for the same job returns the same Media.
    """
    if result.key != job.output_key or organization_of_key(result.key) != job.organization_id:
        # The runner writes only where it was told; anything else would attach another organization's file.
        raise ProtocolError(f"job {job.job_id} was told to write {job.output_key!r}, not {result.key!r}")
    organization = get_tenancy().organization(job.organization_id)
    if organization is None:
        raise LookupError(f"organization {job.organization_id} of job {job.job_id} no longer exists")

    Media = get_media_model()
    with transaction.atomic():
        media = Media.objects.filter(pk=job.media_id).first() if job.media_id else None
        if media is None:
            # A redelivered event after a crash between the insert and the job's save finds the row by its
            # key.
            media = Media.objects.filter(file=result.key).first()
        if media is None:
            media = Media(
                title=media_title(job.page)[:255],
                type="video",
                file=result.key,
                thumbnail=result.poster_key or "",
                duration=result.duration_s,
                width=result.width,
                height=result.height,
                collection=organization.collection,
                uploaded_by_user=job.requested_by,
            )
            media.save()
        job.media = media
        finish(job, organization)
        job.output_key = result.key
        job.captions_key = result.captions_key or ""
        job.save()
    logger.info("attached %s to page %s as media %s", result.key, job.page_id, media.pk)
    return media
