"""The page listing's "Generate videos" bulk actions: a batch for the selected pages, at batch priority, and
the same for the selected pages with all their translations."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.pages.bulk_actions.page_bulk_action import PageBulkAction

from video_plugin.jobs.batch import generate_videos
from video_plugin.mixins import VideoPageMixin
from video_plugin.tenancy import can_generate, get_tenancy


class GenerateVideosBulkAction(PageBulkAction):
    display_name = _("Generate videos")
    action_type = "generate_videos"
    aria_label = _("Generate presenter videos for the selected pages")
    template_name = "video_plugin/bulk_actions/confirm_generate_videos.html"
    action_priority = 80

    def check_perm(self, page: Any) -> bool:
        """Pages that can have a video, in an organization, which the user may generate videos for."""
        page = page.specific
        if not isinstance(page, VideoPageMixin):
            return False
        organization = get_tenancy().organization_for_page(page)
        return organization is not None and can_generate(self.request.user, page)

    @classmethod
    def execute_action(cls, objects: Any, user: Any = None, **kwargs: Any) -> tuple[int, int]:
        report = generate_videos(objects, user=user)
        return len(report.requested), len(report.in_flight) + len(report.failed)

    def get_success_message(self, num_parent_objects: int, num_child_objects: int) -> str:
        return _(
            "%(queued)s video(s) queued at batch priority; "
            "%(skipped)s page(s) were already in flight or could not start (see each page's panel)"
        ) % {"queued": num_parent_objects, "skipped": num_child_objects}


class GenerateVideosForTranslationsBulkAction(GenerateVideosBulkAction):
    """Like "Generate videos", plus every translation of each selected page: one job per locale, each with
    that locale's page's own script and voice. Translations the user may not generate for are skipped."""

    display_name = _("Generate videos for all translations")
    action_type = "generate_videos_all_locales"
    aria_label = _("Generate presenter videos for the selected pages and all their translations")
    action_priority = 81

    @classmethod
    def execute_action(cls, objects: Any, user: Any = None, **kwargs: Any) -> tuple[int, int]:
        report = generate_videos(
            objects, user=user, all_locales=True, may_generate=lambda page: can_generate(user, page)
        )
        skipped = len(report.in_flight) + len(report.failed) + len(report.not_allowed)
        return len(report.requested), skipped

    def get_success_message(self, num_parent_objects: int, num_child_objects: int) -> str:
        return _(
            "%(queued)s video(s) queued at batch priority across the pages' translations; "
            "%(skipped)s translation(s) were already in flight, could not start or are not yours to "
            "generate (see each page's panel)"
        ) % {"queued": num_parent_objects, "skipped": num_child_objects}
