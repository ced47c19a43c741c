"""Text in a box: split into runs by the font that can draw them, wrapped by measured width, drawn in order.

Three things make text in a video harder than ``ImageDraw.text``:

- *Coverage.* A line may mix scripts no single font has. :func:`split_runs` gives each stretch of text to the
  first face of the chain that has its characters; spaces, digits and punctuation stay with the stretch they
  sit in, so an Arabic sentence is shaped as one run rather than word by word.
- *Direction.* A paragraph whose first strong character is Arabic or Hebrew reads right to left: its runs are
  laid out from the right, and libraqm (through Pillow) shapes and orders the characters inside each run.
  Without libraqm the characters of a right-to-left run are reversed, unshaped: legible, if not beautiful.
- *Breaking.* Lines break at spaces, and between any two Chinese or Japanese characters (those scripts put no
  spaces between words), never before closing punctuation. A word wider than the box is broken where it must.
  :func:`fit_text` wraps, then shrinks, then as a last resort ends the last line with an ellipsis, so text
  never leaves its box.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import ImageDraw

from .fonts import HAS_RAQM, Face
from .geometry import Box

ELLIPSIS = "…"
# Line pitch and baseline as fractions of the font size: Noto's ascender is about 1.07 em and its descender
# 0.29 em, so lines this far apart neither touch nor float.
LINE_PITCH = 1.32
BASELINE = 1.04
# Bidi classes that take the direction of the text around them.
_NEUTRAL_CLASSES = frozenset({"WS", "CS", "ES", "ET", "ON", "EN", "AN", "BN", "NSM", "S", "B"})
_RTL_CLASSES = frozenset({"R", "AL"})
# Closing punctuation that must not begin a line of Chinese or Japanese text.
_NO_LINE_START = frozenset("。、，．！？：；）」』】〉》・ー…,.!?:;)]}")


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn with one face."""

    text: str
    face: Face


@dataclass(frozen=True)
class FittedText:
    """Lines of text that fit a box at ``size`` pixels; ``shortened`` when an ellipsis cut the text."""

    lines: tuple[str, ...]
    size: int
    shortened: bool

    @property
    def height(self) -> int:
        return line_pitch(self.size) * len(self.lines)


def line_pitch(size: int) -> int:
    return round(size * LINE_PITCH)


def is_rtl(text: str) -> bool:
    """Whether a paragraph reads right to left: its first strong character is Arabic or Hebrew."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in _RTL_CLASSES:
            return True
        if direction == "L":
            return False
    return False


def split_runs(text: str, chain: Sequence[Face]) -> list[Run]:
    """``text`` cut into runs, each drawn by the first face of ``chain`` that has its characters.

    A character no face has goes to the chain's first face (it draws a box: see :func:`missing_characters`).
    """
    runs: list[Run] = []
    for character in text:
        current = runs[-1] if runs else None
        neutral = unicodedata.bidirectional(character) in _NEUTRAL_CLASSES
        if current is not None and neutral and current.face.covers(character):
            runs[-1] = Run(current.text + character, current.face)
            continue
        face = next((f for f in chain if f.covers(character)), chain[0])
        if current is not None and current.face == face:
            runs[-1] = Run(current.text + character, face)
        else:
            runs.append(Run(character, face))
    return runs


def missing_characters(text: str, chain: Sequence[Face]) -> list[str]:
    """The distinct printable characters of ``text`` that no face of ``chain`` can draw."""
    missing: list[str] = []
    for character in text:
        if character.isspace() or unicodedata.category(character) in ("Cc", "Cf", "Mn"):
            continue
        if character not in missing and not any(face.covers(character) for face in chain):
            missing.append(character)
    return missing


def fallback_notes(text: str, chain: Sequence[Face], what: str) -> list[str]:
    """Plain-words notes on the faces ``text`` needed beyond the chosen one, and on what none could draw."""
    notes: list[str] = []
    seen: set[str] = set()
    for run in split_runs(text, chain):
        if run.face.name == chain[0].name or run.face.name in seen:
            continue
        seen.add(run.face.name)
        sample = run.text.strip()
        sample = sample[:4].rstrip() + ELLIPSIS if len(sample) > 4 else sample
        notes.append(f"{chain[0].name} cannot draw {sample!r} in the {what}: {run.face.name} was used for it")
    missing = missing_characters(text, chain)
    if missing:
        shown = "".join(missing[:5])
        notes.append(f"no bundled font can draw {shown!r} in the {what}: it shows as an empty box")
    return notes


def _shown(run: Run, rtl: bool) -> tuple[str, str | None]:
    """The text to hand Pillow for ``run`` of a paragraph (``rtl``: right to left), and its direction.

    libraqm lays out each run with the paragraph's direction as its base, so the spaces and punctuation at a
    run's edges land on the side the paragraph reads towards (left of an Arabic word, right of a Latin one).
    Without libraqm Pillow draws characters in logical order; reversing a right-to-left run at least puts its
    letters in reading order (unshaped).
    """
    if HAS_RAQM:
        return run.text, "rtl" if rtl else "ltr"
    return (run.text[::-1] if is_rtl(run.text) else run.text), None


def measure(text: str, chain: Sequence[Face], size: int, *, rtl: bool | None = None) -> float:
    """The width of ``text`` at ``size`` in pixels (``rtl``: the paragraph's direction, else its own)."""
    rtl = is_rtl(text) if rtl is None else rtl
    width = 0.0
    for run in split_runs(text, chain):
        shown, direction = _shown(run, rtl)
        width += run.face.font(size).getlength(shown, direction=direction)
    return width


def draw_line(
    draw: ImageDraw.ImageDraw,
    x: float,
    top: float,
    text: str,
    chain: Sequence[Face],
    size: int,
    fill: tuple[int, ...],
    *,
    stroke_width: int = 0,
    stroke_fill: tuple[int, ...] | None = None,
    rtl: bool | None = None,
) -> None:
    """Draw one line whose left edge is ``x`` and whose line box starts at ``top``.

    A right-to-left paragraph (``rtl``, by default the line's own first strong character) lays its runs out
    from the right.
    """
    rtl = is_rtl(text) if rtl is None else rtl
    runs = split_runs(text, chain)
    if rtl:
        runs.reverse()
    baseline = top + round(size * BASELINE)
    for run in runs:
        font = run.face.font(size)
        shown, direction = _shown(run, rtl)
        draw.text(
            (x, baseline),
            shown,
            font=font,
            fill=fill,
            anchor="ls",
            direction=direction,
            stroke_width=stroke_width,
            stroke_fill=stroke_fill,
        )
        x += font.getlength(shown, direction=direction)


def draw_block(
    draw: ImageDraw.ImageDraw,
    box: Box,
    fitted: FittedText,
    chain: Sequence[Face],
    fill: tuple[int, ...],
    *,
    align: str = "start",
    valign: str = "top",
    stroke_width: int = 0,
    stroke_fill: tuple[int, ...] | None = None,
) -> Box:
    """Draw fitted lines inside ``box``; returns the box the lines occupy.

    ``align`` is ``"start"`` (left, or right for a right-to-left paragraph), ``"center"`` or ``"end"``;
    ``valign`` is ``"top"``, ``"middle"`` or ``"bottom"``.
    """
    pitch = line_pitch(fitted.size)
    height = pitch * len(fitted.lines)
    top = {"top": box.y, "middle": box.y + (box.height - height) / 2, "bottom": box.bottom - height}[valign]
    left_most, right_most = float(box.right), float(box.x)
    rtl = is_rtl(" ".join(fitted.lines))
    for index, line in enumerate(fitted.lines):
        width = measure(line, chain, fitted.size, rtl=rtl)
        if align == "center":
            x = box.x + (box.width - width) / 2
        elif (align == "start") == rtl:
            x = box.right - width
        else:
            x = float(box.x)
        draw_line(
            draw,
            x,
            top + index * pitch,
            line,
            chain,
            fitted.size,
            fill,
            stroke_width=stroke_width,
            stroke_fill=stroke_fill,
            rtl=rtl,
        )
        left_most, right_most = min(left_most, x), max(right_most, x + width)
    return Box.around(left_most, top, right_most, top + height)


def _is_ideographic(character: str) -> bool:
    # Wide characters other than Hangul (Korean puts spaces between words): Han, kana, full-width forms.
    code = ord(character)
    return unicodedata.east_asian_width(character) in ("W", "F") and not 0xAC00 <= code <= 0xD7AF


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Unbreakable pieces of ``text``, each with whether a space comes before it."""
    pieces: list[tuple[str, bool]] = []
    for word in text.split():
        spaced = True
        for character in word:
            if pieces and not spaced and character in _NO_LINE_START:
                previous, space = pieces[-1]
                pieces[-1] = (previous + character, space)
            elif (
                pieces
                and not spaced
                and not _is_ideographic(character)
                and not _is_ideographic(pieces[-1][0][-1])
            ):
                previous, space = pieces[-1]
                pieces[-1] = (previous + character, space)
            else:
                pieces.append((character, spaced))
            spaced = False
    return pieces


def _break_word(word: str, chain: Sequence[Face], size: int, width: int) -> list[str]:
    """A word wider than the box, cut between characters into parts that fit."""
    parts: list[str] = []
    current = ""
    for character in word:
        if current and measure(current + character, chain, size) > width:
            parts.append(current)
            current = character
        else:
            current += character
    return [*parts, current] if current else parts


def wrap(text: str, chain: Sequence[Face], size: int, width: int) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels at ``size``."""
    lines: list[str] = []
    current = ""
    for piece, spaced in _pieces(text):
        candidate = f"{current} {piece}" if current and spaced else current + piece
        if measure(candidate, chain, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        parts = _break_word(piece, chain, size, width) if measure(piece, chain, size) > width else [piece]
        lines.extend(parts[:-1])
        current = parts[-1]
    if current:
        lines.append(current)
    return lines


def ellipsize(line: str, chain: Sequence[Face], size: int, width: int) -> str:
    """``line`` cut short enough that it fits ``width`` with an ellipsis after it."""
    line = line.rstrip()
    while line and measure(line + ELLIPSIS, chain, size) > width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS


def fit_text(
    text: str,
    chain: Sequence[Face],
    width: int,
    height: int,
    *,
    size: int,
    min_size: int,
    max_lines: int,
) -> FittedText:
    """``text`` wrapped into at most ``max_lines`` lines inside ``width`` × ``height``.

    Tries ``size`` first and shrinks step by step down to ``min_size``; if the text still does not fit,
    the last line that fits ends with an ellipsis and ``shortened`` is set.
    """
    size = max(size, min_size)
    while True:
        lines = wrap(text, chain, size, width)
        lines_that_fit = max(1, min(max_lines, height // line_pitch(size)))
        if len(lines) <= lines_that_fit:
            return FittedText(tuple(lines), size, shortened=False)
        if size <= min_size:
            break
        size = max(min_size, int(size * 0.92))
    kept = lines[:lines_that_fit]
    kept[-1] = ellipsize(kept[-1], chain, size, width)
    return FittedText(tuple(kept), size, shortened=True)
