"""The plugin's public URLs, for the host's root URLconf: ``path("", include("video_plugin.urls"))``.

Include it before Wagtail's page catch-all. It serves the captions of a page's video (``video/…``) and the
organization-scoped job API (``api/video/v1/…``). The editor's URLs live in the admin, registered by
:mod:`video_plugin.wagtail_hooks`.
"""

from django.urls import include, path

urlpatterns = [
    path("video/", include("video_plugin.public.urls")),
    path("api/video/v1/", include("video_plugin.api.urls")),
]
