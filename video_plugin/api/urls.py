"""Routes of the job API. Mounted under ``api/video/v1/`` by :mod:`video_plugin.urls`."""

from django.urls import path, re_path

from video_plugin.api.errors import not_found
from video_plugin.api.openapi import openapi_document
from video_plugin.api.views import JobCancelView, JobDetailView, JobListView

urlpatterns = [
    path("openapi.json", openapi_document, name="video-api-openapi"),
    path("jobs/", JobListView.as_view(), name="video-api-jobs"),
    re_path(r"^jobs/(?P<job_id>[A-Za-z0-9_-]{1,64})/$", JobDetailView.as_view(), name="video-api-job"),
    re_path(
        r"^jobs/(?P<job_id>[A-Za-z0-9_-]{1,64})/cancel/$", JobCancelView.as_view(), name="video-api-cancel"
    ),
    # Anything else under the API is a JSON 404, not the site's HTML one.
    re_path(r"^.*$", not_found),
]
