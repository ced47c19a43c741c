"""Language codes as pages carry them ("de", "pt-br", Wagtail's ``locale.language_code``), read one way for
scripts, prices and speaking rates."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils.translation import get_language


def base_language(language: str) -> str:
    """The language without its region, lower case ("pt-BR" → "pt"); empty: ``settings.LANGUAGE_CODE``'s."""
    code = language or settings.LANGUAGE_CODE
    return code.replace("_", "-").split("-")[0].lower()


def babel_locale(language: str) -> Locale:
    """Babel's locale for a language code ("de", "pt-br"); its base language's if Babel lacks the region,
    English's if Babel lacks the language."""
    code = (language or settings.LANGUAGE_CODE).replace("-", "_")
    for candidate in (code, base_language(language)):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en")


def language_name(language: str) -> str:
    """The language's name in the active language ("Polish"; to a German editor, "Polnisch"), else its code:
    for messages an editor reads."""
    try:
        return (
            Locale.parse(base_language(language)).get_display_name(babel_locale(get_language() or ""))
            or language
        )
    except (UnknownLocaleError, ValueError):
        return language
