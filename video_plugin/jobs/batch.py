"""Batch generation: request videos for many pages at once, at the runners' lowest priority.

Shared by ``manage.py generate_videos``, the page listing's bulk actions and the panel's "Generate for all
translations", so all skip, join and report alike. Each translation of a page (Wagtail i18n) is a page of its
own, so "all translations" is the pages and their translations, one job each, with each page's own script and
voice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from video_plugin.jobs.requests import VideoRequestError, active_job, request_video
from video_plugin.mixins import VideoPageMixin
from video_plugin.models import VideoJob


@dataclass
class BatchReport:
    """What a batch did (or, for a dry run, would do), page by page."""

    dry_run: bool
    requested: list[Any] = field(default_factory=list)  # pages that got (or would get) a new job
    in_flight: list[Any] = field(default_factory=list)  # pages whose job already queued or running was joined
    has_video: list[Any] = field(default_factory=list)  # pages skipped by missing_only
    failed: list[tuple[Any, str]] = field(default_factory=list)  # (page, why) for jobs that failed at once
    not_narratable: list[tuple[Any, str]] = field(
        default_factory=list
    )  # (page, why) for pages without videos
    not_allowed: list[Any] = field(default_factory=list)  # pages the requesting user may not generate for

    def summary(self) -> str:
        """The counts, one clause each, separated by semicolons (also the management command's output)."""
        requested = len(self.requested)
        counted = [
            (
                ngettext("would request %(count)s video(s)", "would request %(count)s video(s)", requested)
                if self.dry_run
                else ngettext("requested %(count)s video(s)", "requested %(count)s video(s)", requested),
                requested,
            ),
            (
                ngettext("%(count)s already in flight", "%(count)s already in flight", len(self.in_flight)),
                len(self.in_flight),
            ),
            (
                ngettext(
                    "%(count)s skipped with a video", "%(count)s skipped with a video", len(self.has_video)
                ),
                len(self.has_video),
            ),
            (
                ngettext("%(count)s failed at once", "%(count)s failed at once", len(self.failed)),
                len(self.failed),
            ),
            (
                ngettext(
                    "%(count)s page(s) cannot have a video",
                    "%(count)s page(s) cannot have a video",
                    len(self.not_narratable),
                ),
                len(self.not_narratable),
            ),
        ]
        if self.not_allowed:
            counted.append(
                (
                    ngettext(
                        "%(count)s page(s) you may not generate videos for",
                        "%(count)s page(s) you may not generate videos for",
                        len(self.not_allowed),
                    ),
                    len(self.not_allowed),
                )
            )
        # Translators: the separator between the clauses of a batch's summary.
        return _("; ").join(clause % {"count": count} for clause, count in counted)


def with_translations(pages: Iterable[Any]) -> list[Any]:
    """Each page followed by its translations in every other locale, each page once.

    Without Wagtail i18n a page has no translations, so this is the pages themselves.
    """
    seen: set[int] = set()
    expanded = []
    for page in pages:
        translations = page.get_translations().order_by("locale__language_code", "pk")
        for each in (page, *translations):
            if each.pk not in seen:
                seen.add(each.pk)
                expanded.append(each)
    return expanded


def pages_with_current_video(page_ids: Iterable[int]) -> set[int]:
    return set(
        VideoJob.objects.filter(page_id__in=list(page_ids), is_current=True).values_list("page_id", flat=True)
    )


def generate_videos(
    pages: Iterable[Any],
    user: Any = None,
    missing_only: bool = False,
    dry_run: bool = False,
    *,
    all_locales: bool = False,
    may_generate: Callable[[Any], bool] | None = None,
) -> BatchReport:
    """Request a batch-priority video for each page; with ``missing_only``, only for pages without one.

    ``all_locales`` adds every translation of each page. ``may_generate(page)``, when given, is asked for
    each page (the user's permission): a page it refuses is reported in ``not_allowed`` and skipped.

    Each page is requested on its own, with its own default script and voice: one page's missing image fails
    that page's job, not the batch. The ``render_video`` messages go to the batch queue, which runners take
    only when no editor or API job waits.
    """
    pages = with_translations(pages) if all_locales else list(pages)
    pages = [page.specific for page in pages]
    report = BatchReport(dry_run=dry_run)
    with_video = pages_with_current_video(page.pk for page in pages) if missing_only else set()
    for page in pages:
        if not isinstance(page, VideoPageMixin):
            # Translators: %(type)s is the page type's name, e.g. "HomePage".
            report.not_narratable.append(
                (page, _("%(type)s pages have no presenter video") % {"type": type(page).__name__})
            )
        elif may_generate is not None and not may_generate(page):
            report.not_allowed.append(page)
        elif page.pk in with_video:
            report.has_video.append(page)
        elif active_job(page) is not None:
            report.in_flight.append(page)
        elif dry_run:
            report.requested.append(page)
        else:
            request_one(page, user, report)
    return report


def request_one(page: Any, user: Any, report: BatchReport) -> None:
    try:
        job = request_video(page, user, VideoJob.Trigger.BATCH)
    except VideoRequestError as exc:
        report.not_narratable.append((page, str(exc)))
        return
    if job.status == VideoJob.Status.FAILED:
        report.failed.append((page, job.error_message))
    elif job.trigger != VideoJob.Trigger.BATCH:
        report.in_flight.append(page)  # another request won the race for this page
    else:
        report.requested.append(page)
