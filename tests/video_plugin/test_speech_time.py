"""The editor's durations: one rounding rule (the player's), and a spoken-length estimate calibrated against
real espeak-ng speech.

The Edge voices are not measured here (no network): their rates in ``SPEAKING_RATES`` are documented averages,
and only the lookup is tested for them.
"""

from __future__ import annotations

import pytest

from gpu_runner.tts.espeak import EspeakEngine
from video_plugin.jobs.speech_time import (
    DEFAULT_RATE,
    SPEAKING_RATES,
    duration_text,
    estimated_speech_seconds,
    speaking_rate,
)

# How far the estimate may be from the audio espeak-ng really makes, for any one script. Japanese is looser:
# libespeak-ng's pace there follows the script's share of kanji (see SPEAKING_RATES).
ESTIMATE_TOLERANCE = 0.15
TOLERANCE_OF_VOICE = {"espeak:ja": 0.30}

# Scripts unlike those the rates were measured on: other products, lengths, digits and punctuation.
SCRIPTS = [
    (
        "espeak:en-us",
        "Meet the Harbor rain jacket. It packs into its own pocket, shrugs off a downpour and "
        "weighs less than an apple. Yours for 129 dollars.",
    ),
    (
        "espeak:en-us",
        "Say hello to the cast iron skillet! Sear a steak, bake cornbread, and pass it down to "
        "your grandchildren. It is only 45 dollars. Grab yours today!",
    ),
    (
        "espeak:en-gb",
        "Introducing the oak chopping board. Cut from a single piece of wood, it is oiled by hand "
        "and gentle on your knives. Details are on this page.",
    ),
    (
        "espeak:de",
        "Die Regenjacke passt in ihre eigene Tasche, hält jedem Schauer stand und wiegt weniger "
        "als ein Apfel. Sie kostet 129 Euro.",
    ),
    (
        "espeak:fr-fr",
        "Voici la veste de pluie Harbor. Elle se range dans sa propre poche, résiste à l'averse "
        "et pèse moins qu'une pomme.",
    ),
    (
        "espeak:es",
        "Te presentamos la sartén de hierro fundido. Sella la carne, hornea pan de maíz y pásala a "
        "tus nietos. Solo cuesta 45 euros.",
    ),
    ("espeak:cmn", "这件雨衣可以收进自己的口袋里，能挡住大雨，比一个苹果还轻。售价一百二十九元。"),
    ("espeak:ja", "このレインジャケットは自分のポケットに収納でき、大雨をはじき、りんごより軽いです。"),
]


@pytest.fixture(scope="module")
def espeak() -> EspeakEngine:
    engine = EspeakEngine()
    engine.load()
    return engine


@pytest.mark.parametrize(("voice", "script"), SCRIPTS, ids=[voice for voice, _ in SCRIPTS])
def test_the_estimate_is_within_15_percent_of_real_espeak_speech_30_in_japanese(
    espeak: EspeakEngine, voice: str, script: str
) -> None:
    spoken = espeak.synthesize(script, voice.partition(":")[2]).speech.duration_s
    estimate = estimated_speech_seconds(script, voice)
    error = (estimate - spoken) / spoken
    print(f"{voice}: estimate {estimate:.1f} s, espeak-ng spoke {spoken:.2f} s, error {error:+.1%}")
    assert abs(error) <= TOLERANCE_OF_VOICE.get(voice, ESTIMATE_TOLERANCE)


def test_a_voice_gets_its_engines_rate_for_its_language() -> None:
    assert speaking_rate("espeak:de") == SPEAKING_RATES["espeak"]["de"]
    assert speaking_rate("espeak:en-gb-x-rp") == SPEAKING_RATES["espeak"]["en"]
    assert speaking_rate("espeak:cmn-latn-pinyin") == SPEAKING_RATES["espeak"]["cmn"]
    assert speaking_rate("edge:zh-CN-XiaoxiaoNeural") == SPEAKING_RATES["edge"]["zh"]
    assert speaking_rate("edge:en-US-AriaNeural") == SPEAKING_RATES["edge"]["default"]
    assert speaking_rate("espeak:sw") == SPEAKING_RATES["espeak"]["default"]
    assert speaking_rate("piper:en_US-amy") == DEFAULT_RATE


def test_languages_without_spaces_are_counted_in_characters() -> None:
    # Twenty characters with no space: counted in words it would be one word, half a second.
    assert estimated_speech_seconds("这" * 20, "espeak:cmn") == round(
        20 / SPEAKING_RATES["espeak"]["cmn"].per_second, 1
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (8.9, "8 s"),
        (9.0, "9 s"),
        (59.99, "59 s"),
        (60, "1 min 0 s"),
        (81.9, "1 min 21 s"),
        (-1, "0 s"),
    ],
)
def test_durations_drop_the_fraction_of_a_second_like_the_player(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text
