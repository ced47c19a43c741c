"""The offline engine: libespeak-ng, driven in-process through ctypes. Robotic, but always there.

The library and its voice data come inside the ``espeakng-loader`` wheel, so a fresh machine needs no system
package and no ``espeak-ng`` program: ``pip install`` is the whole setup. libespeak-ng keeps its state
(current voice, output buffers, the synthesis callback) in globals and is not thread-safe, so every call into
it goes through one process-wide lock, and it is initialised once per process.
"""

from __future__ import annotations

import atexit
import bisect
import ctypes
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..renderers.base import Speech
from .base import SpokenText, Timing, TTSEngine, TTSError, Voice, language_of, spread_timings

#: A synthesis that runs longer is aborted from the audio callback and reported as a :class:`TTSError`.
SYNTHESIS_TIMEOUT_S = 120.0

INSTALL_HINT = "install it with `pip install espeakng-loader` (or the runner's [tts] extra)"

# speak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2  # like RETRIEVAL (audio handed to our callback), but espeak_Synth blocks
_INITIALIZE_DONT_EXIT = 0x8000  # without it, missing voice data makes the library call exit()
_POS_CHARACTER = 1
_CHARS_UTF8 = 1  # and no espeakSSML flag: markup in the text is read out, never interpreted
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_END = 5  # end of a clause or sentence
_EE_OK = 0
# espeak_PARAMETER ids and their values at initialisation. Some voices change the speaking rate (and the like)
# when selected, and the library keeps it for every voice selected after them: without a reset, how fast a
# voice speaks would depend on which voice spoke before it.
_DEFAULT_PARAMETERS = {1: 175, 2: 100, 3: 50, 4: 50, 7: 0}  # rate (wpm), volume, pitch, range, word gap
_BUFFER_MS = 200  # audio handed to the callback in chunks of this length
# libespeak-ng 1.52 copies the data path into a 160-byte buffer and voice names into 40-byte ones, truncating
# silently: a longer path or name would make it read some other directory or voice.
_MAX_DATA_PATH_BYTES = 159
_MAX_VOICE_NAME_BYTES = 39


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT``: one word, sentence or clause mark, positioned in the text and in the audio."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),  # 1-based, in characters (code points) of the text
        ("length", ctypes.c_int),  # word length in characters, for word events
        ("audio_position", ctypes.c_int),  # milliseconds from the start of the audio of this synthesis
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


class _VoiceEntry(ctypes.Structure):
    """``espeak_VOICE`` as ``espeak_ListVoices`` returns it."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        # (priority byte, NUL-terminated language) pairs ending with a zero byte: c_char_p would stop early.
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass
class _Collector:
    """What one ``espeak_Synth`` call hands to the callback: audio chunks and (kind, char index, ms) marks."""

    deadline: float
    chunks: list[bytes] = field(default_factory=list)
    marks: list[tuple[int, int, int]] = field(default_factory=list)
    timed_out: bool = False
    error: Exception | None = None

    def take(self, wav: Any, count: int, events: Any) -> int:
        """Store one chunk; return 1 to make the library stop, 0 to go on."""
        if wav and count > 0:
            self.chunks.append(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
        index = 0
        while events and events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type in (_EVENT_WORD, _EVENT_END):
                self.marks.append((event.type, event.text_position - 1, event.audio_position))
            index += 1
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return 1
        return 0


@dataclass
class _Runtime:
    """The initialised library of this process."""

    lib: ctypes.CDLL
    sample_rate: int
    voices: list[Voice]
    #: voice name -> identifier of the voice file it was listed for, which selects exactly that voice
    identifiers: dict[str, bytes]


# Guards every call into libespeak-ng and the two globals below.
_LOCK = threading.Lock()
_runtime: _Runtime | None = None
# The synthesis in progress; the one registered callback hands its chunks here (only one runs, under _LOCK).
_collector: _Collector | None = None


def _on_synth(wav: Any, count: int, events: Any) -> int:
    collector = _collector
    if collector is None:
        return 0
    try:
        return collector.take(wav, count, events)
    except Exception as exc:  # an exception must not unwind through C: stop the synthesis and report it
        collector.error = exc
        return 1


# Registered once and kept for the life of the process: the library holds a raw pointer to it.
_CALLBACK = _SynthCallback(_on_synth)


class EspeakEngine(TTSEngine):
    """Voices text with libespeak-ng; voice names are its language codes (``en-us``, ``de``)."""

    name = "espeak"
    online = False

    def __init__(self) -> None:
        self._voices: list[Voice] = []
        self._sample_rate = 0

    def load(self) -> None:
        runtime = _ensure_runtime()
        self._voices = list(runtime.voices)
        self._sample_rate = runtime.sample_rate

    def voices(self) -> list[Voice]:
        return list(self._voices)

    def synthesize(self, text: str, voice: str) -> SpokenText:
        if not self._sample_rate:
            raise TTSError("the espeak engine was used before load()")
        # A NUL would end the C string early and silently drop the rest of the script; a space keeps every
        # character at its index, so the library's text positions still point into `text`.
        spoken_text = text.replace("\0", " ")
        encoded_text = spoken_text.encode("utf-8", "replace") + b"\0"
        pcm, marks = _synthesize(encoded_text, voice)
        if not pcm:
            raise TTSError(f"espeak produced no audio for voice {voice!r}")
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        speech = Speech(samples=samples, sample_rate=self._sample_rate)
        timings = word_timings(spoken_text, marks, speech.duration_s)
        if timings:
            return SpokenText(speech=speech, timings=timings, timings_exact=True)
        return SpokenText(speech=speech, timings=spread_timings(text, speech.duration_s), timings_exact=False)


def _ensure_runtime() -> _Runtime:
    """The process's initialised library, initialising it on first use."""
    global _runtime
    with _LOCK:
        if _runtime is None:
            _runtime = _initialise()
            atexit.register(_terminate)
        return _runtime


def _initialise() -> _Runtime:
    """Load libespeak-ng from the espeakng-loader wheel, set up for synchronous retrieval. Under _LOCK."""
    try:
        import espeakng_loader
    except ImportError:
        raise TTSError(f"the offline voice needs the espeakng-loader package; {INSTALL_HINT}") from None
    try:
        library_path = espeakng_loader.get_library_path()
        data_path = espeakng_loader.get_data_path()
    except RuntimeError as exc:  # the wheel's data folder is gone
        raise TTSError(f"espeakng-loader is incomplete ({exc}); reinstall it: {INSTALL_HINT}") from None
    encoded_data_path = os.fsencode(data_path)
    if len(encoded_data_path) > _MAX_DATA_PATH_BYTES:
        raise TTSError(
            f"libespeak-ng cannot use voice data at a path longer than {_MAX_DATA_PATH_BYTES} bytes "
            f"({data_path}); install the runner into a virtual environment at a shorter path"
        )
    try:
        lib = ctypes.CDLL(library_path)
    except OSError as exc:
        raise TTSError(f"libespeak-ng from espeakng-loader could not be loaded: {exc}") from None
    _declare(lib)
    sample_rate = lib.espeak_Initialize(
        _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, encoded_data_path, _INITIALIZE_DONT_EXIT
    )
    if sample_rate <= 0:
        raise TTSError(f"libespeak-ng failed to initialise (status {sample_rate}); reinstall espeakng-loader")
    lib.espeak_SetSynthCallback(_CALLBACK)
    identifiers = _list_voices(lib, Path(data_path))
    if not identifiers:
        # With missing data the library still reports a sample rate; an empty voice list is how it shows.
        raise TTSError(f"libespeak-ng found no voices in {data_path}; reinstall espeakng-loader")
    voices = [Voice(engine="espeak", name=code, language=language_of(code)) for code in identifiers]
    return _Runtime(lib=lib, sample_rate=sample_rate, voices=voices, identifiers=identifiers)


def _declare(lib: ctypes.CDLL) -> None:
    """Give ctypes the C signatures from speak_lib.h, so arguments are converted and checked."""
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_ListVoices.argtypes = [ctypes.POINTER(_VoiceEntry)]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceEntry))
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_VoiceEntry)]
    lib.espeak_SetVoiceByProperties.restype = ctypes.c_int
    # parameter, value, relative
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,  # text
        ctypes.c_size_t,  # size
        ctypes.c_uint,  # position
        ctypes.c_int,  # position_type
        ctypes.c_uint,  # end_position
        ctypes.c_uint,  # flags
        ctypes.POINTER(ctypes.c_uint),  # unique_identifier
        ctypes.c_void_p,  # user_data
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Terminate.argtypes = []
    lib.espeak_Terminate.restype = ctypes.c_int


def _list_voices(lib: ctypes.CDLL, data_path: Path) -> dict[str, bytes]:
    """Every voice that can speak, named by its first language as ``espeak-ng --voices`` does. Under _LOCK.

    Maps each name to the voice's identifier (its file under ``lang/``).
    """
    entries = lib.espeak_ListVoices(None)  # NULL: all voices except variants and mbrola ones
    identifiers: dict[str, bytes] = {}
    index = 0
    while entries and entries[index]:
        entry = entries[index].contents
        index += 1
        # `languages` is (priority byte, NUL-ended name) pairs; a zero priority byte ends the list.
        if not entry.languages or not entry.identifier or ctypes.string_at(entry.languages, 1) == b"\0":
            continue
        code = ctypes.string_at(entry.languages + 1).decode("ascii", "replace")
        if code and code not in identifiers and _has_dictionary(data_path, entry.identifier.decode(), code):
            identifiers[code] = entry.identifier
    return identifiers


def _has_dictionary(data_path: Path, identifier: str, code: str) -> bool:
    """Whether the voice's pronunciation dictionary is installed.

    The wheel leaves a few out (Faroese, for one); such a voice is listed by the library but speaks only a
    short noise. The dictionary is named by a ``dictionary`` line of the voice file, else by its language.
    """
    dictionary = code.split("-", 1)[0]
    try:
        lines = (data_path / "lang" / identifier).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "dictionary":
            dictionary = words[1]
    return (data_path / f"{dictionary}_dict").is_file()


def _encode_voice_name(voice: str) -> bytes:
    """The voice name as the library takes it; a name it would truncate or misread is an unknown voice."""
    if not voice.isascii() or "\0" in voice or not 0 < len(voice) <= _MAX_VOICE_NAME_BYTES:
        raise TTSError(f"unknown espeak voice {voice!r}")
    return voice.encode("ascii")


def _select_voice(lib: ctypes.CDLL, voice: bytes) -> bool:
    """Make ``voice`` current as ``espeak-ng -v`` does: by name or file, else as a language. Under _LOCK.

    Listed names come here as their voice's identifier, which selects exactly that voice: by name, most
    would not be found (``en-gb`` is the voice ``gmw/en``), a few not even as a language (mixed-case
    ``chr-US-Qaaa-x-west``).
    """
    selected = lib.espeak_SetVoiceByName(voice) == _EE_OK
    if not selected:
        language = ctypes.create_string_buffer(voice)  # kept alive in this frame for the duration of the call
        spec = _VoiceEntry(languages=ctypes.addressof(language))
        selected = lib.espeak_SetVoiceByProperties(ctypes.byref(spec)) == _EE_OK
    if selected:
        for parameter, value in _DEFAULT_PARAMETERS.items():
            lib.espeak_SetParameter(parameter, value, 0)
    return selected


def _synthesize(text: bytes, voice: str) -> tuple[bytes, list[tuple[int, int, int]]]:
    """Run one synthesis under the lock; the 16-bit PCM and the word/clause marks the library reported."""
    selector = _encode_voice_name(voice)
    global _collector
    with _LOCK:
        runtime = _runtime
        if runtime is None:
            raise TTSError("libespeak-ng is not initialised; load the espeak engine first")
        if not _select_voice(runtime.lib, runtime.identifiers.get(voice, selector)):
            raise TTSError(f"unknown espeak voice {voice!r}")
        collector = _Collector(deadline=time.monotonic() + SYNTHESIS_TIMEOUT_S)
        _collector = collector
        try:
            status = runtime.lib.espeak_Synth(text, len(text), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        finally:
            _collector = None
    if collector.error is not None:
        raise TTSError(f"espeak failed while collecting audio: {collector.error}")
    if collector.timed_out:
        raise TTSError(f"espeak took longer than {SYNTHESIS_TIMEOUT_S:g} s and was stopped")
    if status != _EE_OK:
        raise TTSError(f"espeak could not synthesize the text (status {status})")
    return b"".join(collector.chunks), collector.marks


def word_timings(text: str, marks: list[tuple[int, int, int]], duration_s: float) -> list[Timing]:
    """Timings for the whitespace-separated words of ``text`` from the library's word and clause marks.

    ``marks`` are ``(kind, 0-based character index, milliseconds)`` in audio order. The library may mark
    several spots in one written word (digits of a number, parts of a hyphenated word), or none (a lone dash):
    a word starts at its first mark and ends at the next word's or clause end's mark, and a word without a
    mark takes the end of the word before it, so every word of the script is captioned. Empty when the
    library marked no word at all.
    """
    words = list(re.finditer(r"\S+", text))
    word_starts = [word.start() for word in words]
    spans: dict[int, tuple[float, float | None]] = {}  # word index -> (start, end once known)
    current = -1
    for kind, position, millis in marks:
        seconds = min(max(millis / 1000, 0.0), duration_s)
        if kind == _EVENT_END:
            if current >= 0 and spans[current][1] is None:
                spans[current] = (spans[current][0], seconds)
            continue
        index = max(bisect.bisect_right(word_starts, position) - 1, 0, current)
        if index == current:
            # Another mark inside the same word: it is still being spoken, even past a clause end.
            spans[current] = (spans[current][0], None)
            continue
        if current >= 0 and spans[current][1] is None:
            spans[current] = (spans[current][0], seconds)
        spans[index] = (seconds, None)
        current = index
    if not spans or not words:
        return []
    timings: list[Timing] = []
    previous_end = 0.0
    for index, word in enumerate(words):
        start, end = spans.get(index, (previous_end, previous_end))
        end = duration_s if end is None else end
        timings.append(Timing(word.group(), round(start, 3), round(max(end, start), 3)))
        previous_end = max(end, start)
    return timings


def _terminate() -> None:
    """Free the library's buffers at exit; skipped if a (daemon) thread is still inside it."""
    global _runtime
    if not _LOCK.acquire(blocking=False):
        return
    try:
        if _runtime is not None:
            _runtime.lib.espeak_Terminate()
            _runtime = None
    finally:
        _LOCK.release()
