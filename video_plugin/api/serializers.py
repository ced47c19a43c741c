"""The job API's request and response bodies. Webhook payloads use the same job representation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework import serializers

from gpu_runner.protocol import FORMATS, ProtocolError, check_formats, check_layout, check_voice_id
from video_plugin.conf import video_settings
from video_plugin.models import VideoJob
from video_plugin.public.playback import playback_for, playback_urls

# Database ids are 64-bit; a larger number would overflow the query instead of simply matching nothing.
MAX_ID = 2**63 - 1


def job_representation(job: VideoJob, request: HttpRequest | None = None) -> dict[str, Any]:
    """A job as the API and webhooks show it (schema ``Job`` in :mod:`video_plugin.api.openapi`)."""
    playback = playback_for(job)
    video = None
    renditions: list[dict[str, Any]] = []
    if playback is not None:
        video = {
            **playback_urls(playback, request),
            "duration": playback.duration_s,
            "width": playback.width,
            "height": playback.height,
        }
        renditions = video.pop("renditions")
    return {
        "id": job.job_id,
        "status": job.status,
        "trigger": job.trigger,
        "page": job.page_id,
        "stage": job.stage or None,
        "fraction": job.fraction,
        "eta_s": job.eta_s,
        "script": job.script,
        "voice": job.voice,
        "image": job.image_id,
        # Whose face, and the consent (or licence) record it was made on, as kept when the job was asked for.
        "presenter": {"id": job.presenter.pk, "name": job.presenter.name} if job.presenter else None,
        "consent_reference": job.consent_reference,
        "layout": job.layout,
        "formats": list(job.formats),
        "burn_captions": job.burn_captions,
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "video": video,
        "renditions": renditions,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``, nothing that merely reads like one (DRF also takes "yes" and 1)."""

    default_error_messages = {"invalid": "must be true or false"}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class JobCreateSerializer(serializers.Serializer):
    """``POST /jobs/``: the page, and optionally what to say, in which voice, with which presenter (or a
    presenter's photo, ``image``), and the finished videos' layout, formats and captions (left out: the
    organization's brand kit defaults)."""

    page = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    script = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True)
    voice = serializers.CharField(required=False)
    image = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    presenter = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    layout = serializers.JSONField(required=False)
    formats = serializers.JSONField(required=False)
    burn_captions = StrictBooleanField(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # A presenter names its photo; a second, different face in the same request could only be a mistake.
        if "presenter" in data and "image" in data:
            raise serializers.ValidationError(
                {"image": "give presenter or image, not both: a presenter's photo is the image it animates"}
            )
        return data

    def validate_layout(self, layout: Any) -> str:
        try:
            return check_layout(layout)
        except ProtocolError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_formats(self, formats: Any) -> list[str]:
        valid = ", ".join(FORMATS)
        if not isinstance(formats, list) or not all(isinstance(name, str) for name in formats):
            raise serializers.ValidationError(f"formats must be a non-empty list of: {valid}")
        # Duplicates are refused rather than folded, so a client learns its list was not what it meant.
        if len(set(formats)) != len(formats):
            raise serializers.ValidationError(f"a format is listed twice; list each of {valid} at most once")
        try:
            return list(check_formats(formats))
        except ProtocolError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate_script(self, script: str) -> str:
        limit = video_settings.MAX_SCRIPT_CHARS
        if len(script) > limit:
            raise serializers.ValidationError(f"the script has {len(script)} characters; at most {limit}")
        return script

    def validate_voice(self, voice: str) -> str:
        try:
            return check_voice_id(voice)
        except ProtocolError as exc:
            raise serializers.ValidationError(str(exc)) from None


class JobFilterSerializer(serializers.Serializer):
    """``GET /jobs/`` query parameters."""

    status = serializers.ChoiceField(choices=VideoJob.Status.choices, required=False)
    trigger = serializers.ChoiceField(choices=VideoJob.Trigger.choices, required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000_000, default=0)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # A misspelt filter (?stauts=failed) silently ignored would list every job; refuse it instead.
        problems = {
            name: f"unknown query parameter; known: {', '.join(self.fields)}"
            for name in data
            if name not in self.fields
        }
        # DRF reads an empty query value as "absent"; a client that wrote ``?status=`` meant something.
        problems |= {
            name: "must not be empty; leave the parameter out" for name in self.fields if data.get(name) == ""
        }
        if problems:
            raise serializers.ValidationError(problems)
        return super().to_internal_value(data)
