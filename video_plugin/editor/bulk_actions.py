"""The page listing's "Generate videos" bulk action: a batch for the selected pages, at batch priority."""

from __future__ import annotations

from typing import Any

from wagtail.admin.views.pages.bulk_actions.page_bulk_action import PageBulkAction

from video_plugin.jobs.batch import generate_videos
from video_plugin.mixins import VideoPageMixin
from video_plugin.tenancy import can_generate, get_tenancy


class GenerateVideosBulkAction(PageBulkAction):
    display_name = "Generate videos"
    action_type = "generate_videos"
    aria_label = "Generate presenter videos for the selected pages"
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
        return (
            f"{num_parent_objects} video(s) queued at batch priority; "
            f"{num_child_objects} page(s) were already in flight or could not start (see each page's panel)"
        )
