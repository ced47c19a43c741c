"""Admin URLs, mounted under ``/admin/video/`` by the ``register_admin_urls`` hook."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from video_plugin.editor import translation_views, views

app_name = "video_plugin"

urlpatterns = [
    # The panel's own strings (djangojs domain); Django's catalogue script adds them to Wagtail's.
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["video_plugin"], domain="djangojs"),
        name="javascript_catalog",
    ),
    path("pages/<int:page_id>/generate/", views.generate, name="generate"),
    path(
        "pages/<int:page_id>/generate-translations/",
        translation_views.generate_translations,
        name="generate_translations",
    ),
    path("pages/<int:page_id>/status/", views.status, name="status"),
    path("pages/<int:page_id>/script/", views.written_script, name="script"),
    path("pages/<int:page_id>/face-check/", views.face_check, name="face_check"),
    path("pages/<int:page_id>/voice-preview/", views.voice_preview, name="voice_preview"),
    path("pages/<int:page_id>/layout-preview/", views.layout_preview_image, name="layout_preview"),
    path("pages/<int:page_id>/jobs/<str:job_id>/cancel/", views.cancel, name="cancel"),
    path("pages/<int:page_id>/jobs/<str:job_id>/current/", views.make_current, name="make_current"),
    path("pages/<int:page_id>/jobs/<str:job_id>/captions.vtt", views.job_captions, name="job_captions"),
]
