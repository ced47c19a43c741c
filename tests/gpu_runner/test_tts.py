"""TTS: real libespeak-ng audio, voice ids, the offline fallback when Edge is unreachable, unknown voices."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest

from gpu_runner.tts import SpeechService, TTSError, UnknownVoice, build_speech_service, espeak
from gpu_runner.tts.base import (
    CLOSEST_VOICES,
    SAME_LANGUAGE_VOICES,
    SpokenText,
    Timing,
    TTSEngine,
    Voice,
    language_of,
    spread_timings,
    unknown_voice_message,
)
from gpu_runner.tts.espeak import EspeakEngine, word_timings


@pytest.fixture(scope="module")
def engine() -> EspeakEngine:
    """The offline engine on its own, on the process's one initialised libespeak-ng."""
    loaded = EspeakEngine()
    loaded.load()
    return loaded


def rms(spoken: SpokenText) -> float:
    return float(np.sqrt(np.mean(spoken.speech.samples**2)))


def assert_timings_inside(spoken: SpokenText) -> None:
    """Word timings start in order, never overlap and lie within the audio."""
    timings = spoken.timings
    assert timings and spoken.timings_exact
    assert all(0 <= t.start_s <= t.end_s <= spoken.speech.duration_s + 0.001 for t in timings)
    assert all(a.end_s <= b.start_s + 0.001 for a, b in zip(timings, timings[1:], strict=False))


def test_espeak_speaks_real_audio(speech_service: SpeechService) -> None:
    voiced = speech_service.speak("Good morning. This lamp glows warm and bright.", "espeak:en-us")
    speech = voiced.spoken.speech
    assert (voiced.engine, voiced.voice, voiced.fallbacks) == ("espeak", "espeak:en-us", [])
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    assert 1.5 < speech.duration_s < 8
    assert float(np.sqrt(np.mean(speech.samples**2))) > 0.01  # not silence
    assert float(np.abs(speech.samples).max()) <= 1.0
    words = [timing.text for timing in voiced.spoken.timings]
    assert words == "Good morning. This lamp glows warm and bright.".split()
    assert_timings_inside(voiced.spoken)


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


@pytest.mark.parametrize(
    ("voice", "hint"),
    [
        ("espeak:en-uss", "(closest: espeak:en-us, espeak:en-us-nyc, espeak:en-shaw; in en: espeak:en-gb, "),
        ("en-us", "(closest: espeak:en-us, "),
        ("espeak:fr", "(in fr: espeak:fr-be, espeak:fr-ch, espeak:fr-fr)"),
        ("espeak:klingon", "(none is close to it; the default is espeak:en-us)"),
        ("polly:Joanna", "(none is close to it; the default is espeak:en-us)"),
        ("edge:not a voice", "(none is close to it; the default is espeak:en-us)"),
    ],
)
def test_unknown_voice_names_the_likely_ones_not_all(
    speech_service: SpeechService, voice: str, hint: str
) -> None:
    with pytest.raises(UnknownVoice) as caught:
        speech_service.speak("Hello.", voice)
    message = str(caught.value)
    count = len(speech_service.voice_ids())
    assert message.startswith(f"unknown voice {voice!r}; choose one of this runner's {count} voices ")
    assert hint in message
    assert len(message) < 300  # the whole list was over 2 KB


def test_an_unknown_voice_names_a_handful_of_its_language_nearest_first() -> None:
    valid = [f"edge:en-{region}-Voice{n}Neural" for region in ("US", "GB", "AU", "IN") for n in range(10)]
    message = unknown_voice_message("edge:en-GB-SoniaNeural", [*valid, "espeak:de"], "espeak:de")
    named = re.findall(r"edge:[\w-]+", message.partition("; ")[2])
    assert len(named) == CLOSEST_VOICES + SAME_LANGUAGE_VOICES
    assert all("-GB-" in voice for voice in named)
    assert message.endswith(f"and {len(valid) - len(named)} more)")
    assert "espeak:de" not in message
    assert (
        unknown_voice_message("espeak:en-us", [])
        == "unknown voice 'espeak:en-us'; this runner has no voices installed"
    )


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


def test_missing_espeakng_loader_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a machine without the package: the import fails, and nothing is initialised yet in this process.
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)
    monkeypatch.setattr(espeak, "_runtime", None)
    with pytest.raises(TTSError, match=r"pip install espeakng-loader"):
        EspeakEngine().load()


def test_engine_used_before_load_is_an_error() -> None:
    with pytest.raises(TTSError, match="before load"):
        EspeakEngine().synthesize("Hello.", "en-us")


def test_no_program_is_run(engine: EspeakEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    # The voice comes from the library in this process: no espeak-ng executable needs to be installed.
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    fresh = EspeakEngine()
    fresh.load()
    assert rms(fresh.synthesize("No programs here.", "en-us")) > 0.01


def test_library_voices_are_language_codes(engine: EspeakEngine) -> None:
    names = [voice.name for voice in engine.voices()]
    assert {"en-us", "en-gb", "de", "fr-fr"} <= set(names)
    assert len(names) == len(set(names)) > 50
    assert Voice("espeak", "en-us", "en") in engine.voices()
    assert all(
        voice.engine == "espeak" and voice.language == language_of(voice.name) for voice in engine.voices()
    )


def test_every_listed_voice_speaks(engine: EspeakEngine) -> None:
    # Listed names are languages; a few have no voice file of that name (en-gb) or mixed case
    # (chr-US-Qaaa-x-west), and voices whose dictionary the wheel lacks must not be offered at all.
    assert "fo" not in [voice.name for voice in engine.voices()]
    quiet = [
        voice.name
        for voice in engine.voices()
        if engine.synthesize("Hello, one two three.", voice.name).speech.duration_s < 0.5
    ]
    assert quiet == []


def test_a_voice_speaks_at_its_own_pace_whatever_voice_spoke_before(engine: EspeakEngine) -> None:
    """Some voices change the library's speaking rate when selected; the next voice must not inherit it."""
    sentence = "Meet the lamp that warms your evenings, for twenty four dollars."
    before = engine.synthesize(sentence, "en-us").speech.duration_s
    durations = {}
    for voice in engine.voices():
        engine.synthesize("Hello, one two three.", voice.name)
        durations[voice.name] = engine.synthesize(sentence, "en-us").speech.duration_s
    changed = {name: seconds for name, seconds in durations.items() if abs(seconds - before) > 0.01 * before}
    assert changed == {}, f"en-us spoke {before:.2f} s at first, then after these voices: {changed}"


def test_a_sentence_sounds_for_a_plausible_time(engine: EspeakEngine) -> None:
    spoken = engine.synthesize(
        "The quick brown fox jumps over the lazy dog, twice, before breakfast.", "en-us"
    )
    assert spoken.speech.sample_rate == 22050
    assert 2.5 < spoken.speech.duration_s < 10
    assert rms(spoken) > 0.01 and float(np.abs(spoken.speech.samples).max()) <= 1.0


def test_german_voice_differs_from_english(engine: EspeakEngine) -> None:
    text = "Hallo Welt, wie geht es dir heute?"
    german, english = engine.synthesize(text, "de"), engine.synthesize(text, "en-us")
    assert rms(german) > 0.01 and rms(english) > 0.01
    # The same letters read by German rules and by English ones: clearly different lengths.
    assert abs(german.speech.duration_s - english.speech.duration_s) > 0.15


def test_word_timings_come_from_the_library(engine: EspeakEngine) -> None:
    text = "Grüße aus Köln: 123 Äpfel, well-known — and cheap!"
    spoken = engine.synthesize(text, "de")
    assert [t.text for t in spoken.timings] == text.split()  # every written word, UTF-8 positions intact
    assert_timings_inside(spoken)
    starts = [t.start_s for t in spoken.timings if t.text != "—"]  # a lone dash is not spoken
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert spoken.timings[0].start_s < 0.2 and spoken.timings[-1].end_s > spoken.speech.duration_s - 0.5


def test_markup_is_read_out_not_interpreted(engine: EspeakEngine) -> None:
    plain = engine.synthesize("a bold word", "en-us")
    marked = engine.synthesize("a <b>bold</b> word", "en-us")
    assert marked.speech.duration_s > plain.speech.duration_s + 0.5
    # An SSML pause would add three seconds of silence; read as text, the tag is a few spoken words.
    paused = engine.synthesize('<speak>Hello <break time="3s"/> there</speak>', "en-us")
    assert [t.text for t in paused.timings][0] == "<speak>Hello"
    silent = np.abs(paused.speech.samples) < 0.01
    longest_quiet_run = max(len(run) for run in "".join("1" if q else "0" for q in silent).split("0"))
    assert longest_quiet_run / paused.speech.sample_rate < 1.0


@pytest.mark.parametrize("voice", ["xx-no-such-voice", "", "en-us\0de", "é", "x" * 200])
def test_unknown_voice_is_a_tts_error(engine: EspeakEngine, voice: str) -> None:
    with pytest.raises(TTSError, match="unknown espeak voice"):
        engine.synthesize("Hello.", voice)
    assert rms(engine.synthesize("Still fine.", "en-us")) > 0.01


def test_a_nul_in_the_text_does_not_cut_it_short(engine: EspeakEngine) -> None:
    whole = engine.synthesize("First part and second part.", "en-us")
    with_nul = engine.synthesize("First part\0and second part.", "en-us")
    assert abs(with_nul.speech.duration_s - whole.speech.duration_s) < 0.3
    assert [t.text for t in with_nul.timings][-1] == "part."


def test_a_synthesis_past_the_timeout_is_stopped(
    engine: EspeakEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(espeak, "SYNTHESIS_TIMEOUT_S", 0.0)
    with pytest.raises(TTSError, match="longer than"):
        engine.synthesize("This will be cut off at the first chunk of audio. " * 5, "en-us")
    monkeypatch.undo()
    assert engine.synthesize("Back to normal.", "en-us").speech.duration_s > 0.5


def test_concurrent_calls_each_get_their_own_audio(engine: EspeakEngine) -> None:
    jobs = {
        "en-us": "One thread reads this English sentence aloud.",
        "de": "Ein anderer liest diesen Satz vor.",
    }
    serial = {voice: engine.synthesize(text, voice) for voice, text in jobs.items()}
    results: dict[str, list[SpokenText]] = {voice: [] for voice in jobs}
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def speak(voice: str) -> None:
        try:
            start.wait()
            for _ in range(5):
                results[voice].append(engine.synthesize(jobs[voice], voice))
        except BaseException as exc:  # reported below: an exception in a thread would otherwise be lost
            errors.append(exc)

    threads = [threading.Thread(target=speak, args=(voice,)) for voice in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    for voice, spoken_list in results.items():
        assert len(spoken_list) == 5
        for spoken in spoken_list:
            # espeak varies a few samples between runs; another thread's words or voice would change far more.
            assert spoken.speech.duration_s == pytest.approx(serial[voice].speech.duration_s, rel=0.03)
            assert [t.text for t in spoken.timings] == jobs[voice].split()
            assert rms(spoken) > 0.01


def test_fallback_prefers_the_same_locale() -> None:
    service = SpeechService(
        [BrokenEngine(), EspeakEngine()], default_voice="espeak:en-us", offline_voice="espeak:en-us"
    )
    service.load()
    voiced = service.speak("Cheers.", "broken:en-gb")
    assert voiced.voice == "espeak:en-gb" and "service down" in voiced.fallbacks[0]


def test_languages_of_voice_names() -> None:
    assert (language_of("en-US-JennyNeural"), language_of("pt-br"), language_of("de")) == ("en", "pt", "de")


def test_word_timings_from_marks() -> None:
    # (kind, 0-based character, ms): 1 = word, 5 = clause end. "123" gets three marks, "—" none.
    marks = [(1, 0, 0), (5, 3, 400), (1, 5, 500), (1, 6, 700), (1, 7, 900), (1, 11, 1200), (5, 16, 1500)]
    assert word_timings("Hi, 123 — there", marks, 1.6) == [
        Timing("Hi,", 0.0, 0.4),
        Timing("123", 0.5, 1.2),
        Timing("—", 1.2, 1.2),
        Timing("there", 1.2, 1.5),
    ]
    assert word_timings("...", [(5, 3, 10)], 0.1) == []


def test_spread_timings_cover_the_audio_in_order() -> None:
    timings = spread_timings("one three fives", 3.0)
    assert [t.text for t in timings] == ["one", "three", "fives"]
    assert timings[0].start_s == 0 and timings[-1].end_s == 3.0
    assert all(a.end_s == b.start_s for a, b in zip(timings, timings[1:], strict=False))
    assert spread_timings("", 3.0) == []


def test_an_espeak_only_runner_never_calls_the_online_service(monkeypatch: pytest.MonkeyPatch) -> None:
    import edge_tts

    calls: list[str] = []

    async def list_voices(*args: Any, **kwargs: Any) -> list[dict[str, str]]:
        calls.append("list_voices")
        return []

    monkeypatch.setattr(edge_tts, "list_voices", list_voices)
    service = build_speech_service(
        default_voice="espeak:en-us", offline_voice="espeak:en-us", engines=["espeak"]
    )
    service.load()
    assert [engine.name for engine in service.engines] == ["espeak"]
    assert calls == []
    assert all(voice.startswith("espeak:") for voice in service.voice_ids())
    with pytest.raises(UnknownVoice):
        service.resolve("edge:en-US-JennyNeural")
