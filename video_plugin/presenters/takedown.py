"""Taking a presenter's videos off the live site, after consent is withdrawn or whenever its managers decide.

A page shows its *current* video (``VideoJob.is_current``: :attr:`~video_plugin.mixins.VideoPageMixin
.current_video_job`, the ``presenter_video`` template tag, API v2 and the captions view all read it), so
taking a video down clears that flag: the page then shows no video until another goes live. The job, its
media item and its audit facts stay. Each takedown leaves an entry in the page's history.

A video that waits for its page's next publish (:mod:`video_plugin.jobs.going_live`) is not live yet; once the
presenter may no longer be shown, publishing the page must not put it live, so :func:`withdraw_waiting` stops
it waiting.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from wagtail.log_actions import log

from video_plugin.models import Presenter, VideoJob
from video_plugin.presenters.log_actions import VIDEO_TAKEN_DOWN


def live_videos(presenter: Presenter) -> QuerySet[VideoJob]:
    """The presenter's videos that live pages show now, by page title."""
    return (
        VideoJob.objects.filter(
            presenter=presenter,
            organization_id=presenter.organization_id,
            status=VideoJob.Status.SUCCEEDED,
            is_current=True,
        )
        .select_related("page", "media")
        .order_by("page__title", "pk")
    )


def take_down(job: VideoJob, user: Any, reason: str = "") -> bool:
    """Stop ``job``'s page showing its video; ``False`` when it no longer did."""
    with transaction.atomic():
        taken = VideoJob.objects.filter(pk=job.pk, is_current=True).update(is_current=False)
        if taken:
            log(
                instance=job.page.specific,
                action=VIDEO_TAKEN_DOWN,
                user=user,
                data={
                    "job_id": job.job_id,
                    "presenter": job.presenter.name if job.presenter_id else "",
                    "consent_reference": job.consent_reference,
                    "reason": reason,
                },
            )
    job.is_current = False
    return bool(taken)


def withdraw_waiting(presenter: Presenter) -> int:
    """Stop the presenter's videos waiting for their pages' next publish; returns how many waited."""
    return VideoJob.objects.filter(presenter=presenter, waits_for_publish=True).update(
        waits_for_publish=False
    )
