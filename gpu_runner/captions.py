"""WebVTT captions from the script and the word timings the TTS engine gave (or that were spread over it)."""

from __future__ import annotations

from .tts.base import Timing, spread_timings

LINE_CHARS = 42
LINES_PER_CUE = 2
SENTENCE_ENDS = (".", "!", "?", "…")


def build_webvtt(script: str, timings: list[Timing], duration_s: float) -> str:
    """A WebVTT document: cues of at most two lines of :data:`LINE_CHARS`, a new cue after each sentence."""
    words = timings or spread_timings(script, duration_s)
    cues: list[list[Timing]] = []
    current: list[Timing] = []
    for word in words:
        if current and len(_wrap([*current, word])) > LINES_PER_CUE:
            cues.append(current)
            current = []
        current.append(word)
        if word.text.endswith(SENTENCE_ENDS):
            cues.append(current)
            current = []
    if current:
        cues.append(current)
    blocks = ["WEBVTT"]
    for index, cue in enumerate(cues):
        end = cue[-1].end_s
        if index + 1 < len(cues):
            # Keep a cue on screen until the next begins, so captions do not flicker in the pauses.
            end = max(end, cues[index + 1][0].start_s)
        end = min(max(end, cue[0].start_s + 0.001), duration_s) if duration_s > 0 else end
        blocks.append(f"{_timestamp(cue[0].start_s)} --> {_timestamp(end)}\n" + "\n".join(_wrap(cue)))
    return "\n\n".join(blocks) + "\n"


def _wrap(words: list[Timing]) -> list[str]:
    lines: list[str] = []
    for word in words:
        text = _escape(word.text)
        if lines and len(lines[-1]) + 1 + len(text) <= LINE_CHARS:
            lines[-1] += " " + text
        else:
            lines.append(text)
    return lines


def _escape(text: str) -> str:
    # "-->" would end the timing line early and "<" opens a cue tag; WebVTT has entities for both.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _timestamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
