"""Routes of the job API. Mounted under ``api/video/v1/`` by :mod:`video_plugin.urls`."""

from django.urls import path, re_path

from gpu_runner.protocol import JOB_ID_PATTERN
from video_plugin.api.errors import not_found
from video_plugin.api.openapi import openapi_document
from video_plugin.api.views import JobCancelView, JobDetailView, JobListView

urlpatterns = [
    path("openapi.json", openapi_document, name="video-api-openapi"),
    path("jobs/", JobListView.as_view(), name="video-api-jobs"),
    re_path(rf"^jobs/(?P<job_id>{JOB_ID_PATTERN})/$", JobDetailView.as_view(), name="video-api-job"),
    re_path(
        rf"^jobs/(?P<job_id>{JOB_ID_PATTERN})/cancel/$", JobCancelView.as_view(), name="video-api-cancel"
    ),
    # Anything else under the API is a JSON 404, not the site's HTML one; paths with a newline too ("." would
    # not match one, and such a path would fall through to the site).
    re_path(r"^[\s\S]*$", not_found),
]
