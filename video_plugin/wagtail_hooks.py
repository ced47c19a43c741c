"""Wagtail hooks: the editor panel's admin URLs, the headless API's, brand kits' and presenters' admin
screens, the bulk action, the ``generate_video`` and presenter permissions on the group screen, presenters'
log actions, and the default tenancy's site setting."""

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.urls import include, path
from wagtail import hooks
from wagtail.contrib.settings.registry import register_setting
from wagtail.log_actions import LogActionRegistry

from video_plugin.api.admin_viewsets import HeadlessAPIViewSetGroup, ReadOnlyPolicy
from video_plugin.brand.admin_viewsets import BrandKitViewSet
from video_plugin.editor import urls
from video_plugin.editor.bulk_actions import GenerateVideosBulkAction, GenerateVideosForTranslationsBulkAction
from video_plugin.models import GENERATE_PERMISSION_CODENAME, Presenter, VideoSiteSettings, WebhookDelivery
from video_plugin.permissions import register_policy
from video_plugin.presenters.admin_viewsets import KeptForTheAudit, PresenterViewSet, group_permissions
from video_plugin.presenters.log_actions import register_log_actions
from video_plugin.presenters.report import (
    REPORT_RESULTS_URL_NAME,
    REPORT_URL_NAME,
    ConsentReportMenuItem,
    ConsentReportView,
    consent_report_menu_item,
)

hooks.register("register_bulk_action", GenerateVideosBulkAction)
hooks.register("register_bulk_action", GenerateVideosForTranslationsBulkAction)
register_policy(WebhookDelivery, ReadOnlyPolicy(WebhookDelivery))

# Registered here rather than on the model: without wagtail.contrib.settings (whose URLs the menu item links
# to) the admin would fail on every page; manage.py check says what to add instead (video_plugin.E001).
if apps.is_installed("wagtail.contrib.settings"):
    register_setting(VideoSiteSettings, icon="media")


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    return [path("video/", include(urls, namespace="video_plugin"))]


@hooks.register("register_admin_viewset")
def register_headless_api_viewsets() -> HeadlessAPIViewSetGroup:
    return HeadlessAPIViewSetGroup()


@hooks.register("register_admin_viewset")
def register_brand_kit_viewset() -> BrandKitViewSet:
    return BrandKitViewSet()


@hooks.register("register_permissions")
def register_generate_permission() -> QuerySet[Permission]:
    """Shows "Can generate presenter videos" on Settings → Groups, where the default tenancy's rights are
    granted."""
    return Permission.objects.filter(
        content_type__app_label="video_plugin", codename=GENERATE_PERMISSION_CODENAME
    )


# --- Settings → Presenters (video_plugin.presenters.admin_viewsets) -----------------------------------------

register_policy(Presenter, KeptForTheAudit(Presenter))


@hooks.register("register_admin_viewset")
def register_presenter_viewset() -> PresenterViewSet:
    return PresenterViewSet()


@hooks.register("register_permissions")
def register_consent_record_permissions() -> QuerySet[Permission]:
    """Shows add, change (revoke) and view of consent records on Settings → Groups, beside presenters'."""
    return group_permissions().filter(content_type__model="consentrecord")


@hooks.register("register_log_actions")
def register_presenter_log_actions(actions: LogActionRegistry) -> None:
    register_log_actions(actions)


# --- Reports → Presenter consent (video_plugin.presenters.report) ------------------------------------------


@hooks.register("register_admin_urls")
def register_consent_report_urls() -> list:
    return [
        path("reports/presenter-consent/", ConsentReportView.as_view(), name=REPORT_URL_NAME),
        path(
            "reports/presenter-consent/results/",
            ConsentReportView.as_view(results_only=True),
            name=REPORT_RESULTS_URL_NAME,
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_consent_report_menu_item() -> ConsentReportMenuItem:
    return consent_report_menu_item()
