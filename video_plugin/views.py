"""Admin views behind the editor panel: request a video, and read a page's latest job as JSON."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Page

from video_plugin.jobs import VideoRequestError, request_video
from video_plugin.models import VideoJob
from video_plugin.tenancy import OrganizationInfo, can_generate, can_view, get_tenancy


def organization_of(page: Page) -> OrganizationInfo:
    """The page's organization, or 404 for a page outside every organization."""
    organization = get_tenancy().organization_for_page(page)
    if organization is None:
        raise Http404(f"page {page.pk} belongs to no organization")
    return organization


def forbidden(reason: str) -> JsonResponse:
    """A JSON 403: Wagtail's admin turns a raised PermissionDenied into a redirect the panel cannot read."""
    return JsonResponse({"error": reason}, status=403)


@require_POST
def generate(request: HttpRequest, page_id: int) -> JsonResponse:
    """Request a video for the page (owners and admins of its organization, and superusers)."""
    page = get_object_or_404(Page, pk=page_id).specific
    organization = organization_of(page)
    if not can_generate(request.user, organization.id):
        return forbidden("only owners and admins of this organization can generate videos")
    try:
        job = request_video(page, request.user, VideoJob.Trigger.EDITOR)
    except VideoRequestError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"job": job.as_status()}, status=202)


@require_GET
def status(request: HttpRequest, page_id: int) -> JsonResponse:
    """The page's latest job, for members of its organization."""
    page = get_object_or_404(Page, pk=page_id)
    organization = organization_of(page)
    if not can_view(request.user, organization.id):
        return forbidden("only members of this organization can see its video jobs")
    job = VideoJob.objects.filter(page_id=page.pk).select_related("media").first()
    return JsonResponse({"job": job.as_status() if job else None})
