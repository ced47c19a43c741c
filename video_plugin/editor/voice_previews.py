"""Voice previews for the editor panel: find the runner's stored sample of a voice, or ask a runner for one.

The web process has no TTS engine. A runner speaks a fixed sample sentence on request (``preview_voice`` on
:data:`~gpu_runner.protocol.PREVIEW_QUEUE`) and stores the audio and a JSON record at keys built from a hash
of the voice id alone (:func:`~gpu_runner.protocol.voice_preview_key`). A preview is made once per voice and
then served from storage to every organization. The one exception is a preview the runner voiced with a
fallback (the chosen engine was down): it is served, labelled as the fallback it is, for
:data:`FALLBACK_PREVIEW_MAX_AGE_S`, and then asked for again in case the chosen engine is back.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from gpu_runner.protocol import PreviewRequest, voice_preview_info_key, voice_preview_key
from video_plugin.jobs.brokers import shared_redis
from video_plugin.jobs.messaging import send

logger = logging.getLogger(__name__)

# While a request is in flight, repeated asks (the panel polls) do not queue it again.
PENDING_TTL_S = 30
FALLBACK_PREVIEW_MAX_AGE_S = 3600


@dataclass(frozen=True)
class VoicePreview:
    """A stored preview: where its audio is and which voice is really heard in it."""

    voice: str
    voice_used: str
    audio_url: str
    sample: str
    duration_s: float | None
    made_at: float
    fallbacks: list[str] = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        """Whether the preview is of another voice than the one asked for."""
        return bool(self.fallbacks) or self.voice_used != self.voice

    def as_json(self) -> dict[str, Any]:
        """The panel's view, with the fallback said in plain words when there is one."""
        note = None
        if self.is_fallback:
            note = _(
                "%(asked)s is not available right now, so this is the fallback voice %(used)s; "
                "videos asked for %(asked)s get the same fallback until it is back."
            ) % {"asked": self.voice, "used": self.voice_used}
        return {
            "ready": True,
            "voice": self.voice,
            "voice_used": self.voice_used,
            "audio_url": self.audio_url,
            "sample": self.sample,
            "duration_s": self.duration_s,
            "is_fallback": self.is_fallback,
            "fallback_note": note,
        }


def stored_preview(voice: str) -> VoicePreview | None:
    """The preview of ``voice`` in storage, or ``None`` when there is none (or its record is unreadable)."""
    info_key = voice_preview_info_key(voice)
    if not default_storage.exists(info_key):
        return None
    try:
        with default_storage.open(info_key) as handle:
            record = json.loads(handle.read())
        return VoicePreview(
            voice=voice,
            voice_used=str(record["voice_used"]),
            audio_url=default_storage.url(voice_preview_key(voice)),
            sample=str(record.get("sample") or ""),
            duration_s=record.get("duration_s"),
            made_at=float(record.get("made_at") or 0.0),
            fallbacks=[str(note) for note in record.get("fallbacks") or []],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # Treated as missing, so a fresh request overwrites it.
        logger.warning("unreadable voice preview record %s: %s", info_key, exc)
        return None


def is_servable(preview: VoicePreview, now: float | None = None) -> bool:
    """Whether ``preview`` can be served as it is: always, unless it is an old fallback."""
    now = time.time() if now is None else now
    return not preview.is_fallback or now - preview.made_at < FALLBACK_PREVIEW_MAX_AGE_S


def pending_key(voice: str) -> str:
    """The Redis flag saying a preview of ``voice`` was asked for recently (named by hash, like its key)."""
    return "aivideo:preview-pending:" + voice_preview_key(voice).rsplit("/", 1)[-1].removesuffix(".m4a")


def request_preview(voice: str) -> bool:
    """Ask a runner for a preview of ``voice`` unless one was asked for in the last :data:`PENDING_TTL_S`.

    Returns whether a message was sent. Without Redis to hold the flag every call sends one: a duplicate
    preview costs a runner a second of TTS, not a render.
    """
    envelope = PreviewRequest(voice=voice).envelope()
    redis = shared_redis()
    if redis is not None:
        try:
            if not redis.set(pending_key(voice), "1", nx=True, ex=PENDING_TTL_S):
                return False
        except Exception as exc:  # noqa: BLE001 - an unreachable flag only costs a duplicate preview
            logger.warning("could not set the preview flag of %s: %s", voice, exc)
    send(envelope)
    return True
