"""Public URLs of the plugin; a host includes them in its root URLconf, before Wagtail's page catch-all."""

from django.urls import path

from video_plugin.public import views

app_name = "video_plugin_site"

urlpatterns = [
    path("pages/<int:page_id>/captions.vtt", views.page_captions, name="page_captions"),
]
