"""Admin URLs, mounted under ``/admin/video/`` by the ``register_admin_urls`` hook."""

from django.urls import path

from video_plugin import views

app_name = "video_plugin"

urlpatterns = [
    path("pages/<int:page_id>/generate/", views.generate, name="generate"),
    path("pages/<int:page_id>/status/", views.status, name="status"),
]
