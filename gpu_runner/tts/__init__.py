"""Text-to-speech engines (``edge`` online, ``espeak`` offline) and the fallback between them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .base import SpokenText, Timing, TTSEngine, TTSError, UnknownVoice, Voice
from .chain import SpeechService, VoicedScript

__all__ = [
    "SpeechService",
    "SpokenText",
    "TTSEngine",
    "TTSError",
    "Timing",
    "UnknownVoice",
    "ENGINES",
    "Voice",
    "VoicedScript",
    "build_speech_service",
]


# Every engine a runner can have, by the name voice ids start with.
ENGINES = ("edge", "espeak")


def build_speech_service(
    *, default_voice: str, offline_voice: str, engines: Sequence[str] = ENGINES
) -> SpeechService:
    """The runner's engines among Edge (online) and libespeak-ng (offline), in that order of preference.

    Call ``load()`` on the result once. A runner without ``edge`` never calls the online service, not even to
    list its voices at boot.
    """
    from .edge import EdgeEngine
    from .espeak import EspeakEngine

    available: dict[str, Callable[[], TTSEngine]] = {"edge": EdgeEngine, "espeak": EspeakEngine}
    return SpeechService(
        [available[name]() for name in ENGINES if name in engines],
        default_voice=default_voice,
        offline_voice=offline_voice,
    )
