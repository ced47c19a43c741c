"""The text-to-speech interface: text and a voice in, a mono voice track and its word timings out.

Voice ids are engine-qualified, ``"{engine}:{voice}"`` (``edge:en-US-JennyNeural``, ``espeak:en-us``), so a
job always says which engine was asked for and the runner can record which one answered.
"""

from __future__ import annotations

import abc
import difflib
import re
from dataclasses import dataclass

from ..renderers.base import Speech


class TTSError(Exception):
    """The engine could not voice the text (offline, crashed, empty audio). The chain may fall back."""


# An unknown-voice message names this many voices at most: a runner has over a hundred, and a message listing
# them all (2 KB) buries the one the editor meant, and the panel's voice picker lists them all anyway.
CLOSEST_VOICES = 3
SAME_LANGUAGE_VOICES = 5


class UnknownVoice(Exception):
    """The job asked for a voice that does not exist. The user's error: never answered with a fallback."""

    def __init__(self, voice: str, valid: list[str], default: str | None = None) -> None:
        super().__init__(unknown_voice_message(voice, valid, default))
        self.voice = voice
        self.valid = valid


def unknown_voice_message(voice: str, valid: list[str], default: str | None = None) -> str:
    """Why ``voice`` is refused, naming the valid voices it most likely meant rather than all of them.

    The closest spellings (by the engine's own name, so ``en-us`` finds ``espeak:en-us`` and ``espeak:en-uss``
    finds it too), then other voices in the language the name asks for, nearest first; when neither gives
    any, the runner's default voice.
    """
    if not valid:
        return f"unknown voice {voice!r}; this runner has no voices installed"
    name = voice.rpartition(":")[2]
    ids_by_name: dict[str, list[str]] = {}
    for voice_id in valid:
        ids_by_name.setdefault(voice_id.partition(":")[2], []).append(voice_id)
    close_names = difflib.get_close_matches(name, list(ids_by_name), n=CLOSEST_VOICES)
    closest = [voice_id for close in close_names for voice_id in ids_by_name[close]][:CLOSEST_VOICES]
    language = language_of(name)
    same_language = sorted(
        (v for v in valid if v not in closest and language_of(v.partition(":")[2]) == language),
        key=lambda v: (-difflib.SequenceMatcher(None, name, v.partition(":")[2]).ratio(), v),
    )
    hints = []
    if closest:
        hints.append(f"closest: {', '.join(closest)}")
    if same_language:
        more = len(same_language) - SAME_LANGUAGE_VOICES
        listed = ", ".join(same_language[:SAME_LANGUAGE_VOICES])
        hints.append(f"in {language}: {listed}" + (f" and {more} more" if more > 0 else ""))
    if not hints:
        hints.append(
            f"none is close to it; the default is {default}" if default in valid else "none is close to it"
        )
    return f"unknown voice {voice!r}; choose one of this runner's {len(valid)} voices ({'; '.join(hints)})"


@dataclass(frozen=True)
class Timing:
    """One spoken unit (a word or a sentence) and when it is heard, in seconds from the start of the track."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SpokenText:
    """What an engine produced for one text."""

    speech: Speech
    timings: list[Timing]
    #: True when ``timings`` came from the engine; False when spread over the text by character count.
    timings_exact: bool


@dataclass(frozen=True)
class Voice:
    """One voice an engine offers."""

    engine: str
    name: str  # the engine's own name, e.g. "en-US-JennyNeural"
    language: str  # lower-case BCP-47 primary language, e.g. "en"

    @property
    def id(self) -> str:
        return f"{self.engine}:{self.name}"


class TTSEngine(abc.ABC):
    """A text-to-speech engine. Loaded once at boot, then asked for many texts."""

    #: the prefix in voice ids
    name: str = ""
    #: True when the engine needs a network service
    online: bool = False

    @abc.abstractmethod
    def load(self) -> None:
        """Find the engine's voices; raise :class:`TTSError` when the engine cannot work at all."""

    @abc.abstractmethod
    def voices(self) -> list[Voice]:
        """The voices offered, known after :meth:`load`."""

    @abc.abstractmethod
    def synthesize(self, text: str, voice: str) -> SpokenText:
        """Voice ``text`` with the engine-local voice name ``voice``; raise :class:`TTSError` on failure."""

    def knows_voice(self, name: str) -> bool:
        """Whether ``name`` is one of this engine's voices."""
        return any(voice.name == name for voice in self.voices())

    @property
    def available(self) -> bool:
        """Whether the engine answered at boot; an unavailable engine is skipped straight to its fallback."""
        return True


def language_of(voice_name: str) -> str:
    """The primary language of a voice name: ``en-US-JennyNeural`` → ``en``, ``en-us`` → ``en``."""
    return re.split(r"[-_]", voice_name.strip(), maxsplit=1)[0].lower()


def spread_timings(text: str, duration_s: float) -> list[Timing]:
    """Word timings spread over ``duration_s`` by character count, for engines that give none.

    An approximation, good enough to page captions; never presented as exact (``SpokenText.timings_exact``).
    """
    words = text.split()
    total = sum(len(word) + 1 for word in words)
    if not words or duration_s <= 0:
        return []
    timings = []
    position = 0
    for word in words:
        start = duration_s * position / total
        position += len(word) + 1
        timings.append(Timing(word, round(start, 3), round(duration_s * position / total, 3)))
    return timings
