"""Wagtail hooks: the admin URLs behind the editor panel."""

from django.urls import include, path
from wagtail import hooks

from video_plugin import urls


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    return [path("video/", include(urls, namespace="video_plugin"))]


# --- headless API and batch generation: tokens, webhooks, delivery log, bulk action ---
from video_plugin import admin_hooks  # noqa: E402, F401 - registers on import
