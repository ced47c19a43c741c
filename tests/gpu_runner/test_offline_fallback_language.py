"""The offline fallback speaks the language that was asked for when libespeak-ng has it, and when it has not,
the job's record says which language was asked for and which one was heard."""

from __future__ import annotations

import pytest

from gpu_runner.tts import SpeechService, TTSError
from gpu_runner.tts.base import SpokenText, TTSEngine, Voice
from gpu_runner.tts.espeak import EspeakEngine


class UnreachableEdge(TTSEngine):
    """The online engine with its real voice names, failing as it does when the service cannot be reached."""

    name = "edge"
    online = True

    def load(self) -> None:
        return None

    def voices(self) -> list[Voice]:
        names = ["de-DE-KatjaNeural", "zu-ZA-ThandoNeural", "zh-CN-XiaoxiaoNeural", "en-GB-SoniaNeural"]
        return [Voice("edge", name, name.split("-")[0].lower()) for name in names]

    def synthesize(self, text: str, voice: str) -> SpokenText:
        raise TTSError("speech.platform.bing.com is unreachable")


def service(offline_voice: str = "espeak:en-us") -> SpeechService:
    loaded = SpeechService(
        [UnreachableEdge(), EspeakEngine()], default_voice=offline_voice, offline_voice=offline_voice
    )
    loaded.load()
    return loaded


def test_a_german_voice_falls_back_to_the_german_offline_voice_without_a_language_warning() -> None:
    voiced = service().speak("Hallo und willkommen.", "edge:de-DE-KatjaNeural")
    assert voiced.voice == "espeak:de"
    assert voiced.fallbacks == [
        "voice edge:de-DE-KatjaNeural was unavailable (speech.platform.bing.com is unreachable); "
        "the offline voice espeak:de was used instead"
    ]


def test_a_language_with_no_offline_voice_is_spoken_by_the_configured_one_and_the_record_says_so_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # libespeak-ng has no Zulu voice, so the configured offline voice (English) reads the Zulu text.
    espeak = EspeakEngine()
    espeak.load()
    assert "de" in {v.language for v in espeak.voices()} and "zu" not in {v.language for v in espeak.voices()}
    voiced = service().speak("Sawubona.", "edge:zu-ZA-ThandoNeural")
    assert (voiced.engine, voiced.voice, voiced.requested_voice) == (
        "espeak",
        "espeak:en-us",
        "edge:zu-ZA-ThandoNeural",
    )
    assert len(voiced.fallbacks) == 1
    assert voiced.fallbacks[0].startswith("no zu offline voice; spoke with espeak:en-us (en): ")
    assert "edge:zu-ZA-ThandoNeural was unavailable" in voiced.fallbacks[0]
    assert voiced.spoken.speech.duration_s > 0.2
    assert "no zu offline voice" in caplog.text


def test_a_chinese_voice_falls_back_to_mandarin_not_to_the_english_offline_voice() -> None:
    voiced = service().speak("欢迎光临。", "edge:zh-CN-XiaoxiaoNeural")
    assert voiced.voice == "espeak:cmn"
    assert not voiced.fallbacks[0].startswith("no zh offline voice")
    assert voiced.spoken.speech.duration_s > 0.2


def test_an_offline_voice_in_another_language_still_gives_way_to_one_in_the_asked_language() -> None:
    # A German shop's runner: its configured offline voice is German, yet English text falls back to English.
    voiced = service(offline_voice="espeak:de").speak("Good morning.", "edge:en-GB-SoniaNeural")
    assert voiced.voice == "espeak:en-gb"
    assert "offline voice;" not in voiced.fallbacks[0]
