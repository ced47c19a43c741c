"""The brand kit's voices per language: which languages a site offers, and the rule a kit's voice must follow.

A kit maps a primary language subtag (``"de"``) to an engine-qualified voice id that speaks it
(``"edge:de-DE-KatjaNeural"``). The voice-id rule and the language a voice id names are the contract's
(:func:`gpu_runner.protocol.check_voice_id`, :func:`gpu_runner.protocol.voice_language`); this module only
compares languages.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gpu_runner.protocol import ProtocolError, check_voice_id, voice_language
from video_plugin.jobs.languages import base_language


def voice_primary_language(voice: str) -> str | None:
    """The primary language a voice id names (``edge:de-DE-KatjaNeural`` → ``de``); ``None`` when none."""
    tag = voice_language(voice)
    return base_language(tag) if tag else None


def site_languages() -> list[tuple[str, str]]:
    """The primary languages the site's pages are written in, with their names, in the settings' order:
    ``WAGTAIL_CONTENT_LANGUAGES`` (else ``LANGUAGES``), and ``LANGUAGE_CODE``'s when neither names it."""
    configured = getattr(settings, "WAGTAIL_CONTENT_LANGUAGES", None) or settings.LANGUAGES
    languages: dict[str, str] = {}
    for code, name in configured:
        languages.setdefault(base_language(code), str(name))
    default = base_language(settings.LANGUAGE_CODE)
    if default not in languages:
        languages[default] = dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, default)
    return list(languages.items())


def validate_voices_by_language(value: Any) -> None:
    """Django validator: ``{language: voice id}``, each voice a valid id that speaks its key's language."""
    if value in (None, {}):
        return
    if not isinstance(value, dict):
        raise ValidationError(
            _('voices by language must map a language to a voice, e.g. {"de": "espeak:de"}')
        )
    problems = []
    for language, voice in value.items():
        if not isinstance(language, str) or base_language(language) != language or not language.isalpha():
            # Translators: %(language)s is what was given as a language code, quoted.
            problems.append(
                _("%(language)s is not a primary language code such as 'de' or 'fr'")
                % {"language": repr(language)}
            )
            continue
        try:
            check_voice_id(voice)
        except ProtocolError as exc:
            # Translators: %(language)s is a language code, %(problem)s what is wrong with its voice id.
            problems.append(_("%(language)s: %(problem)s") % {"language": language, "problem": exc})
            continue
        spoken = voice_primary_language(voice)
        if spoken != language:
            facts = {"language": language, "voice": repr(voice), "spoken": spoken}
            if spoken:
                # Translators: %(language)s and %(spoken)s are language codes, %(voice)s a quoted voice id.
                problem = _(
                    "%(language)s: voice %(voice)s speaks %(spoken)s, not %(language)s; choose a "
                    "%(language)s voice"
                )
            else:
                # Translators: %(language)s is a language code ("de"), %(voice)s a quoted voice id.
                problem = _(
                    "%(language)s: voice %(voice)s speaks no language its id names, not %(language)s; "
                    "choose a %(language)s voice"
                )
            problems.append(problem % facts)
    if problems:
        raise ValidationError(problems)
