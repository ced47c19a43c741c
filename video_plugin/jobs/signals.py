"""The publish hook: the page's video that waited for publish goes live, and a page published live in an
organization that asked for it gets a new video."""

from __future__ import annotations

import logging
from typing import Any

from wagtail.signals import page_published

from video_plugin.jobs.going_live import publish_waiting_video
from video_plugin.jobs.requests import VideoRequestError, request_video
from video_plugin.mixins import VideoPageMixin
from video_plugin.models import VideoJob
from video_plugin.tenancy import get_tenancy

logger = logging.getLogger(__name__)


def on_page_published(sender: Any, instance: Any, revision: Any = None, **kwargs: Any) -> None:
    """Request a video for a freshly published page.

    The job is recorded inside the publishing transaction and its message leaves only when that commits, so a
    publish that rolls back leaves no job and sends nothing. Connected to ``page_published`` only, never to
    saves: autosave makes many revisions an editor never published.
    """
    page = instance
    if not isinstance(page, VideoPageMixin):
        return
    # Scheduled publishing sends the signal while the page is still waiting for go_live_at.
    if not page.live:
        return
    # An alias shows its original's content, and the original's own publish already requested the video.
    if page.alias_of_id is not None:
        return
    # The editor's video that waited for this publish goes live with the rest of the page.
    publish_waiting_video(page)
    organization = get_tenancy().organization_for_page(page)
    if organization is None or not organization.auto_generate_on_publish:
        return
    user = getattr(revision, "user", None)
    try:
        job = request_video(page, user, VideoJob.Trigger.PUBLISH)
    except VideoRequestError as exc:
        logger.warning("no video for published page %s: %s", page.pk, exc)
        return
    if job.status == VideoJob.Status.FAILED:
        logger.warning("video for published page %s not started: %s", page.pk, job.error_message)


def connect() -> None:
    """Connect the hook (called once from the app's ``ready``)."""
    page_published.connect(on_page_published, dispatch_uid="video_plugin.on_page_published")
