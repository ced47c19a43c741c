"""What the editor panel shows, as JSON: the latest job in plain words, the page's videos, and the runners.

The panel's template renders its first state from this, and the status view answers with it while the panel
polls, so both always agree.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.utils import get_user_display_name

from gpu_runner.protocol import FORMATS, ErrorCode
from video_plugin.editor.labels import format_label, layout_label
from video_plugin.jobs.capabilities import RunnerCapabilities, read_capabilities
from video_plugin.jobs.speech_time import duration_text
from video_plugin.models import VideoJob
from video_plugin.public.playback import Playback, playback_for

HISTORY_LENGTH = 20

STAGE_LABELS = {
    "tts": gettext_lazy("Voicing the script"),
    "face": gettext_lazy("Finding the face"),
    "audio": gettext_lazy("Reading the voice"),
    "render": gettext_lazy("Animating the presenter"),
    "encode": gettext_lazy("Encoding the video"),
    "compose": gettext_lazy("Composing the formats"),
    "upload": gettext_lazy("Uploading"),
}

# What each renderer makes, in an editor's words. The still renderer must never pass for a talking head.
RENDERER_LABELS = {
    "still": gettext_lazy("Still image (no talking head)"),
    "hallo2": gettext_lazy("Talking head"),
}

# Why a job failed, for an editor; the runner's own message follows with the details.
PLAIN_REASONS = {
    ErrorCode.NO_IMAGE: gettext_lazy("There is no presenter image."),
    ErrorCode.IMAGE_NOT_ALLOWED: gettext_lazy("The presenter image is not one of the organization's."),
    ErrorCode.NOT_A_PRESENTER: gettext_lazy("This photo is not a presenter."),
    ErrorCode.NO_CONSENT: gettext_lazy("The presenter has no valid consent."),
    ErrorCode.IMAGE_UNREADABLE: gettext_lazy("The presenter image could not be read."),
    ErrorCode.IMAGE_TOO_LARGE: gettext_lazy("The presenter image is too large."),
    ErrorCode.NO_FACE: gettext_lazy("No face was found in the presenter image."),
    ErrorCode.SEVERAL_FACES: gettext_lazy("The presenter image shows more than one face."),
    ErrorCode.EMPTY_SCRIPT: gettext_lazy("There was nothing to say."),
    ErrorCode.SCRIPT_TOO_LONG: gettext_lazy("The script is too long."),
    ErrorCode.UNKNOWN_VOICE: gettext_lazy(
        "No voice is available: the chosen one, or one for this page's language."
    ),
    ErrorCode.TTS_FAILED: gettext_lazy("The voice could not be generated."),
    ErrorCode.AUDIO_TOO_LONG: gettext_lazy("The spoken script is too long for one video."),
    ErrorCode.RENDER_FAILED: gettext_lazy("The video could not be rendered."),
    ErrorCode.OUT_OF_MEMORY: gettext_lazy("The video runner ran out of memory."),
    ErrorCode.STORAGE_UNREACHABLE: gettext_lazy("The video could not be stored."),
    ErrorCode.CANCELLED: gettext_lazy("The job was cancelled."),
    ErrorCode.TIMED_OUT: gettext_lazy("Rendering took too long and was stopped."),
    ErrorCode.BAD_MESSAGE: gettext_lazy("The runner could not read the request."),
    ErrorCode.INTERNAL: gettext_lazy("Something went wrong on our side."),
}


# How each kind of job came to be asked for, and by whom when known: whole sentences, for translators.
ASKED_BY = {
    VideoJob.Trigger.EDITOR: gettext_lazy("Asked in the editor by %(who)s."),
    VideoJob.Trigger.PUBLISH: gettext_lazy("Asked on publish by %(who)s."),
    VideoJob.Trigger.BATCH: gettext_lazy("Asked by a batch run by %(who)s."),
    VideoJob.Trigger.API: gettext_lazy("Asked through the API by %(who)s."),
}
ASKED = {
    VideoJob.Trigger.EDITOR: gettext_lazy("Asked in the editor."),
    VideoJob.Trigger.PUBLISH: gettext_lazy("Asked on publish."),
    VideoJob.Trigger.BATCH: gettext_lazy("Asked by a batch run."),
    VideoJob.Trigger.API: gettext_lazy("Asked through the API."),
}


def queued_ahead(job: VideoJob) -> int:
    """How many queued jobs, of every organization, were requested before ``job``."""
    return (
        VideoJob.objects.filter(status=VideoJob.Status.QUEUED)
        .filter(Q(created_at__lt=job.created_at) | Q(created_at=job.created_at, pk__lt=job.pk))
        .count()
    )


def renderer_label(renderer: str) -> str:
    """What the renderer made, in plain words: ``Still image (no talking head)`` for ``still``."""
    label = RENDERER_LABELS.get(renderer)
    return str(label) if label else _("Made by the %(renderer)s renderer") % {"renderer": renderer}


def voice_note(job: VideoJob) -> str | None:
    """A plain sentence when the voice heard is not the one asked for (the runner fell back), else None."""
    if not job.voice_used or job.voice_used == job.voice:
        return None
    return _("The voice %(asked)s was not available, so the offline voice %(used)s speaks instead.") % {
        "asked": job.voice,
        "used": job.voice_used,
    }


def requester(job: VideoJob) -> str | None:
    """The name of the person who asked for ``job`` (or published the page, or ran the batch), or of the API
    token that did, if known."""
    if job.requested_by_id and job.requested_by:
        return get_user_display_name(job.requested_by)
    if job.api_token_id and job.api_token:
        return _("API token %(name)r") % {"name": job.api_token.name}
    return None


def request_origin(job: VideoJob) -> dict[str, Any]:
    """What asked for ``job`` and who: ``trigger``, ``requested_by`` and a sentence ("Asked on publish by
    Ann Editor."); an automatic job's script is otherwise nowhere in the panel."""
    who = requester(job)
    if who:
        sentence = ASKED_BY.get(job.trigger, gettext_lazy("Asked by %(who)s."))
    else:
        sentence = ASKED.get(job.trigger, gettext_lazy("Asked."))
    return {"trigger": job.trigger, "requested_by": who, "requested_text": str(sentence) % {"who": who}}


def playback_duration_text(playback: Playback | None) -> str | None:
    """A video's length as the panel writes it, or ``None`` when it is not known."""
    return duration_text(playback.duration_s) if playback and playback.duration_s else None


def panel_playback(job: VideoJob, playback: Playback | None) -> dict[str, Any] | None:
    """The player's URLs; captions come through the admin, from the site's origin (see ``captions.py``)."""
    if playback is None:
        return None
    urls = playback.as_json()
    if playback.captions_url:
        urls["captions_url"] = reverse("video_plugin:job_captions", args=[job.page_id, job.job_id])
    return urls


def rendition_entries(job: VideoJob, playback: Playback | None) -> list[dict[str, Any]]:
    """Each format of a finished video as the panel lists it (player, poster, download link and facts), in
    the contract's format order, so a job's renditions always appear together and alike. Captions come
    through the admin, from the site's origin, as the main video's do."""
    if playback is None:
        return []
    captions = reverse("video_plugin:job_captions", args=[job.page_id, job.job_id])
    return [
        {
            **asdict(rendition),
            "label": format_label(rendition.format),
            "captions_url": f"{captions}?format={rendition.format}" if playback.captions_url else None,
            "aspect": FORMATS[rendition.format].aspect,
            "duration_text": duration_text(rendition.duration_s) if rendition.duration_s else None,
        }
        for rendition in playback.renditions
    ]


def layout_facts(job: VideoJob) -> dict[str, Any]:
    """The layout, formats and captions choice a job was made with, with the layout's label."""
    return {
        "layout": job.layout,
        "layout_label": layout_label(job.layout),
        "formats": list(job.formats or []),
        "burn_captions": job.burn_captions,
    }


def job_state(job: VideoJob | None, runner: RunnerCapabilities) -> dict[str, Any] | None:
    """One job as the panel shows it: status, progress, result or reason, in words an editor reads."""
    if job is None:
        return None
    state = job.as_status()
    playback = playback_for(job)
    state.update(
        stage_label=str(STAGE_LABELS.get(job.stage, job.stage)) if job.stage else None,
        percent=round(job.fraction * 100) if job.fraction is not None else None,
        queue_position=queued_ahead(job) + 1 if job.status == VideoJob.Status.QUEUED else None,
        # A job cannot move while no runner is online: the panel shows it waiting, not progressing.
        waiting_for_runner=job.status in VideoJob.ACTIVE and runner.known and not runner.online,
        reason=str(PLAIN_REASONS.get(job.error_code, _("The video could not be made.")))
        if job.error_code
        else None,
        script=job.script,
        voice=job.voice,
        voice_used=job.voice_used or None,
        voice_engine=job.voice_engine or None,
        renderer=job.renderer,
        renderer_used=job.renderer_used or None,
        renderer_label=renderer_label(job.renderer_used) if job.renderer_used else None,
        voice_note=voice_note(job),
        fallbacks=list(job.fallbacks or []),
        is_current=job.is_current,
        waits_for_publish=job.waits_for_publish,
        playback=panel_playback(job, playback),
        renditions=rendition_entries(job, playback),
        **layout_facts(job),
        duration_text=playback_duration_text(playback),
        eta_text=duration_text(job.eta_s) if job.eta_s is not None else None,
        **request_origin(job),
    )
    return state


def history(page_id: int) -> list[dict[str, Any]]:
    """The page's finished videos, newest first, each with whether it is the one the page shows."""
    jobs = VideoJob.objects.filter(
        page_id=page_id, status=VideoJob.Status.SUCCEEDED, media__isnull=False
    ).select_related("media", "requested_by")[:HISTORY_LENGTH]
    entries = []
    for job in jobs:
        playback = playback_for(job)
        entries.append(
            {
                "job_id": job.job_id,
                "created_at": job.created_at.isoformat(),
                "is_current": job.is_current,
                "waits_for_publish": job.waits_for_publish,
                "voice_used": job.voice_used or job.voice,
                "renderer_used": job.renderer_used or job.renderer,
                "renderer_label": renderer_label(job.renderer_used or job.renderer),
                "voice_note": voice_note(job),
                "duration_s": playback.duration_s if playback else None,
                "duration_text": playback_duration_text(playback),
                "script": job.script,
                **request_origin(job),
                "video_url": playback.video_url if playback else None,
                "poster_url": playback.poster_url if playback else None,
                "renditions": rendition_entries(job, playback),
                **layout_facts(job),
            }
        )
    return entries


def panel_state(page_id: int) -> dict[str, Any]:
    """Everything the panel renders: the latest job, the page's videos, the runners and the queue."""
    runner = read_capabilities()
    latest = VideoJob.objects.filter(page_id=page_id).select_related("media", "requested_by").first()
    return {
        "job": job_state(latest, runner),
        "history": history(page_id),
        "runner": runner.as_json(),
        "queue_length": VideoJob.objects.filter(status=VideoJob.Status.QUEUED).count(),
    }
