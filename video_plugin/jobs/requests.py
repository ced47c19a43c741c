"""Requesting a page's video: resolve defaults, join a job in flight, record the job, send after commit."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from nanoid import generate as nanoid
from wagtail.models import Page

from gpu_runner.protocol import (
    TOKEN_ALPHABET,
    TOKEN_LENGTH,
    Composition,
    Disclosure,
    ErrorCode,
    Provenance,
    RenderRequest,
    video_key,
    without_control_characters,
)
from video_plugin.conf import video_settings
from video_plugin.jobs.capabilities import read_capabilities
from video_plugin.jobs.composition import brand_kit_for, disclosure_of, job_choices, plan_composition
from video_plugin.jobs.going_live import finish
from video_plugin.jobs.languages import language_name
from video_plugin.jobs.messaging import send_render_request
from video_plugin.jobs.presenters import file_presenter, may_use_image
from video_plugin.jobs.scripts import compose_script, missing_script_reason
from video_plugin.jobs.speech_time import script_limit
from video_plugin.jobs.voices import NoVoiceForLanguage, voice_for
from video_plugin.mixins import VideoPageMixin
from video_plugin.models import BrandKit, Presenter, VideoJob
from video_plugin.presenters.consent import consent_reference, presenter_of_photo, usability
from video_plugin.presenters.provenance import is_ai_generated
from video_plugin.tenancy import OrganizationInfo, get_tenancy
from video_plugin.webhooks.delivery import queue_deliveries

logger = logging.getLogger(__name__)


class VideoRequestError(Exception):
    """A page that cannot have a video at all (not narratable, or outside every organization)."""


def request_video(
    page: Page,
    user: Any,
    trigger: str,
    script: str | None = None,
    voice: str | None = None,
    image: Any = None,
    api_token: Any = None,
    *,
    presenter: Any = None,
    layout: str | None = None,
    formats: Sequence[str] | None = None,
    burn_captions: bool | None = None,
) -> VideoJob:
    """Ask the runner for a presenter video of ``page`` and return the job that tracks it.

    ``layout``, ``formats`` and ``burn_captions`` choose the finished videos; ``None`` takes the
    organization's brand kit defaults (:func:`~video_plugin.jobs.composition.job_choices`). An unknown layout
    or format raises :class:`gpu_runner.protocol.ProtocolError` (a ``ValueError``) listing the valid ones.

    The face is a :class:`~video_plugin.models.Presenter`'s: ``presenter``, else the presenter whose photo is
    ``image``, the page's presenter photo or the organization's default. A photo that is no presenter's, or a
    presenter without consent (or licence) in force, fails the job with the reason and who can fix it.

    A job already queued or running for the page is returned instead of a new one. Missing inputs (no script,
    no presenter) give a job that has already failed with a message saying what to set, and nothing is
    sent. The ``render_video`` message leaves only once the surrounding transaction commits.
    """
    page = page.specific
    if not isinstance(page, VideoPageMixin):
        raise VideoRequestError(f"page {page.pk} ({type(page).__name__}) does not use VideoPageMixin")
    organization = get_tenancy().organization_for_page(page)
    if organization is None:
        raise VideoRequestError(f"page {page.pk} ({page.title!r}) belongs to no organization")
    if trigger not in VideoJob.Trigger.values:
        raise ValueError(f"trigger {trigger!r} is not one of {VideoJob.Trigger.values}")
    kit = brand_kit_for(organization.id)
    choices = job_choices(kit, layout, formats, burn_captions)

    with transaction.atomic():
        in_flight = active_job(page)
        if in_flight is not None:
            return in_flight
        job = build_job(page, organization, user, trigger, script, voice, presenter or image, kit)
        job.layout, job.formats, job.burn_captions = choices[0], list(choices[1]), choices[2]
        composition = compose(job, page, organization, kit)
        job.api_token = api_token
        twin = finished_twin(job) if job.status == VideoJob.Status.QUEUED else None
        if twin is not None:
            reuse_video(job, twin)
        try:
            # A savepoint, so that losing the race for the page's one active job leaves the outer transaction
            # usable.
            with transaction.atomic():
                if twin is not None:
                    finish(job, organization)
                job.save()
        except IntegrityError:
            in_flight = active_job(page)
            if in_flight is None:
                raise
            return in_flight
        if job.status == VideoJob.Status.FAILED:
            queue_deliveries(job)  # a job that fails before the runner sees it is still news to webhooks
        if job.status == VideoJob.Status.QUEUED:
            request = RenderRequest(
                job_id=job.job_id,
                organization_id=job.organization_id,
                page_id=page.pk,
                image_key=job.image_key,
                script=job.script,
                voice=job.voice,
                renderer=job.renderer,
                output_key=job.output_key,
                options=dict(video_settings.RENDER_OPTIONS),
                composition=composition,
                disclosure=Disclosure.from_dict(job.disclosure),
                provenance=Provenance(
                    organization_id=organization.id,
                    organization=organization.name,
                    presenter_consent=job.consent_reference,
                    presenter_kind=job.presenter.kind,
                ),
            )
            transaction.on_commit(lambda: send_or_fail(job, request))
    return job


def finished_twin(job: VideoJob) -> VideoJob | None:
    """A succeeded job of the same organization with the same ``input_hash`` whose video still exists.

    The hash covers the image's bytes, the script, the voice, the renderer and the render options; the
    organization is part of the match because a video belongs to one organization's collection. The weights
    are known only to the runners: when online runners report theirs, a twin rendered with other weights (an
    older model) is not reused, so a model upgrade re-renders rather than serving the old video.
    """
    if not job.input_hash:
        return None
    twins = VideoJob.objects.filter(
        organization_id=job.organization_id,
        input_hash=job.input_hash,
        status=VideoJob.Status.SUCCEEDED,
        media__isnull=False,
    )
    twins = twins.select_related("media").order_by("-finished_at", "-pk")
    # Asking Redis what the runners render with is only worth it when there is a twin to compare.
    if not twins.exists():
        return None
    current_weights = read_capabilities().weights_of(job.renderer)
    return (twins.filter(weights__in=current_weights) if current_weights else twins).first()


def reuse_video(job: VideoJob, twin: VideoJob) -> None:
    """Make the unsaved ``job`` a finished job showing ``twin``'s video: no render, nothing sent. Whether it
    goes live is :func:`~video_plugin.jobs.going_live.finish`'s to say, as for a rendered one.

    A reused job is told apart by ``attempt == 0``: no runner ever tried it.
    """
    now = timezone.now()
    job.status = VideoJob.Status.SUCCEEDED
    job.attempt = 0
    job.media = twin.media
    job.output_key, job.captions_key = twin.output_key, twin.captions_key
    job.voice_engine, job.voice_used = twin.voice_engine, twin.voice_used
    job.renderer_used, job.weights, job.fallbacks = twin.renderer_used, twin.weights, list(twin.fallbacks)
    # The same input composed the same finished videos: every rendition is served as it is.
    job.renditions, job.audio = list(twin.renditions), dict(twin.audio)
    job.credentials = dict(twin.credentials)
    job.fraction = 1.0
    job.started_at = job.finished_at = now


def active_job(page: Page) -> VideoJob | None:
    """The page's queued or running job, if any."""
    return VideoJob.objects.filter(page_id=page.pk, status__in=VideoJob.ACTIVE).first()


def build_job(
    page: Any,
    organization: OrganizationInfo,
    user: Any,
    trigger: str,
    script: str | None,
    voice: str | None,
    face: Any,
    kit: BrandKit,
) -> VideoJob:
    """An unsaved job with every default resolved; already failed when an input is missing.

    ``face`` is a :class:`Presenter`, an image (a presenter's photo) or ``None`` for the page's or the
    organization's.
    """
    source = page.video_script_source()
    script = without_control_characters(script or "").strip() or compose_script(source)
    no_voice: NoVoiceForLanguage | None = None
    try:
        # A voice named by the editor or the API is kept as given; else the page's language decides.
        voice = voice or voice_for(page, organization, kit)
    except NoVoiceForLanguage as exc:
        voice, no_voice = "", exc
    face = face or page.video_presenter_image() or organization.default_presenter_image
    presenter = face if isinstance(face, Presenter) else presenter_of_photo(organization.id, face)
    image = presenter.photo if presenter is not None else face
    job = VideoJob(
        organization_id=organization.id,
        page=page,
        trigger=trigger,
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        script=script,
        voice=voice,
        renderer=video_settings.RENDERER,
        image=image,
        presenter=presenter,
        disclosure=disclosure_of(kit, source.language).to_dict(),
    )
    if presenter is not None:
        usable = usability(presenter)
        job.consent = usable.consent
        job.consent_reference = consent_reference(presenter, usable) if usable.usable else ""
    # The longest script the voice is given in the page's script language: shorter for languages that say
    # more per character (Japanese, Chinese) than the English the setting is sized for.
    limit = script_limit(voice, source.language)
    if not script:
        fail(
            job,
            ErrorCode.EMPTY_SCRIPT,
            # Nothing on the page to speak about, or no templates in the page's language.
            # Translators: %(page)s is the quoted page title, %(reason)s a sentence saying what is missing.
            _("page %(page)s: %(reason)s")
            % {"page": repr(page.title), "reason": missing_script_reason(source)},
        )
    elif len(script) > limit:
        fail(
            job,
            ErrorCode.SCRIPT_TOO_LONG,
            # Translators: %(page)s is the quoted page title, %(language)s the name of the script's language
            # ("Japanese"), %(limit)s the most characters a script in that language may have.
            _(
                "the script for page %(page)s has %(count)s characters; shorten it to at most %(limit)s, the "
                "limit for %(language)s"
            )
            % {
                "page": repr(page.title),
                "count": len(script),
                "language": language_name(source.language),
                "limit": limit,
            },
        )
    elif no_voice is not None:
        fail(job, ErrorCode.UNKNOWN_VOICE, str(no_voice))
    elif image is None:
        fail(
            job,
            ErrorCode.NO_IMAGE,
            # Translators: %(page)s is the quoted page title, %(organization)s the quoted organization name.
            _(
                "no presenter image for page %(page)s: choose one in the page's 'Presenter image' field, "
                "or set a default presenter image on organization %(organization)s"
            )
            % {"page": repr(page.title), "organization": repr(organization.name)},
        )
    elif not may_use_image(organization, image) or (
        presenter is not None and presenter.organization_id != organization.id
    ):
        fail(
            job,
            ErrorCode.IMAGE_NOT_ALLOWED,
            # Translators: %(image)s is the quoted image title, %(organization)s the quoted organization name.
            _(
                "the presenter image %(image)s (id %(id)s) is not one of %(organization)s's images: choose a "
                "presenter image from the organization's own collection"
            )
            % {"image": repr(image.title), "id": image.pk, "organization": repr(organization.name)},
        )
    elif presenter is None:
        fail(
            job,
            ErrorCode.NOT_A_PRESENTER,
            # Translators: %(who)s names the people who may manage presenters, e.g. "owners and admins".
            _(
                "the image %(image)s is no presenter of %(organization)s: a face is animated only as a "
                "presenter with a consent record. Ask %(who)s to add it."
            )
            % {
                "image": repr(image.title),
                "organization": repr(organization.name),
                "who": get_tenancy().who_may_manage_presenters,
            },
        )
    elif not job.consent_reference:
        fail(job, ErrorCode.NO_CONSENT, usability(presenter).reason)
    elif presenter.kind == Presenter.Kind.PERSON and is_ai_generated(image):
        # Checked again here, not only when the presenter was saved: an image's file can be replaced since.
        fail(
            job,
            ErrorCode.NO_CONSENT,
            # Translators: %(who)s names the people who may manage presenters, e.g. "owners and admins".
            _(
                "the photo of presenter %(presenter)s says in its content credentials that a trained model "
                "made it, so it shows no person who consented: only a synthetic presenter, with its licence, "
                "may use it. Ask %(who)s to record it so."
            )
            % {"presenter": repr(presenter.name), "who": get_tenancy().who_may_manage_presenters},
        )
    else:
        try:
            job.image_key = file_presenter(organization, image)
        except Exception as exc:  # each storage backend raises its own kinds (OSError, botocore's, …)
            logger.warning("could not file the presenter image %s: %s", image.pk, exc)
            fail(
                job,
                ErrorCode.STORAGE_UNREACHABLE,
                # Translators: %(error)s is the storage's own error, in English; keep VIDEO_STORAGE_URL.
                _(
                    "the presenter image %(image)s could not be read or copied in storage (%(error)s); check "
                    "VIDEO_STORAGE_URL and try again"
                )
                % {"image": repr(image.title), "error": f"{type(exc).__name__}: {exc}"},
            )
            return job
        job.output_key = video_key(organization.id, page.pk, nanoid(TOKEN_ALPHABET, TOKEN_LENGTH))
    return job


def compose(job: VideoJob, page: Any, organization: OrganizationInfo, kit: BrandKit) -> Composition | None:
    """Plan the finished videos of a job that is still to render, note what was left out, and hash its input.

    ``None`` for a job that has already failed. A file that cannot be filed in storage fails the job, as an
    unreadable presenter photo does.
    """
    if job.status != VideoJob.Status.QUEUED:
        return None
    try:
        planned = plan_composition(organization, page, kit, job.layout, tuple(job.formats), job.burn_captions)
    except Exception as exc:  # each storage backend raises its own kinds (OSError, botocore's, …)
        logger.warning("could not file the pictures and sound of page %s: %s", page.pk, exc)
        fail(
            job,
            ErrorCode.STORAGE_UNREACHABLE,
            # Translators: %(error)s is the storage's own error, in English; keep VIDEO_STORAGE_URL.
            _(
                "the product pictures or brand files of page %(page)s could not be read or copied in storage "
                "(%(error)s); check VIDEO_STORAGE_URL and try again"
            )
            % {"page": repr(page.title), "error": f"{type(exc).__name__}: {exc}"},
        )
        return None
    composition = planned.composition
    job.layout = composition.layout  # presenter_product without a picture falls back to presenter
    job.brand_version = composition.brand.version
    job.fallbacks = planned.notes
    job.input_hash = input_hash(job, composition)
    return composition


def input_hash(job: VideoJob, composition: Composition) -> str:
    """The sha256 of everything that decides what the videos look and sound like.

    The composition covers the layout, formats, captions, product name and price, and the brand kit's
    version; its picture, logo and music keys are named by their files' sha256, so a changed picture is a
    changed input.
    """
    image = job.image
    facts = {
        # Wagtail hashes an image's bytes on upload; the key stands in for images saved without a hash.
        "image": getattr(image, "file_hash", "") or job.image_key,
        "script": job.script,
        "voice": job.voice,
        "renderer": job.renderer,
        "options": video_settings.RENDER_OPTIONS,
        "composition": composition.to_dict(),
        "disclosure": job.disclosure,
        # The videos' content credentials name the consent: another consent record is another video.
        "consent": job.consent_reference,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def fail(job: VideoJob, code: str, message: str) -> None:
    """Mark an unsaved or running job failed with a reason a person can act on."""
    job.status = VideoJob.Status.FAILED
    job.error_code = code
    job.error_message = message
    job.finished_at = timezone.now()


def send_or_fail(job: VideoJob, request: RenderRequest) -> None:
    """Send the render request; if the broker is unreachable, record that on the job rather than leave it
    queued.
    """
    try:
        send_render_request(request, job.trigger)
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves the job unsent, which the editor must see
        logger.exception("could not send render_video for job %s", job.job_id)
        VideoJob.objects.filter(pk=job.pk, status=VideoJob.Status.QUEUED).update(
            status=VideoJob.Status.FAILED,
            error_code=ErrorCode.INTERNAL,
            # Translators: %(error)s is the broker's own error, in English; keep Redis and REDIS_URL.
            error_message=_(
                "the job could not be queued (%(error)s); check that Redis (REDIS_URL) is running, then "
                "generate again"
            )
            % {"error": exc},
            finished_at=timezone.now(),
        )
        queue_deliveries(VideoJob.objects.get(pk=job.pk))
