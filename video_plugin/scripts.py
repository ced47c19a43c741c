"""What a presenter says: an explicit script, or one composed from the page's facts by a small template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import strip_tags

# A composed script reads the description's first sentences only: a spoken video of a whole product page is
# too long to watch, and the runner charges time per second of audio.
COMPOSED_DESCRIPTION_CHARS = 400


@dataclass(frozen=True)
class ScriptSource:
    """What a page offers to speak about. Any field may be empty."""

    title: str = ""
    description: str = ""
    price: Decimal | None = None
    currency: str = "dollars"
    script: str = ""


def plain_text(text: str) -> str:
    """Rich text or HTML as one line of speakable text."""
    return re.sub(r"\s+", " ", strip_tags(text or "")).strip()


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


def compose_script(source: ScriptSource) -> str:
    """The script to speak: the explicit one if given, else one composed from title, description, price."""
    explicit = plain_text(source.script)
    if explicit:
        return explicit
    parts: list[str] = []
    title = plain_text(source.title)
    if title:
        parts.append(f"Meet the {title}.")
    description = first_sentences(plain_text(source.description), COMPOSED_DESCRIPTION_CHARS)
    if description:
        parts.append(description if description[-1] in ".!?" else f"{description}.")
    if source.price is not None and parts:
        parts.append(f"Yours for {spoken_price(source.price, source.currency)}.")
    return " ".join(parts)
