"""TTS: real espeak-ng audio, voice ids, the offline fallback when Edge cannot be reached, unknown voices."""

from __future__ import annotations

import numpy as np
import pytest

from gpu_runner.tts import SpeechService, TTSError, UnknownVoice
from gpu_runner.tts.base import SpokenText, TTSEngine, Voice, language_of, spread_timings
from gpu_runner.tts.espeak import EspeakEngine, parse_voice_list


def test_espeak_speaks_real_audio(speech_service: SpeechService) -> None:
    voiced = speech_service.speak("Good morning. This lamp glows warm and bright.", "espeak:en-us")
    speech = voiced.spoken.speech
    assert (voiced.engine, voiced.voice, voiced.fallbacks) == ("espeak", "espeak:en-us", [])
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    assert 1.5 < speech.duration_s < 8
    assert float(np.sqrt(np.mean(speech.samples**2))) > 0.01  # not silence
    assert float(np.abs(speech.samples).max()) <= 1.0
    words = [timing.text for timing in voiced.spoken.timings]
    assert words[0] == "Good" and words[-1] == "bright."
    assert not voiced.spoken.timings_exact


def test_edge_offline_falls_back_to_espeak_in_the_same_language(speech_service: SpeechService) -> None:
    voiced = speech_service.speak("Hallo und willkommen.", "edge:de-DE-KatjaNeural")
    assert voiced.engine == "espeak" and voiced.voice == "espeak:de"
    assert voiced.requested_voice == "edge:de-DE-KatjaNeural"
    assert len(voiced.fallbacks) == 1
    assert "edge:de-DE-KatjaNeural was unavailable" in voiced.fallbacks[0]
    assert "espeak:de was used instead" in voiced.fallbacks[0]
    assert voiced.spoken.speech.duration_s > 0.5


def test_bare_edge_name_is_accepted_as_edge(speech_service: SpeechService) -> None:
    engine, name = speech_service.resolve("en-US-JennyNeural")
    assert (engine.name, name) == ("edge", "en-US-JennyNeural")
    assert speech_service.speak("Hello.", "en-US-JennyNeural").voice == "espeak:en-us"


@pytest.mark.parametrize("voice", ["espeak:klingon", "en-us", "polly:Joanna", "edge:not a voice"])
def test_unknown_voice_lists_the_valid_ones(speech_service: SpeechService, voice: str) -> None:
    with pytest.raises(UnknownVoice) as caught:
        speech_service.speak("Hello.", voice)
    assert voice in str(caught.value)
    assert "espeak:en-us" in str(caught.value) or "edge:en-US-JennyNeural" in str(caught.value)


def test_empty_voice_means_the_default(speech_service: SpeechService) -> None:
    assert speech_service.resolve("")[1] == "en-us"


def test_voices_are_grouped_by_language(speech_service: SpeechService) -> None:
    grouped = speech_service.voices_by_language()
    assert "espeak:en-us" in grouped["en"] and "espeak:de" in grouped["de"]


class BrokenEngine(TTSEngine):
    """An engine that fails like an offline service, for the fallback path without the network."""

    name = "broken"

    def load(self) -> None:
        return None

    def voices(self) -> list[Voice]:
        return [Voice("broken", "en-gb", "en")]

    def synthesize(self, text: str, voice: str) -> SpokenText:
        raise TTSError("service down")


def test_failure_of_the_offline_engine_itself_is_not_hidden() -> None:
    espeak = EspeakEngine(executable="no-such-espeak-binary")
    with pytest.raises(TTSError, match="apt-get install espeak-ng"):
        espeak.load()


def test_fallback_prefers_the_same_locale() -> None:
    service = SpeechService(
        [BrokenEngine(), EspeakEngine()], default_voice="espeak:en-us", offline_voice="espeak:en-us"
    )
    service.load()
    voiced = service.speak("Cheers.", "broken:en-gb")
    assert voiced.voice == "espeak:en-gb" and "service down" in voiced.fallbacks[0]


def test_voice_list_parsing_and_languages() -> None:
    listing = (
        "Pty Language Age/Gender VoiceName File\n 2  en-us  --/M  English_(America)  gmw/en-US  (en 3)\n"
    )
    assert parse_voice_list(listing) == [Voice("espeak", "en-us", "en")]
    assert (language_of("en-US-JennyNeural"), language_of("pt-br"), language_of("de")) == ("en", "pt", "de")


def test_spread_timings_cover_the_audio_in_order() -> None:
    timings = spread_timings("one three fives", 3.0)
    assert [t.text for t in timings] == ["one", "three", "fives"]
    assert timings[0].start_s == 0 and timings[-1].end_s == 3.0
    assert all(a.end_s == b.start_s for a, b in zip(timings, timings[1:], strict=False))
    assert spread_timings("", 3.0) == []
