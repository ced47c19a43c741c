"""Wagtail hooks: the editor panel's admin URLs, the headless API's admin screens and the bulk action."""

from django.urls import include, path
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from video_plugin.api.admin_viewsets import HeadlessAPIViewSetGroup, ReadOnlyPolicy
from video_plugin.editor import urls
from video_plugin.editor.bulk_actions import GenerateVideosBulkAction
from video_plugin.models import WebhookDelivery

hooks.register("register_bulk_action", GenerateVideosBulkAction)
register_permission_policy(WebhookDelivery, ReadOnlyPolicy(WebhookDelivery))


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    return [path("video/", include(urls, namespace="video_plugin"))]


@hooks.register("register_admin_viewset")
def register_headless_api_viewsets() -> HeadlessAPIViewSetGroup:
    return HeadlessAPIViewSetGroup()
