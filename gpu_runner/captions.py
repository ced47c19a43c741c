"""Captions from the script and the voice's word timings: which words form which cue, when, and as WebVTT.

:func:`caption_cues` is the one segmentation of a script into cues. The WebVTT file and the captions burned
into a finished video (``gpu_runner.compose``) both come from it, so what is read in one is what is seen in
the other; only the line breaks differ, because the burned-in text wraps by pixel width.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .tts.base import Timing, spread_timings

LINE_CHARS = 42
LINES_PER_CUE = 2
# Latin's, the CJK full stops and marks, Arabic's and Urdu's question mark and full stop, and the danda.
SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？", "؟", "۔", "।")
# Matching an engine's words to the script's: letters of the script the engine may pass over unsaid before
# its next word, and engine words one written word may hold (a hyphenated word, a number read digit by digit).
MAX_SKIPPED_LETTERS = 12
MAX_ENGINE_WORDS_PER_WORD = 4
# Scripts written without spaces between words: kana and CJK ideographs, Thai, Lao, Myanmar, Khmer.
UNSPACED_SCRIPT_RE = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
)
# What takes no space beside it in such a script: its letters, and its own punctuation (、。「」 and the
# full-width forms).
UNSPACED_CHARACTER_RE = re.compile(f"{UNSPACED_SCRIPT_RE.pattern[:-1]}\u3000-\u303f\uff00-\uffef]")


@dataclass(frozen=True)
class Cue:
    """Words shown together, from ``start_s`` until ``end_s`` (seconds from the start of the speech)."""

    words: tuple[str, ...]
    start_s: float
    end_s: float

    @property
    def text(self) -> str:
        """The cue's words as one line of plain text (no WebVTT escaping); no space between words of a script
        written without spaces (Japanese, Chinese, Thai)."""
        return _joined(self.words)


def caption_cues(script: str, timings: Sequence[Timing], duration_s: float) -> list[Cue]:
    """The script cut into cues of at most two lines of :data:`LINE_CHARS`, a new cue after each sentence.

    Times come from the engine's ``timings`` when it gave them, else they are spread over ``duration_s`` by
    character count. A cue stays up until the next begins (no flicker in the pauses) and never past
    ``duration_s``.
    """
    words = _in_script_words(script, timings) if timings else spread_timings(script, duration_s)
    groups: list[list[Timing]] = []
    current: list[Timing] = []
    for word in words:
        if current and len(_wrap([w.text for w in [*current, word]])) > LINES_PER_CUE:
            groups.append(current)
            current = []
        current.append(word)
        if word.text.endswith(SENTENCE_ENDS):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    cues = []
    for index, group in enumerate(groups):
        start, end = group[0].start_s, group[-1].end_s
        if index + 1 < len(groups):
            end = max(end, groups[index + 1][0].start_s)
        end = min(max(end, start + 0.001), duration_s) if duration_s > 0 else end
        cues.append(Cue(tuple(w.text for w in group), start, end))
    return cues


def build_webvtt(
    script: str, timings: Sequence[Timing], duration_s: float, *, offset_s: float = 0.0, language: str = ""
) -> str:
    """A WebVTT document of :func:`caption_cues`, shifted by ``offset_s`` (an intro card's length)."""
    return webvtt_of(caption_cues(script, timings, duration_s), offset_s=offset_s, language=language)


def webvtt_of(cues: Sequence[Cue], *, offset_s: float = 0.0, language: str = "") -> str:
    """``cues`` as a WebVTT document, lines wrapped at :data:`LINE_CHARS` columns and text escaped.

    ``language`` (a BCP 47 tag such as ``ja`` or ``ar``) is stated in the header, as players and caption
    tools read it (``Language: ja``); WebVTT parsers skip header lines they do not know.
    """
    header = "WEBVTT\nKind: captions" + (f"\nLanguage: {language}" if language else "")
    blocks = [header]
    for cue in cues:
        timing = f"{_timestamp(cue.start_s + offset_s)} --> {_timestamp(cue.end_s + offset_s)}"
        blocks.append(timing + "\n" + "\n".join(_wrap(list(cue.words))))
    return "\n\n".join(blocks) + "\n"


def cue_at(cues: Sequence[Cue], time_s: float) -> Cue | None:
    """The cue on screen at ``time_s`` (``cues`` in time order), or ``None`` between or outside them."""
    index = bisect.bisect_right([cue.start_s for cue in cues], time_s) - 1
    if index >= 0 and time_s < cues[index].end_s:
        return cues[index]
    return None


def _in_script_words(script: str, timings: Sequence[Timing]) -> list[Timing]:
    """The engine's ``timings`` carried over to the script's own words, as written.

    Some engines report bare words (Edge says ``coffee`` for ``coffee.``): captions would then read without
    punctuation and no sentence could end a cue. Each whitespace-separated word of the script takes the times
    of the engine's words found in it, in order; a script word the engine did not voice (a lone dash) joins
    the word before it. The engine's timings are kept as they are when its words are not the script's (a
    number read out in words) or when the script does not separate its words by spaces (Chinese, Japanese,
    Thai), where the engine's words are the finer cut.
    """
    if UNSPACED_SCRIPT_RE.search(script):
        return list(timings)
    tokens = script.split()
    letters: list[str] = []
    owner: list[int] = []  # the token each letter of ``letters`` belongs to
    for index, token in enumerate(tokens):
        for letter in _letters(token):
            letters.append(letter)
            owner.append(index)
    text = "".join(letters)
    spans: dict[int, tuple[float, float]] = {}
    words_in: dict[int, int] = {}
    position = 0
    for timing in timings:
        key = _letters(timing.text)
        if not key:
            continue
        found = text.find(key, position)
        if found < 0 or found - position > MAX_SKIPPED_LETTERS:
            return list(timings)
        for index in range(owner[found], owner[found + len(key) - 1] + 1):
            start, end = spans.get(index, (timing.start_s, timing.end_s))
            spans[index] = (start, max(end, timing.end_s))
            words_in[index] = words_in.get(index, 0) + 1
        position = found + len(key)
    if not spans or max(words_in.values()) > MAX_ENGINE_WORDS_PER_WORD:
        return list(timings)
    words: list[Timing] = []
    unvoiced: list[str] = []
    for index, token in enumerate(tokens):
        if index not in spans:
            if words:
                words[-1] = Timing(f"{words[-1].text} {token}", words[-1].start_s, words[-1].end_s)
            else:
                unvoiced.append(token)
            continue
        start, end = spans[index]
        words.append(Timing(" ".join([*unvoiced, token]), start, end))
        unvoiced = []
    return words


def _letters(text: str) -> str:
    return "".join(letter for letter in text.casefold() if letter.isalnum())


def _joined(words: Sequence[str]) -> str:
    """``words`` as written: a space between two words unless both sides are of a script without spaces."""
    text = ""
    for word in words:
        text += _separator(text, word) + word
    return text


def _separator(before: str, word: str) -> str:
    if not before:
        return ""
    # Japanese sets a Latin word beside kana without a space ("LEDを"), so one unspaced side is enough.
    unspaced = UNSPACED_CHARACTER_RE.match(before[-1]) or UNSPACED_CHARACTER_RE.match(word[:1])
    return "" if unspaced else " "


def _columns(text: str) -> int:
    """How wide ``text`` shows: CJK and other wide characters take two columns (a Japanese line of 21
    characters is as wide as a Latin line of 42)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _wrap(words: list[str]) -> list[str]:
    """Lines of at most :data:`LINE_CHARS` columns, broken between words; a word too wide for a line alone
    (a run of Japanese or Chinese the engine gave as one word) is broken between its characters."""
    lines: list[str] = []
    for word in words:
        for piece in _pieces(word):
            joined = lines[-1] + _separator(lines[-1], piece) + piece if lines else piece
            if lines and _columns(joined) <= LINE_CHARS:
                lines[-1] = joined
            else:
                lines.append(piece)
    return [_escape(line) for line in lines]


def _pieces(word: str) -> list[str]:
    """``word`` itself, or, when it is wider than a line and written without spaces, line-wide slices."""
    if _columns(word) <= LINE_CHARS or not UNSPACED_SCRIPT_RE.search(word):
        return [word]
    pieces, current = [], ""
    for char in word:
        if current and _columns(current + char) > LINE_CHARS:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current] if current else pieces


def _escape(text: str) -> str:
    # "-->" would end the timing line early and "<" opens a cue tag; WebVTT has entities for both.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
