"""The panel's *Generate for all translations*: one batch-priority job for the page and for each of its
translations (Wagtail i18n), each with that locale's own script and voice.

Asked as generate is: POST with Django's CSRF token, by someone who may generate videos for the page. Each
translation is checked on its own too; those the user may not generate for are skipped and named in the
answer.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from video_plugin.editor.views import not_a_generator, organization_page
from video_plugin.jobs.batch import BatchReport, generate_videos
from video_plugin.tenancy import can_generate


def page_facts(page: Any, why: str = "") -> dict[str, Any]:
    """A page of the answer: its id, title and locale, and why it got no new job when it did not."""
    locale = getattr(page, "locale", None)
    facts = {"page_id": page.pk, "title": page.title, "locale": locale.language_code if locale else ""}
    return {**facts, "why": why} if why else facts


def report_json(report: BatchReport) -> dict[str, Any]:
    return {
        "requested": [page_facts(page) for page in report.requested],
        "in_flight": [page_facts(page) for page in report.in_flight],
        "failed": [page_facts(page, why) for page, why in report.failed],
        "not_narratable": [page_facts(page, why) for page, why in report.not_narratable],
        "not_allowed": [page_facts(page) for page in report.not_allowed],
        "summary": report.summary(),
    }


def wants_json(request: HttpRequest) -> bool:
    """A script or the panel's controller asks for JSON; the panel's plain button submits the page's form."""
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


@require_POST
def generate_translations(request: HttpRequest, page_id: int) -> HttpResponse:
    """Queue a video for the page and each of its translations at batch priority (202 with what was done).

    A form POST (the panel's button) is answered with a redirect back to the page's editor and a message.
    """
    page = organization_page(page_id).specific
    if not can_generate(request.user, page):
        return not_a_generator(_("only %(who)s can generate videos"))
    report = generate_videos(
        [page],
        user=request.user,
        all_locales=True,
        may_generate=lambda each: can_generate(request.user, each),
    )
    if wants_json(request):
        return JsonResponse(report_json(report), status=202)
    level = messages.WARNING if report.failed or report.not_allowed else messages.SUCCESS
    messages.add_message(request, level, _("All translations: %(summary)s.") % {"summary": report.summary()})
    for each in report.not_allowed:
        messages.warning(
            request,
            _("Skipped %(locale)s %(title)r: not yours to generate.")
            % {"locale": page_facts(each)["locale"], "title": each.title},
        )
    for each, why in report.failed:
        messages.warning(
            request,
            _("%(locale)s %(title)r did not start: %(reason)s")
            % {"locale": page_facts(each)["locale"], "title": each.title, "reason": why},
        )
    return redirect("wagtailadmin_pages:edit", page.pk)
