"""How long speech lasts, for an editor: the speaking rate of each engine and language, the estimate of a
script's spoken length, and the one way a duration is written.

Every duration the editor sees (a video's length, the time a job has left, the estimate of a typed script)
is written by :func:`duration_text`, which drops the fraction of a second the way the video player does:
a video of 8.9 s reads "8 s" in the panel and 0:08 under the player. The panel's controller writes the live
estimate of a script being typed with the same rule (``durationText`` in ``video-panel-controller.js``); the
browser test ``tests/browser/test_panel_durations.py`` holds the two to the same text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext as _

from gpu_runner.protocol import voice_language
from video_plugin.conf import video_settings

# A digit is read out as a word ("129" is "one hundred and twenty-nine"): counted as this many letters, a
# price in a script no longer makes the estimate short by a second.
DIGIT_LETTERS = 5
# Characters (letters, space, punctuation) in a word of English: 4.7 letters on average, a space, and a
# punctuation mark every few words. Compares a rate in words with one in letters.
CHARACTERS_PER_WORD = 6


@dataclass(frozen=True)
class SpeakingRate:
    """How fast a voice speaks: ``per_second`` words, or letters (letters and digits, no spaces or
    punctuation). Letters suit languages written without spaces, and vary less than words from one script
    to the next in the others: German's long compounds make few words of many letters.
    """

    per_second: float
    unit: Literal["words", "letters"]

    def seconds_for(self, script: str) -> float:
        """How long ``script`` lasts spoken at this rate."""
        if self.unit == "words":
            count = len(script.split())
        else:
            letters = sum(character.isalnum() for character in script)
            digits = sum(character.isdecimal() for character in script)
            count = letters + (DIGIT_LETTERS - 1) * digits
        return count / self.per_second

    def as_json(self) -> dict[str, Any]:
        return {"per_second": self.per_second, "unit": self.unit}


# espeak-ng's rates were measured on libespeak-ng 1.52 at its default rate (175 words a minute is its nominal
# figure; real speech runs faster, with pauses at punctuation) by synthesizing product scripts of 20 to 30
# words and dividing their letters by the seconds of audio: tests/video_plugin/test_speech_time.py repeats
# the measurement on other scripts and states the estimate's error. Languages not listed use "default", the
# median of the alphabetic languages measured.
#
# Edge's neural voices could not be measured here (no network). Their rates are documented averages, not
# measurements of those voices: 150 words a minute for read English (National Center for Voice and Speech,
# "Voice Qualities", ncvs.org), and for Chinese 5.2 syllables a second, one character each (Pellegrino,
# Coupé & Marsico, "A cross-language perspective on speech information rate", Language 87(3), 2011, Mandarin
# read speech). Japanese there is 7.8 morae a second; written Japanese mixes kana (one mora) with kanji (about
# two), so about 5 characters a second.
SPEAKING_RATES: dict[str, dict[str, SpeakingRate]] = {
    "espeak": {
        "default": SpeakingRate(14.2, "letters"),
        "en": SpeakingRate(13.3, "letters"),
        "de": SpeakingRate(15.8, "letters"),
        "fr": SpeakingRate(17.7, "letters"),
        "es": SpeakingRate(14.3, "letters"),
        "it": SpeakingRate(14.2, "letters"),
        "pt": SpeakingRate(13.3, "letters"),
        "nl": SpeakingRate(14.1, "letters"),
        "cmn": SpeakingRate(3.6, "letters"),
        # libespeak-ng reads Japanese kana well and kanji poorly, so its pace follows a script's share of
        # kanji: the estimate is only within about 30 % (the test states it).
        "ja": SpeakingRate(3.2, "letters"),
    },
    "edge": {
        "default": SpeakingRate(2.5, "words"),
        "zh": SpeakingRate(5.2, "letters"),
        "ja": SpeakingRate(5.0, "letters"),
    },
}
# An engine this table does not know speaks at the documented average for English.
DEFAULT_RATE = SpeakingRate(2.5, "words")


def speaking_rate(voice: str, language: str = "") -> SpeakingRate:
    """The rate of ``voice`` (``espeak:de``, ``edge:en-US-AriaNeural``): its engine's rate for ``language``
    (the script's, when known) or else the voice's language, else its engine's default, else
    :data:`DEFAULT_RATE`.

    A script's own language decides how it is counted: a Japanese script given to an English voice is still
    counted in characters, not as the one "word" its lack of spaces makes.
    """
    engine, _, _ = voice.partition(":")
    rates = SPEAKING_RATES.get(engine)
    if rates is None:
        return DEFAULT_RATE
    language = (language or voice_language(voice) or "").replace("_", "-").split("-")[0].lower()
    return rates.get(language) or rates["default"]


def characters_per_second(rate: SpeakingRate) -> float:
    """About how many characters of a script ``rate`` speaks a second: a word of English is about
    :data:`CHARACTERS_PER_WORD` characters, a letter about one."""
    return rate.per_second * (CHARACTERS_PER_WORD if rate.unit == "words" else 1)


def longest_script_chars(voice: str, limit: int, language: str = "") -> int:
    """The longest script in ``language`` (else the voice's) that ``voice`` should be given: as long spoken
    as ``limit`` characters of English by the same engine, and never over ``limit``.

    A character limit sized for English is about ten minutes of Japanese or Chinese speech, where each
    character is a syllable or two; this gives those languages the same spoken length instead. Languages
    spoken at least as fast as English per character keep ``limit``.
    """
    ratio = characters_per_second(speaking_rate(voice, language)) / characters_per_second(
        speaking_rate(voice, "en")
    )
    return min(limit, math.floor(limit * ratio))


def script_limit(voice: str, language: str = "") -> int:
    """The longest script in ``language`` that ``voice`` is given: ``WAGTAIL_VIDEO["MAX_SCRIPT_CHARS"]`` sized
    for English, shortened for languages that say more per character (see :func:`longest_script_chars`)."""
    return longest_script_chars(voice, video_settings.MAX_SCRIPT_CHARS, language)


def estimated_speech_seconds(script: str, voice: str, language: str = "") -> float:
    """About how long ``script`` (in ``language``, when known) lasts spoken by ``voice``, in seconds (to a
    tenth)."""
    # A script is already plain text: stripping tags again would drop a literal "<script>" from the count.
    return round(speaking_rate(voice, language).seconds_for(script), 1)


def speaking_rates_json() -> dict[str, Any]:
    """The table for the panel's controller, which estimates a script's length as the editor types."""
    return {
        "engines": {
            engine: {language: rate.as_json() for language, rate in rates.items()}
            for engine, rates in SPEAKING_RATES.items()
        },
        "default": DEFAULT_RATE.as_json(),
        "digit_letters": DIGIT_LETTERS,
    }


def duration_text(seconds: float) -> str:
    """``seconds`` as an editor reads it, the fraction dropped like the player's: "8 s", "1 min 21 s"."""
    whole = max(0, math.floor(seconds))
    minutes, rest = divmod(whole, 60)
    if minutes:
        # Translators: a length of time, e.g. "1 min 21 s".
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}
    # Translators: a length of time under a minute, e.g. "8 s".
    return _("%(seconds)s s") % {"seconds": rest}
