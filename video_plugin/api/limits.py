"""The per-organization limit on jobs in flight, so one client cannot fill the render queue for everyone."""

from __future__ import annotations

import math

from django.db.models import Min

from video_plugin.api.errors import TooManyJobsInFlight
from video_plugin.conf import video_settings
from video_plugin.models import VideoJob


def check_jobs_in_flight(organization_id: int) -> None:
    """Raise :class:`TooManyJobsInFlight` when the organization has ``API_MAX_IN_FLIGHT`` jobs in flight.

    Every trigger counts (editor, publish, batch, API): they share the same runners. ``Retry-After`` is the
    soonest estimate of a running job's end, or ``API_RETRY_AFTER_S`` when no running job has one. Two
    requests racing past the check may overshoot the limit by one each; the limit protects the queue, not an
    invoice.
    """
    active = VideoJob.objects.filter(organization_id=organization_id, status__in=VideoJob.ACTIVE)
    limit = int(video_settings.API_MAX_IN_FLIGHT)
    in_flight = active.count()
    if in_flight < limit:
        return
    soonest = active.filter(status=VideoJob.Status.RUNNING).aggregate(eta=Min("eta_s"))["eta"]
    retry_after = max(1, math.ceil(soonest)) if soonest is not None else int(video_settings.API_RETRY_AFTER_S)
    raise TooManyJobsInFlight(
        f"organization {organization_id} has {in_flight} jobs queued or running, the most allowed "
        f"(WAGTAIL_VIDEO['API_MAX_IN_FLIGHT'] = {limit}); retry after {retry_after} s or cancel a job",
        retry_after,
    )
