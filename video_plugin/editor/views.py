"""Admin views behind the editor panel. Each answers JSON (the layout preview a JPEG), asks the tenancy on
the server whether the user may, and answers 403 (or 404 for a page outside every organization) with no
data to anyone else.

Who may generate, cancel and choose the current video, and who may only read, is the tenancy's answer for
the page (:mod:`video_plugin.tenancy`); superusers may do everything. POSTs need Django's CSRF token, which
the panel sends in ``X-CSRFToken``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from wagtail.images import get_image_model
from wagtail.models import Page

from gpu_runner.protocol import ProtocolError, check_voice_id
from video_plugin.conf import video_settings
from video_plugin.editor.face_check import check_face
from video_plugin.editor.layout_choice import read_layout_choice, valid_choices
from video_plugin.editor.layout_preview import LAYOUT_NOTE_HEADER, layout_preview, preview_choice
from video_plugin.editor.state import job_state, panel_state
from video_plugin.editor.voice_previews import is_servable, request_preview, stored_preview
from video_plugin.jobs.cancellation import cancel_job
from video_plugin.jobs.capabilities import read_capabilities
from video_plugin.jobs.going_live import consent_lapsed, go_live
from video_plugin.jobs.languages import language_name
from video_plugin.jobs.requests import VideoRequestError, request_video
from video_plugin.jobs.scripts import TONES, ScriptError, write_script
from video_plugin.jobs.speech_time import duration_text, estimated_speech_seconds, script_limit
from video_plugin.models import VideoJob
from video_plugin.permissions import permission_policy_for
from video_plugin.presenters.standing import photo_standing
from video_plugin.public.captions import captions_response
from video_plugin.tenancy import OrganizationInfo, can_generate, can_view, get_tenancy


class BadRequest(Exception):
    """A request the editor can fix; its message says what and how."""


def organization_of(page: Page) -> OrganizationInfo:
    """The page's organization, or 404 for a page outside every organization."""
    organization = get_tenancy().organization_for_page(page)
    if organization is None:
        raise Http404(f"page {page.pk} belongs to no organization")
    return organization


def organization_page(page_id: int) -> Page:
    """The page, or 404 when there is none or it belongs to no organization."""
    page = get_object_or_404(Page, pk=page_id)
    organization_of(page)
    return page


def forbidden(reason: str) -> JsonResponse:
    """A JSON 403: Wagtail's admin turns a raised PermissionDenied into a redirect the panel cannot read."""
    return JsonResponse({"error": reason}, status=403)


def not_a_generator(sentence: str) -> JsonResponse:
    """403 for a user the tenancy does not let do what ``sentence`` says ("only %(who)s can generate
    videos", translated), naming who may."""
    return forbidden(sentence % {"who": get_tenancy().who_may_generate})


def not_a_viewer(sentence: str) -> JsonResponse:
    """403 for a user the tenancy does not let see the page's videos, naming who may in ``sentence``."""
    return forbidden(sentence % {"who": get_tenancy().who_may_view})


def bad_request(reason: str, **details: Any) -> JsonResponse:
    return JsonResponse({"error": reason, **details}, status=400)


def request_data(request: HttpRequest) -> dict[str, Any]:
    """The POST's fields, from a JSON body or a form; an empty body is no fields."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise BadRequest(_("the request body is not JSON: %(error)s") % {"error": exc}) from None
        if not isinstance(data, dict):
            raise BadRequest(_("the request body must be a JSON object"))
        return data
    return request.POST.dict()


def chosen_image(request: HttpRequest, image_id: Any) -> Any:
    """The image with ``image_id`` if the user may choose it, else a :class:`BadRequest`."""
    try:
        pk = int(image_id)
    except (TypeError, ValueError):
        raise BadRequest(_("image id %(id)r is not a number") % {"id": image_id}) from None
    policy = permission_policy_for(get_image_model())
    choosable = policy.instances_user_has_permission_for(request.user, "choose")
    image = choosable.filter(pk=pk).first()
    if image is None:
        raise BadRequest(_("image %(id)s does not exist or is not in a collection you can use") % {"id": pk})
    return image


def default_voice(organization: OrganizationInfo) -> str:
    """The voice a job of ``organization`` gets when the editor chooses none."""
    return organization.default_voice or video_settings.DEFAULT_VOICE


def checked_script(data: dict[str, Any], organization: OrganizationInfo, language: str) -> str | None:
    """The editor's script, or ``None`` to compose one; refuses one longer than the limit for its
    ``language`` (the page's) and voice."""
    script = str(data.get("script") or "").strip()
    # The voice is checked after the script; an unknown one only makes the limit and estimate rougher ones.
    voice = str(data.get("voice") or "").strip() or default_voice(organization)
    limit = script_limit(voice, language)
    if len(script) > limit:
        spoken = duration_text(estimated_speech_seconds(script, voice, language))
        raise BadRequest(
            # Translators: the script is in the page's language; its limit depends on that language.
            _(
                "the script has %(count)s characters; shorten it to at most %(limit)s, the limit for "
                "%(language)s (about %(spoken)s spoken now)"
            )
            % {"count": len(script), "language": language_name(language), "limit": limit, "spoken": spoken}
        )
    return script or None


def checked_voice(data: dict[str, Any]) -> str | None:
    """The chosen voice, or ``None`` for the default; refuses a voice no online runner offers."""
    voice = str(data.get("voice") or "").strip()
    if not voice:
        return None
    try:
        check_voice_id(voice)
    except ProtocolError as exc:
        raise BadRequest(str(exc)) from None
    runner = read_capabilities()
    if runner.online and not runner.offers_voice(voice):
        raise BadRequest(not_offered(voice))
    return voice


def not_offered(voice: str) -> str:
    return _("voice %(voice)r is not offered by any online runner; choose one from the list") % {
        "voice": voice
    }


@require_POST
def generate(request: HttpRequest, page_id: int) -> JsonResponse:
    """Request a video for the page with an optional ``script``, ``voice`` and ``image_id``, and the finished
    videos' ``layout``, ``formats`` and ``burn_captions`` (each the organization's default when left out)."""
    page = organization_page(page_id).specific
    if not can_generate(request.user, page):
        return not_a_generator(_("only %(who)s can generate videos"))
    try:
        data = request_data(request)
        choice = read_layout_choice(data)
    except ProtocolError as exc:
        return bad_request(str(exc), valid=valid_choices())
    except BadRequest as exc:
        return bad_request(str(exc))
    try:
        script = checked_script(data, organization_of(page), page.video_language())
        voice = checked_voice(data)
        image = chosen_image(request, data["image_id"]) if data.get("image_id") else None
        job = request_video(
            page,
            request.user,
            VideoJob.Trigger.EDITOR,
            script=script,
            voice=voice,
            image=image,
            layout=choice.layout,
            formats=choice.formats,
            burn_captions=choice.burn_captions,
        )
    except (BadRequest, VideoRequestError) as exc:
        return bad_request(str(exc))
    return JsonResponse({"job": job_state(job, read_capabilities())}, status=202)


@require_GET
def layout_preview_image(request: HttpRequest, page_id: int) -> HttpResponse:
    """A JPEG of ``?layout=`` in ``?format=`` for the page: its presenter (``?image_id=``, else the page's or
    the organization's), its product pictures and the organization's brand kit, drawn before anything is
    queued. ``?burn_captions=`` adds a sample caption. Each left out takes the organization's default."""
    page = organization_page(page_id).specific
    if not can_view(request.user, page):
        return not_a_viewer(_("only %(who)s can preview this page's videos"))
    organization = organization_of(page)
    try:
        choice = preview_choice(request.GET, organization.id)
        image = chosen_image(request, request.GET["image_id"]) if request.GET.get("image_id") else None
    except ProtocolError as exc:
        return bad_request(str(exc), valid=valid_choices())
    except BadRequest as exc:
        return bad_request(str(exc))
    preview = layout_preview(page, organization, choice, image)
    # Wagtail's admin marks every answer no-store, so a preview of an older brand kit is never shown again.
    response = HttpResponse(preview.jpeg, content_type="image/jpeg")
    if preview.note:
        # Percent-encoded: a header carries Latin-1 only, and the note is in the editor's language.
        response[LAYOUT_NOTE_HEADER] = quote(preview.note)
    return response


@require_GET
def status(request: HttpRequest, page_id: int) -> JsonResponse:
    """The panel's state for the page (latest job, history, runners), for those who may see its videos."""
    page = organization_page(page_id)
    if not can_view(request.user, page):
        return not_a_viewer(_("only %(who)s can see this page's video jobs"))
    return JsonResponse(panel_state(page.pk))


@require_GET
def job_captions(request: HttpRequest, page_id: int, job_id: str) -> HttpResponse:
    """A job's captions for the panel's player (any of the page's finished videos, drafts included); with
    ``?format=``, those of that rendition, timed to it (after an intro card)."""
    page, job = page_job(page_id, job_id)
    if not can_view(request.user, page):
        return not_a_viewer(_("only %(who)s can see this page's videos"))
    response = captions_response(job, request.GET.get("format"))
    response["Cache-Control"] = f"private, {response['Cache-Control']}"
    return response


def page_job(page_id: int, job_id: str) -> tuple[Page, VideoJob]:
    """The page and one of its jobs; 404 when the job is not this page's, or the page no organization's."""
    page = organization_page(page_id)
    job = get_object_or_404(VideoJob.objects.select_related("media"), page_id=page.pk, job_id=job_id)
    return page, job


@require_POST
def cancel(request: HttpRequest, page_id: int, job_id: str) -> JsonResponse:
    """Cancel the page's queued or running job, in the database and for the runner."""
    page, job = page_job(page_id, job_id)
    if not can_generate(request.user, page):
        return not_a_generator(_("only %(who)s can cancel videos"))
    outcome = cancel_job(job, request.user.get_username())
    if not outcome.cancelled:
        reason = _("the job has already ended (%(status)s); nothing to cancel") % {
            "status": outcome.job.get_status_display()
        }
        return JsonResponse({"error": reason}, status=409)
    return JsonResponse(
        {"job": job_state(outcome.job, read_capabilities()), "runner_told": outcome.runner_told}
    )


@require_POST
def make_current(request: HttpRequest, page_id: int, job_id: str) -> JsonResponse:
    """*Make live*: one of the page's finished videos becomes the one the live page shows, now.

    That changes the live page, so it takes the right to publish the page as well as to generate for it.
    """
    page, job = page_job(page_id, job_id)
    if not can_generate(request.user, page):
        return not_a_generator(_("only %(who)s can choose the live video"))
    if not page.permissions_for_user(request.user).can_publish():
        return JsonResponse(
            {"error": _("making a video live changes the live page: only people who may publish it can")},
            status=403,
        )
    if job.status != VideoJob.Status.SUCCEEDED or job.media_id is None:
        return JsonResponse(
            {"error": _("job %(job)s has no finished video to show") % {"job": job.job_id}}, status=409
        )
    lapsed = consent_lapsed(job)
    if lapsed:
        return JsonResponse(
            {"error": _("this video can no longer be shown: %(reason)s") % {"reason": lapsed}}, status=409
        )
    go_live(job)
    return JsonResponse(panel_state(page.pk))


@require_GET
def written_script(request: HttpRequest, page_id: int) -> JsonResponse:
    """A script written from the page's latest draft (title, description, price) in the page's language and
    ``?tone=``, with how long it lasts spoken by ``?voice=`` (the organization's default voice when empty)
    and the longest script in that language the voice should get (``limit``). A language without templates
    is a 400 that names it."""
    page = organization_page(page_id).specific
    if not can_view(request.user, page):
        return not_a_viewer(_("only %(who)s can write this page's video scripts"))
    tone = request.GET.get("tone") or "friendly"
    if tone not in TONES:
        return bad_request(
            _("tone %(tone)r is not one of %(tones)s") % {"tone": tone, "tones": ", ".join(TONES)}
        )
    # The latest revision holds the editor's unpublished (and autosaved) changes to the title and description.
    draft = page.get_latest_revision_as_object() if page.get_latest_revision() else page
    source = draft.video_script_source()
    try:
        script = write_script(source, tone)
    except ScriptError as exc:
        return bad_request(str(exc), language=source.language)
    voice = request.GET.get("voice") or default_voice(organization_of(page))
    seconds = estimated_speech_seconds(script, voice, source.language)
    return JsonResponse(
        {
            "script": script,
            "language": source.language,
            "chars": len(script),
            "limit": script_limit(voice, source.language),
            "seconds": seconds,
            "spoken": duration_text(seconds),
        }
    )


@require_GET
def face_check(request: HttpRequest, page_id: int) -> JsonResponse:
    """Whether ``?image_id=`` shows one usable face (a warning only; the runner decides), and whose presenter
    photo it is."""
    page = organization_page(page_id)
    if not can_view(request.user, page):
        return not_a_viewer(_("only %(who)s can check this page's presenter images"))
    try:
        image = chosen_image(request, request.GET.get("image_id"))
    except BadRequest as exc:
        return bad_request(str(exc))
    # Whose face it is, and whether their consent lets it be used, beside the face itself.
    standing = photo_standing(organization_of(page), image).as_json()
    return JsonResponse({**check_face(image).as_json(), "presenter": standing})


@require_POST
def voice_preview(request: HttpRequest, page_id: int) -> JsonResponse:
    """A sample of ``voice`` (the organization's default when empty) for the panel's player.

    200 with the audio URL once a runner has stored it (then for good: one preview per voice); otherwise 202
    after asking a runner for one, and the panel asks again shortly.
    """
    page = get_object_or_404(Page, pk=page_id)
    organization = organization_of(page)
    if not can_generate(request.user, page):
        return not_a_generator(_("only %(who)s can preview voices"))
    try:
        data = request_data(request)
    except BadRequest as exc:
        return bad_request(str(exc))
    voice = str(data.get("voice") or "").strip() or organization.default_voice or video_settings.DEFAULT_VOICE
    try:
        check_voice_id(voice)
    except ProtocolError as exc:
        return bad_request(str(exc))
    preview = stored_preview(voice)
    if preview is not None and is_servable(preview):
        return JsonResponse(preview.as_json())
    runner = read_capabilities()
    if runner.known and not runner.online:
        return JsonResponse(
            {
                "error": _(
                    "no video runner is online to voice a preview; start one (python -m gpu_runner serve)"
                )
            },
            status=409,
        )
    if runner.online and not runner.offers_voice(voice):
        return bad_request(not_offered(voice))
    request_preview(voice)
    return JsonResponse({"ready": False, "voice": voice}, status=202)
