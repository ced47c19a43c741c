"""Public URLs of the plugin; a host includes them in its root URLconf, before Wagtail's page catch-all."""

from django.urls import path

from video_plugin import site_views

app_name = "video_plugin_site"

urlpatterns = [
    path("pages/<int:page_id>/captions.vtt", site_views.page_captions, name="page_captions"),
]
