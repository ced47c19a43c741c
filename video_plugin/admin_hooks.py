"""Admin registrations of the headless API and batch generation (imported by ``wagtail_hooks``)."""

from __future__ import annotations

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from video_plugin.admin_views import HeadlessAPIViewSetGroup, ReadOnlyPolicy
from video_plugin.bulk_actions import GenerateVideosBulkAction
from video_plugin.models import WebhookDelivery

hooks.register("register_bulk_action", GenerateVideosBulkAction)
register_permission_policy(WebhookDelivery, ReadOnlyPolicy(WebhookDelivery))


@hooks.register("register_admin_viewset")
def register_headless_api_viewsets() -> HeadlessAPIViewSetGroup:
    return HeadlessAPIViewSetGroup()
