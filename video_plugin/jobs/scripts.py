"""What a presenter says: an explicit script, or one written from the page's facts by rule-based templates.

Scripts are written by fixed templates in a few tones, with no outside service: the same page always gives the
same script, and an editor can read every sentence it could produce in :data:`TONES`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import strip_tags

# A composed script reads the description's first sentences only: a spoken video of a whole product page is
# too long to watch, and the runner charges time per second of audio.
COMPOSED_DESCRIPTION_CHARS = 400


@dataclass(frozen=True)
class Tone:
    """Sentence templates for one way of speaking. ``{title}``, ``{price}`` are filled from the page."""

    label: str
    opening: str
    price: str
    closing: str = ""


TONES: dict[str, Tone] = {
    "friendly": Tone(label="Friendly", opening="Meet the {title}.", price="Yours for {price}."),
    "enthusiastic": Tone(
        label="Enthusiastic",
        opening="Say hello to the {title}!",
        price="And the best part? It is only {price}.",
        closing="Grab yours today!",
    ),
    "professional": Tone(
        label="Professional",
        opening="Introducing the {title}.",
        price="It is available for {price}.",
        closing="Details are on this page.",
    ),
    "concise": Tone(label="Concise", opening="The {title}.", price="{price}."),
}
DEFAULT_TONE = "friendly"


@dataclass(frozen=True)
class ScriptSource:
    """What a page offers to speak about. Any field may be empty."""

    title: str = ""
    description: str = ""
    price: Decimal | None = None
    currency: str = "dollars"
    script: str = ""


def plain_text(text: str) -> str:
    """Rich text or HTML as one line of speakable text: tags dropped, entities made the characters they name.

    Tags go first and entities second, so ``&lt;script&gt;`` in a description is spoken (and captioned) as the
    literal text ``<script>`` rather than removed as a tag. The script is plain text from here on: the voice
    would read ``&amp;`` aloud, and the captions escape it themselves.
    """
    return re.sub(r"\s+", " ", html.unescape(strip_tags(text or ""))).strip()


def first_sentences(text: str, limit: int) -> str:
    """Whole sentences of ``text`` up to ``limit`` characters, or the text cut at a word if one is longer."""
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = ""
    for sentence in sentences:
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or text[:limit].rsplit(" ", 1)[0]


def spoken_price(price: Decimal, currency: str) -> str:
    """``Decimal("19.90")`` as "19.90 dollars", and a whole number without its zero cents."""
    amount = f"{price:,.0f}" if price == price.to_integral_value() else f"{price:,.2f}"
    return f"{amount} {currency}"


def write_script(source: ScriptSource, tone: str = DEFAULT_TONE) -> str:
    """A script from the page's title, description and price in ``tone``; ignores ``source.script``."""
    if tone not in TONES:
        raise ValueError(f"tone {tone!r} is not one of {sorted(TONES)}")
    template = TONES[tone]
    parts: list[str] = []
    title = plain_text(source.title)
    if title:
        parts.append(template.opening.format(title=title))
    description = first_sentences(plain_text(source.description), COMPOSED_DESCRIPTION_CHARS)
    if description:
        parts.append(description if description[-1] in ".!?" else f"{description}.")
    if source.price is not None and parts:
        parts.append(template.price.format(price=spoken_price(source.price, source.currency)))
    if parts and template.closing:
        parts.append(template.closing)
    return " ".join(parts)


def compose_script(source: ScriptSource) -> str:
    """The script to speak: the explicit one if given, else one written in the default tone."""
    return plain_text(source.script) or write_script(source)
