"""What a presenter says: an explicit script, or one written from the page's facts by rule-based templates.

Scripts are written by fixed templates in a few tones and in each language of :data:`LANGUAGES`, with no
outside service: the same page always gives the same script, and an editor can read every sentence it could
produce in ``script_templates.toml``. A page in a language without templates gets no written script; its
editor writes one (:func:`missing_script_reason` says so).
"""

from __future__ import annotations

import html
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from babel.numbers import format_currency, format_decimal, get_currency_name
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from video_plugin.jobs.languages import babel_locale, base_language, language_name

# A composed script reads the description's first sentences only: a spoken video of a whole product page is
# too long to watch, and the runner charges time per second of audio.
COMPOSED_DESCRIPTION_CHARS = 400

# Where a sentence ends: Latin punctuation before a space, or the full-width marks of Japanese and Chinese,
# which are followed by the next sentence directly.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")
FULL_WIDTH_ENDS = "。！？"


class ScriptError(ValueError):
    """A script that cannot be written as asked; the message says why and what the editor can do."""


@dataclass(frozen=True)
class Tone:
    """Sentence templates for one way of speaking. ``{title}``, ``{price}`` are filled from the page."""

    label: str
    opening: str
    price: str
    closing: str = ""


@dataclass(frozen=True)
class ScriptLanguage:
    """The templates of one language: a :class:`Tone` for each key of :data:`TONES`, how sentences are
    joined, the full stop a description without one gets, and whether prices are spoken in words."""

    name: str
    tones: dict[str, Tone]
    full_stop: str = "."
    sentence_gap: str = " "
    price_in_words: bool = False


def read_templates(text: str) -> dict[str, ScriptLanguage]:
    """The languages of a templates file (``script_templates.toml``'s format), each checked to have every
    tone of its ``[tones]`` table."""
    tables = tomllib.loads(text)
    labels: dict[str, str] = tables.pop("tones")
    languages: dict[str, ScriptLanguage] = {}
    for code, table in tables.items():
        missing = [tone for tone in labels if tone not in table]
        if missing:
            raise ValueError(
                f"script templates for {code!r} lack the tones {missing}; write each of {list(labels)}"
            )
        tones = {tone: Tone(label=label, **table.pop(tone)) for tone, label in labels.items()}
        languages[code] = ScriptLanguage(tones=tones, **table)
    return languages


# The sentences live in a file of their own, where a translator reads and edits every one without Python.
LANGUAGES: dict[str, ScriptLanguage] = read_templates(
    resources.files(__package__).joinpath("script_templates.toml").read_text(encoding="utf-8")
)
# The tones' keys and labels, the same in every language: the panel offers them whatever the page's language.
TONES: dict[str, Tone] = LANGUAGES["en"].tones
DEFAULT_TONE = "friendly"

# English names a voice reads more naturally than Babel's ("US dollars"); other currencies use Babel's.
ENGLISH_CURRENCY_WORDS = {
    "USD": "dollars",
    "CAD": "dollars",
    "AUD": "dollars",
    "GBP": "pounds",
    "EUR": "euros",
}


@dataclass(frozen=True)
class ScriptSource:
    """What a page offers to speak about, in the page's ``language`` (a language code: "de", "pt-br"; empty:
    ``settings.LANGUAGE_CODE``). Any field may be empty.

    ``currency`` is the price's ISO 4217 code. ``price_text`` is the price as the host already writes it for
    this language; empty, it is written from ``price`` and ``currency`` (:func:`price_in`).
    """

    title: str = ""
    description: str = ""
    price: Decimal | None = None
    currency: str = "USD"
    script: str = ""
    language: str = ""
    price_text: str = ""


def price_in(price: Decimal, currency: str, language: str) -> str:
    """The price as a script in ``language`` says it: "24,00 €" in German, "￥2,400" in Japanese; in English
    in words, a whole amount without its zero cents ("24 dollars", "12.50 euros")."""
    locale = babel_locale(language)
    templates = LANGUAGES.get(base_language(language))
    if templates is None or not templates.price_in_words:
        return format_currency(price, currency, locale=locale)
    whole = price == price.to_integral_value()
    amount = format_decimal(price, format="#,##0" if whole else "#,##0.00", locale=locale)
    words = ENGLISH_CURRENCY_WORDS.get(currency.upper()) or get_currency_name(
        currency, count=2, locale=locale
    )
    return f"{amount} {words}"


def plain_text(text: str) -> str:
    """Rich text or HTML as one line of speakable text: tags dropped, entities made the characters they name.

    Tags go first and entities second, so ``&lt;script&gt;`` in a description is spoken (and captioned) as the
    literal text ``<script>`` rather than removed as a tag. The script is plain text from here on: the voice
    would read ``&amp;`` aloud, and the captions escape it themselves.
    """
    return re.sub(r"\s+", " ", html.unescape(strip_tags(text or ""))).strip()


def first_sentences(text: str, limit: int) -> str:
    """Whole sentences of ``text`` up to ``limit`` characters, or the text cut at a word if one is longer
    (at ``limit`` for text without spaces, like Japanese)."""
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in filter(None, SENTENCE_END.split(text)):
        gap = "" if not kept or kept[-1] in FULL_WIDTH_ENDS else " "
        if len(kept) + len(gap) + len(sentence) > limit:
            break
        kept = f"{kept}{gap}{sentence}"
    return kept or text[:limit].rsplit(" ", 1)[0]


def script_language(source: ScriptSource) -> ScriptLanguage:
    """The templates for the source's language; a :class:`ScriptError` naming the language when none."""
    language = LANGUAGES.get(base_language(source.language))
    if language is None:
        raise ScriptError(missing_script_reason(source))
    return language


def missing_script_reason(source: ScriptSource) -> str:
    """Why no script can be written from ``source``, for the editor: no templates in its language, or nothing
    on the page to speak about."""
    code = source.language or settings.LANGUAGE_CODE
    if base_language(code) not in LANGUAGES:
        known = ", ".join(language.name for language in LANGUAGES.values())
        # Translators: %(language)s is a language's name, %(code)s its quoted code, %(known)s a list of
        # languages' names.
        return _(
            "scripts cannot be written in %(language)s (%(code)s): there are templates for %(known)s only. "
            "Write the video script on the page yourself"
        ) % {"language": language_name(code), "code": repr(code), "known": known}
    return _("nothing to say: write a video script on the page, or give it a description")


def write_script(source: ScriptSource, tone: str = DEFAULT_TONE) -> str:
    """A script in the source's language from its title, description and price in ``tone``; ignores
    ``source.script``. A language without templates is a :class:`ScriptError`."""
    if tone not in TONES:
        raise ValueError(f"tone {tone!r} is not one of {sorted(TONES)}")
    language = script_language(source)
    template = language.tones[tone]
    parts: list[str] = []
    title = plain_text(source.title)
    if title:
        parts.append(template.opening.format(title=title))
    description = first_sentences(plain_text(source.description), COMPOSED_DESCRIPTION_CHARS)
    if description:
        ended = description[-1] in ".!?" + FULL_WIDTH_ENDS
        parts.append(description if ended else f"{description}{language.full_stop}")
    if parts and (source.price_text or source.price is not None):
        price = source.price_text or price_in(source.price, source.currency, source.language)
        parts.append(template.price.format(price=price))
    if parts and template.closing:
        parts.append(template.closing)
    return language.sentence_gap.join(parts)


def compose_script(source: ScriptSource) -> str:
    """The script to speak: the explicit one if given, else one written in the default tone; empty when there
    is nothing to speak about or no templates in the page's language (:func:`missing_script_reason`)."""
    explicit = plain_text(source.script)
    if explicit:
        return explicit
    try:
        return write_script(source)
    except ScriptError:
        return ""
