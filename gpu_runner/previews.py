"""Voice previews: a fixed sample sentence spoken in one voice, stored as a short AAC (.m4a) file.

The web process has no TTS engine, so the editor panel asks the runner through a ``preview_voice`` message
(:class:`~gpu_runner.protocol.PreviewRequest`). The runner voices :data:`SAMPLE_SENTENCE` with the same
engines and the same fallback as a render, uploads the audio to
:func:`~gpu_runner.protocol.voice_preview_key` and then a JSON record beside it saying which voice was really
heard. Nothing else is sent back: the plugin finds the record in storage.

A preview whose voice fell back to the offline engine is stored with that fact in its record, so the panel can
say "this is the fallback voice" instead of passing it off as the one the editor chose.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from .protocol import (
    PROTOCOL_VERSION,
    PreviewRequest,
    ProtocolError,
    voice_preview_info_key,
    voice_preview_key,
)
from .renderers.base import Speech
from .storage import Storage
from .tts import SpeechService, TTSError, UnknownVoice

logger = logging.getLogger(__name__)

# Fixed, so one preview per voice serves every organization and no user text is ever voiced here.
SAMPLE_SENTENCE = "Hello! This is how I sound when I present your products."
AAC_FRAME_SAMPLES = 1024  # the AAC encoder's frame size
AAC_BIT_RATE = 64_000  # speech in mono; more buys nothing audible


def encode_m4a(speech: Speech, path: Path) -> None:
    """Encode mono ``speech`` as AAC in an MP4 audio container (``.m4a``), which every browser plays."""
    samples = np.ascontiguousarray(speech.samples, dtype=np.float32).reshape(1, -1)
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("aac", rate=speech.sample_rate)
        stream.layout = "mono"
        stream.bit_rate = AAC_BIT_RATE
        for start in range(0, samples.shape[1], AAC_FRAME_SAMPLES):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, start : start + AAC_FRAME_SAMPLES]),
                format="fltp",
                layout="mono",
            )
            frame.sample_rate = speech.sample_rate
            frame.pts = start
            frame.time_base = Fraction(1, speech.sample_rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


class VoicePreviewer:
    """Makes and stores voice previews with the runner's already-loaded engines and storage."""

    def __init__(self, speech: SpeechService, storage: Storage) -> None:
        self.speech = speech
        self.storage = storage

    def handle_message(self, payload: Any) -> None:
        """Run one ``preview_voice`` message's ``request``. Never raises: a preview that cannot be made is
        logged."""
        try:
            request = PreviewRequest.from_dict(payload)
            self.make(request.voice)
        except (ProtocolError, UnknownVoice, TTSError) as exc:
            logger.warning("no voice preview made for %.200r: %s", payload, exc)
        except Exception:
            # A preview is a convenience: whatever went wrong must not take the preview thread down.
            logger.exception("voice preview for %.200r failed", payload)

    def make(self, voice: str) -> dict[str, Any]:
        """Speak the sample in ``voice``, upload the audio and then its record; return the record."""
        voiced = self.speech.speak(SAMPLE_SENTENCE, voice)
        speech = voiced.spoken.speech
        record = {
            "v": PROTOCOL_VERSION,
            "voice": voice,
            "voice_used": voiced.voice,
            "engine": voiced.engine,
            "fallbacks": list(voiced.fallbacks),
            "sample": SAMPLE_SENTENCE,
            "duration_s": round(speech.duration_s, 3),
            "made_at": round(time.time(), 3),
        }
        with tempfile.TemporaryDirectory(prefix="gpu-runner-preview-") as folder:
            audio_path = Path(folder) / "preview.m4a"
            encode_m4a(speech, audio_path)
            info_path = Path(folder) / "preview.json"
            info_path.write_text(json.dumps(record), encoding="utf-8")
            # The record goes last: a reader that finds it can rely on the audio being there.
            self.storage.put_file(voice_preview_key(voice), audio_path, "audio/mp4")
            self.storage.put_file(voice_preview_info_key(voice), info_path, "application/json")
        logger.info("voice preview of %s stored (heard: %s)", voice, voiced.voice)
        return record
