"""When a finished video goes live: Wagtail's draft and publish flow for the page's video.

A video is live when it is its page's current one (``VideoJob.is_current``): the public page and API v2 show
it. A video generated from the page editor is an edit like any other, so by default it goes live with the
page's next publish, through the same moderation as the rest of the draft; until then it *waits for publish*.
Someone who may publish the page can make it live at once (*Make live*). An organization that wants editor
videos live as soon as they are ready says so (``editor_videos_live_at_once``); videos made by a publish, a
batch or the job API go live when ready, since whoever asked for them chose to publish.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from video_plugin.models import VideoJob
from video_plugin.presenters.consent import usability
from video_plugin.tenancy import OrganizationInfo


def going_live_note(organization: OrganizationInfo | None) -> str:
    """What the panel tells editors about when the videos they generate go live."""
    if organization is not None and organization.editor_videos_live_at_once:
        return _("Videos generated here go live on the page as soon as they are ready.")
    return _(
        "Videos generated here go live when the page is next published, like the rest of your changes; "
        "someone who may publish the page can make one live now."
    )


def waits_for_publish(job: VideoJob, organization: OrganizationInfo) -> bool:
    """Whether ``job``'s video, once finished, waits for the page's next publish to go live."""
    return job.trigger == VideoJob.Trigger.EDITOR and not organization.editor_videos_live_at_once


def go_live(job: VideoJob) -> None:
    """Make ``job`` its page's one live video (the database allows one per page); nothing waits any more."""
    with transaction.atomic():
        page_jobs = VideoJob.objects.filter(page_id=job.page_id).exclude(pk=job.pk)
        page_jobs.filter(is_current=True).update(is_current=False)
        page_jobs.filter(waits_for_publish=True).update(waits_for_publish=False)
        VideoJob.objects.filter(pk=job.pk).update(is_current=True, waits_for_publish=False)
    job.is_current, job.waits_for_publish = True, False


def finish(job: VideoJob, organization: OrganizationInfo) -> None:
    """Set the unsaved state of a just-finished ``job``: live, or the page's one video waiting for publish."""
    if waits_for_publish(job, organization):
        VideoJob.objects.filter(page_id=job.page_id, waits_for_publish=True).exclude(pk=job.pk).update(
            waits_for_publish=False
        )
        job.is_current, job.waits_for_publish = False, True
    else:
        VideoJob.objects.filter(page_id=job.page_id).exclude(pk=job.pk).filter(is_current=True).update(
            is_current=False
        )
        job.is_current, job.waits_for_publish = True, False


def consent_lapsed(job: VideoJob) -> str:
    """Why ``job``'s video may no longer be shown (its presenter's consent or licence is not in force), or
    ``""``. A job from before presenters (none recorded) is judged as it was made."""
    if job.presenter_id is None:
        return ""
    usable = usability(job.presenter)
    return "" if usable.usable else usable.reason


def publish_waiting_video(page: Any) -> VideoJob | None:
    """On the page's publish: its video waiting for publish, if any, goes live — unless its presenter's
    consent lapsed while it waited (expired, or revoked): then it stops waiting, and the page keeps its
    video."""
    waiting = VideoJob.objects.filter(
        page_id=page.pk, waits_for_publish=True, status=VideoJob.Status.SUCCEEDED, media__isnull=False
    ).first()
    if waiting is None:
        return None
    if consent_lapsed(waiting):
        VideoJob.objects.filter(pk=waiting.pk).update(waits_for_publish=False)
        return None
    go_live(waiting)
    return waiting
