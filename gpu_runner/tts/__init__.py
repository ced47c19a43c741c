"""Text-to-speech engines (``edge`` online, ``espeak`` offline) and the fallback between them."""

from __future__ import annotations

from .base import SpokenText, Timing, TTSEngine, TTSError, UnknownVoice, Voice
from .chain import SpeechService, VoicedScript

__all__ = [
    "SpeechService",
    "SpokenText",
    "TTSEngine",
    "TTSError",
    "Timing",
    "UnknownVoice",
    "Voice",
    "VoicedScript",
    "build_speech_service",
]


def build_speech_service(*, default_voice: str, offline_voice: str) -> SpeechService:
    """The runner's engines: Edge (online) and libespeak-ng (offline). Call ``load()`` on the result once."""
    from .edge import EdgeEngine
    from .espeak import EspeakEngine

    return SpeechService(
        [EdgeEngine(), EspeakEngine()], default_voice=default_voice, offline_voice=offline_voice
    )
