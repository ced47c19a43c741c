"""Which voice reads a page when the request names none: one that speaks the page's language, or none at all.

In order: the brand kit's voice for the language of the page's locale (``default_voices``), the organization's
default voice when it speaks that language, the online runners' own voice for it. A page that none of them
can voice is a failed job naming the languages that can be voiced: a German page is never read out by an
English voice without anyone being told.

A site without Wagtail's i18n has one locale, in ``settings.LANGUAGE_CODE``; there the organization's default
voice speaks the page's language, as it always did.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gpu_runner.protocol import voice_language
from video_plugin.brand.voices_by_language import voice_primary_language
from video_plugin.conf import video_settings
from video_plugin.jobs.capabilities import RunnerCapabilities, read_capabilities
from video_plugin.jobs.languages import base_language
from video_plugin.jobs.languages import language_name as name_in_words
from video_plugin.models import BrandKit
from video_plugin.tenancy import OrganizationInfo

# When the runners offer a language in several engines, the natural online voice reads it; the offline
# engine stays the runner's own fallback when the online one fails mid-job (gpu_runner.tts.chain).
ENGINE_PREFERENCE = ("edge", "espeak")
# A failure lists the languages that can be voiced; espeak alone knows a hundred, so the list is cut here.
LISTED_LANGUAGES = 30


class NoVoiceForLanguage(Exception):
    """No voice the organization or the runners have speaks the page's language. The message says which
    languages can be voiced and where to set a voice."""

    def __init__(self, language: str, message: str) -> None:
        super().__init__(message)
        self.language = language


def language_name(code: str) -> str:
    """``German (de)``: a language's name, in the editor's language, with its code, for messages an editor
    reads."""
    return f"{name_in_words(code)} ({code})"


def voice_for(
    page: Any,
    organization: OrganizationInfo,
    kit: BrandKit,
    capabilities: RunnerCapabilities | None = None,
) -> str:
    """The voice that reads ``page`` when its request names none.

    ``capabilities`` are the online runners' (:func:`~video_plugin.jobs.capabilities.read_capabilities`);
    ``None`` reads them only when the kit and the organization leave the page's language without a voice.

    Raises:
        NoVoiceForLanguage: nothing known speaks the page's language.
    """
    tag = page.video_language()  # the same language the page's script is written in
    language = base_language(tag)
    kit_voice = (kit.default_voices or {}).get(language)
    if kit_voice:
        return kit_voice
    organization_voice = organization.default_voice or video_settings.DEFAULT_VOICE
    organization_language = voice_primary_language(organization_voice)
    # A voice id that names no language (a custom engine's) is trusted as before: nothing better is known.
    if organization_language in (language, None):
        return organization_voice
    capabilities = capabilities if capabilities is not None else read_capabilities()
    runner_voice = runners_voice_for(language, tag, capabilities)
    if runner_voice:
        return runner_voice
    raise NoVoiceForLanguage(
        language,
        no_voice_message(page, language, kit, organization_voice, organization_language, capabilities),
    )


def runners_voice_for(language: str, tag: str, capabilities: RunnerCapabilities) -> str | None:
    """The runners' voice for ``language``: their default voice when it speaks it, else the first one, an
    online engine's before the offline one's, the page's region (``de-AT``) and then the language's home
    region (``de-DE``) first."""
    offered = capabilities.voices.get(language) or []
    if capabilities.default_voice in offered:
        return capabilities.default_voice
    wanted_tag = tag.replace("_", "-").lower()
    home_tag = f"{language}-{language}"

    def rank(item: tuple[int, str]) -> tuple[int, bool, bool, int]:
        position, voice = item
        engine = voice.partition(":")[0]
        engine_rank = (
            ENGINE_PREFERENCE.index(engine) if engine in ENGINE_PREFERENCE else len(ENGINE_PREFERENCE)
        )
        voice_tag = (voice_language(voice) or "").lower()
        return (engine_rank, voice_tag != wanted_tag, voice_tag != home_tag, position)

    ranked = sorted(enumerate(offered), key=rank)
    return ranked[0][1] if ranked else None


def voiceable_languages(
    kit: BrandKit, organization_language: str | None, caps: RunnerCapabilities
) -> list[str]:
    """The languages some voice of the kit, the organization or an online runner speaks, sorted."""
    languages = {code for code, voice in (kit.default_voices or {}).items() if voice}
    languages.update(code for code, voices in caps.voices.items() if voices)
    if organization_language:
        languages.add(organization_language)
    return sorted(languages)


def no_voice_message(
    page: Any,
    language: str,
    kit: BrandKit,
    organization_voice: str,
    organization_language: str | None,
    capabilities: RunnerCapabilities,
) -> str:
    """Why no voice reads ``page``: what was asked, which languages can be voiced, and where to set one."""
    name = language_name(language)
    languages = [
        language_name(code) for code in voiceable_languages(kit, organization_language, capabilities)
    ]
    listed = ", ".join(languages[:LISTED_LANGUAGES]) or _("none")
    if len(languages) > LISTED_LANGUAGES:
        more = len(languages) - LISTED_LANGUAGES
        # Translators: %(languages)s is a list of languages, e.g. "German (de), French (fr)".
        listed = ngettext("%(languages)s and %(count)s more", "%(languages)s and %(count)s more", more) % {
            "languages": listed,
            "count": more,
        }
    facts = {
        "name": name,
        "page": repr(page.title),
        "language": language,
        "voice": organization_voice,
        "voice_language": organization_language,
        "listed": listed,
        "problem": capabilities.problem or _("none has reported"),
    }
    if capabilities.online:
        # Translators: %(name)s is a language's name with its code ("German (de)"), %(language)s its code,
        # %(voice)s a voice id and %(listed)s a list of languages. "Settings → Brand kits" as the menu says.
        return (
            _(
                "no voice speaks %(name)s, the language of page %(page)s: the brand kit names no "
                "%(language)s voice, the organization's default voice %(voice)s speaks %(voice_language)s, "
                "and no online runner offers a %(language)s voice. Languages that can be voiced: %(listed)s. "
                "Choose a %(name)s voice in Settings → Brand kits, or a voice for this video in the page "
                "editor."
            )
            % facts
        )
    # Translators: as above; %(problem)s says why no runner is online.
    return (
        _(
            "no voice speaks %(name)s, the language of page %(page)s: the brand kit names no %(language)s "
            "voice, the organization's default voice %(voice)s speaks %(voice_language)s, and no runner is "
            "online to offer one (%(problem)s). Languages that can be voiced: %(listed)s. Choose a %(name)s "
            "voice in Settings → Brand kits, or a voice for this video in the page editor."
        )
        % facts
    )
