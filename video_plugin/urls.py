"""The plugin's public URLs, for the host's root URLconf: ``path("", include("video_plugin.urls"))``.

Include it before Wagtail's page catch-all. It serves the captions of a page's video (``video/…``), the
organization-scoped job API (``api/video/v1/…``) and, to Prometheus, ``video/metrics``
(:mod:`video_plugin.metrics`). The editor's URLs live in the admin, registered by
:mod:`video_plugin.wagtail_hooks`.
"""

from django.urls import include, path

from video_plugin import metrics

urlpatterns = [
    path("video/metrics", metrics.metrics, name="video_metrics"),
    path("video/", include("video_plugin.public.urls")),
    path("api/video/v1/", include("video_plugin.api.urls")),
]
