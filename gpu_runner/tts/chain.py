"""Choosing an engine for a voice id, and falling back to the offline engine when the chosen one fails.

Voice ids are ``engine:name``. A bare Edge name (``en-US-JennyNeural``) is accepted as
``edge:en-US-JennyNeural`` because that is how Edge voices are written everywhere else; any other bare name
is refused, so a typo never silently changes engine. An unknown voice is the user's error and is never
answered with a fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import SpokenText, TTSEngine, TTSError, UnknownVoice, language_of
from .edge import EDGE_VOICE_RE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoicedScript:
    """Speech for one script, and which engine and voice actually produced it."""

    spoken: SpokenText
    engine: str
    voice: str  # engine-qualified id of the voice heard, e.g. "espeak:en-us"
    requested_voice: str
    fallbacks: list[str] = field(default_factory=list)


class SpeechService:
    """All TTS engines of a runner, loaded once; :meth:`speak` picks the engine and handles fallback."""

    def __init__(self, engines: Sequence[TTSEngine], *, default_voice: str, offline_voice: str) -> None:
        self._engines = {engine.name: engine for engine in engines}
        self.default_voice = default_voice
        self.offline_voice = offline_voice
        self.load_count = 0

    def load(self) -> None:
        """Load every engine. The offline voice's engine must load: it is what every fallback relies on."""
        offline_engine = self.offline_voice.partition(":")[0]
        if offline_engine not in self._engines:
            raise TTSError(
                f"GPU_RUNNER_OFFLINE_VOICE={self.offline_voice!r} names no engine of this runner "
                f"({', '.join(self._engines)}); use e.g. espeak:en-us"
            )
        for engine in self._engines.values():
            engine.load()
            self.load_count += 1
        self.resolve(self.offline_voice)
        self.resolve(self.default_voice)

    @property
    def engines(self) -> list[TTSEngine]:
        return list(self._engines.values())

    def resolve(self, voice: str) -> tuple[TTSEngine, str]:
        """Map a voice id to its engine and the engine's own name; :class:`UnknownVoice` if there is none."""
        voice = voice.strip() or self.default_voice
        engine_name, sep, name = voice.partition(":")
        if not sep and EDGE_VOICE_RE.match(voice):
            engine_name, name = "edge", voice
        engine = self._engines.get(engine_name) if sep or engine_name == "edge" else None
        if engine is None or not name or not engine.knows_voice(name):
            raise UnknownVoice(voice, self.voice_ids(), default=self.default_voice)
        return engine, name

    def voice_ids(self) -> list[str]:
        return [voice.id for engine in self._engines.values() for voice in engine.voices()]

    def voices_by_language(self) -> dict[str, list[str]]:
        """Voice ids grouped by primary language, for the runner's published capabilities."""
        grouped: dict[str, list[str]] = {}
        for engine in self._engines.values():
            for voice in engine.voices():
                grouped.setdefault(voice.language, []).append(voice.id)
        return dict(sorted(grouped.items()))

    def describe(self) -> list[dict[str, Any]]:
        """What ``/health`` shows about each engine."""
        return [
            {"name": e.name, "online": e.online, "available": e.available, "voices": len(e.voices())}
            for e in self._engines.values()
        ]

    def speak(self, text: str, voice: str) -> VoicedScript:
        """Voice ``text``; if the chosen engine fails, use the offline one in the same language and say so."""
        engine, name = self.resolve(voice)
        requested = f"{engine.name}:{name}"
        try:
            spoken = engine.synthesize(text, name)
            return VoicedScript(spoken, engine.name, requested, requested)
        except TTSError as exc:
            offline_engine, offline_name = self.resolve(self.offline_for(name))
            if offline_engine is engine:
                raise
            reason = exc
        logger.warning(
            "voice %s failed (%s); falling back to %s:%s",
            requested,
            reason,
            offline_engine.name,
            offline_name,
        )
        spoken = offline_engine.synthesize(text, offline_name)
        used = f"{offline_engine.name}:{offline_name}"
        note = f"voice {requested} was unavailable ({reason}); the offline voice {used} was used instead"
        asked_language, used_language = language_of(name), language_of(offline_name)
        if not speaks_same_language(asked_language, used_language):
            # The text is heard in a foreign accent, or not understood at all: the record must say so first.
            logger.warning("no %s offline voice: %s spoke %s text", asked_language, used, asked_language)
            note = f"no {asked_language} offline voice; spoke with {used} ({used_language}): {note}"
        return VoicedScript(spoken, offline_engine.name, used, requested, [note])

    def offline_for(self, name: str) -> str:
        """The offline voice closest to ``name``: same locale, else same language, else the configured one."""
        offline_engine = self._engines[self.offline_voice.partition(":")[0]]
        names = {v.name for v in offline_engine.voices()}
        # "en-GB-SoniaNeural" → "en-gb": espeak names its voices by locale, so try that first.
        locale = "-".join(name.lower().split("-")[:2])
        for candidate in (name.lower(), locale):
            if candidate in names:
                return f"{offline_engine.name}:{candidate}"
        language = language_of(name)
        if speaks_same_language(language, language_of(self.offline_voice.partition(":")[2])):
            return self.offline_voice
        voices = offline_engine.voices()
        same_language = [v.name for v in voices if speaks_same_language(language, v.language)]
        if same_language:
            # The plainest name is the language's main voice: "de" before "de-x-…", "cmn" before "cmn-latn-…".
            return f"{offline_engine.name}:{min(same_language, key=lambda voice: (len(voice), voice))}"
        # No voice of this language offline: the configured one speaks, and speak() records that loudly.
        return self.offline_voice


# Online engines name some languages by their macrolanguage (Edge's "zh-CN-…"), espeak by the individual
# language it speaks ("cmn", Mandarin; "yue", Cantonese): a Chinese voice falls back to Mandarin, not English.
_INDIVIDUAL_LANGUAGES = {"zh": ("cmn", "yue", "hak")}


def speaks_same_language(asked: str, offered: str) -> bool:
    """Whether a voice of primary language ``offered`` can stand in for one of ``asked``."""
    return offered == asked or offered in _INDIVIDUAL_LANGUAGES.get(asked, ())
