"""Jobs nobody wants any more: a job deleted with its page stops rendering, and whatever a runner uploaded for
a job that was cancelled or deleted meanwhile is removed from storage instead of lying there unreferenced.

Deleting a page deletes its jobs (``VideoJob.page`` cascades); one still queued or running has its cancel flag
raised, as *Cancel* does, so the runner stops at its next check rather than spend minutes of GPU on a video
for no page. A runner past its last check uploads anyway and reports success: the events worker then finds
the job cancelled, or gone with its cancel flag still up, and deletes the files the report names.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from wagtailmedia import get_media_model

from gpu_runner.protocol import RenderResult, captions_key
from video_plugin.jobs.cancellation import raise_cancel_flag
from video_plugin.models import VideoJob

logger = logging.getLogger(__name__)


def stop_deleted_job(sender: Any, instance: VideoJob, **kwargs: Any) -> None:
    """Raise the cancel flag of a queued or running job deleted (with its page), once the deletion commits."""
    if instance.status not in VideoJob.ACTIVE:
        return
    job_id, page_id = instance.job_id, instance.page_id

    def tell_runner() -> None:
        told = "told to stop" if raise_cancel_flag(job_id) else "not told"
        logger.info("job %s went with page %s; its runner %s", job_id, page_id, told)

    transaction.on_commit(tell_runner)


def uploaded_files(result: RenderResult) -> list[str]:
    """Every file the runner uploads for ``result``: each video (main and formats), its poster and its
    captions (looked for even when the report names none: deleting a file that is not there is harmless)."""
    videos = [(result.key, result.poster_key)]
    videos += [(rendition["key"], rendition["poster_key"]) for rendition in result.renditions]
    return [name for video, poster in videos for name in (video, poster, captions_key(video))]


def discard_upload(job_id: str, result: RenderResult) -> None:
    """Delete the files of a success that came too late to be wanted. Storage errors are logged: the event
    is still done with, and a later sweep of the bucket finds what is left."""
    storage = get_media_model()._meta.get_field("file").storage
    for name in uploaded_files(result):
        try:
            storage.delete(name)
        except Exception as exc:  # noqa: BLE001 - each storage backend raises its own kinds
            logger.warning("could not delete %s of unwanted job %s: %s", name, job_id, exc)
    logger.info("deleted the upload of unwanted job %s (%s)", job_id, result.key)


def connect() -> None:
    """Connect the deletion hook (called once from the app's ``ready``)."""
    post_delete.connect(stop_deleted_job, sender=VideoJob, dispatch_uid="video_plugin.stop_deleted_job")
