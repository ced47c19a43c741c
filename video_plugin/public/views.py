"""Public views a host mounts on its site (``video_plugin.public.urls``): only live pages' current videos."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET
from wagtail.models import Page

from video_plugin.models import VideoJob
from video_plugin.public.captions import captions_response


@require_GET
def page_captions(request: HttpRequest, page_id: int) -> HttpResponse:
    """The captions of a live page's current video, for the ``<track>`` of the site's player; with
    ``?format=``, those of that rendition (the player's script points the track at the source it plays)."""
    page = get_object_or_404(Page.objects.live(), pk=page_id)
    job = (
        VideoJob.objects.filter(page_id=page.pk, is_current=True, status=VideoJob.Status.SUCCEEDED)
        .select_related("media")
        .first()
    )
    response = captions_response(job, request.GET.get("format"))
    response["Cache-Control"] = f"public, {response['Cache-Control']}"
    return response
