"""The finished sound: loudness on target by two meters, length in whole frames, music ducked, faded, trimmed,
and bad music left out with a note, never a failure."""

from __future__ import annotations

import io
import math
import time
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from gpu_runner import protocol
from gpu_runner.compose import sound
from gpu_runner.compose.sound import (
    FinishedSound,
    card_frames,
    finish_sound,
    frame_count,
    integrated_loudness,
)
from gpu_runner.renderers.base import Speech
from gpu_runner.tts import SpeechService

RECORDED_SPEECH = Path(__file__).resolve().parents[1] / "data" / "speech" / "hello-product.wav"
CEILING = 10 ** (sound.PEAK_CEILING_DBFS / 20)
MUSIC_RATE = 44100
TONE_HZ = 440.0
PAUSE_S = 3.0


@pytest.fixture(scope="module")
def voice() -> Speech:
    """A recorded sentence (2.11 s, 22 050 Hz)."""
    with wave.open(str(RECORDED_SPEECH)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return Speech(samples=pcm.astype(np.float32) / 32768, sample_rate=rate)


@pytest.fixture(scope="module")
def talk(voice: Speech) -> Speech:
    """The sentence, a pause of PAUSE_S, the sentence again: speech with a pause the music comes back in."""
    pause = np.zeros(round(PAUSE_S * voice.sample_rate), dtype=np.float32)
    return Speech(np.concatenate((voice.samples, pause, voice.samples)), voice.sample_rate)


def _tone(seconds: float, hz: float = TONE_HZ, rate: int = MUSIC_RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _encoded(samples: np.ndarray, container_format: str, codec: str, rate: int = MUSIC_RATE) -> bytes:
    """``samples`` as a real stereo audio file, encoded by FFmpeg through PyAV."""
    buffer = io.BytesIO()
    stereo = np.stack((samples, samples))
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        for start in range(0, stereo.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(stereo[:, start : start + 1024]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def music_mp3() -> bytes:
    """Eight seconds of a steady 440 Hz tone as MP3: its level is easy to follow under speech."""
    return _encoded(_tone(8.0), "mp3", "libmp3lame")


def _ebur128_lufs(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness by FFmpeg's own EBU R128 meter (the ebur128 filter): a second, independent one."""
    graph = av.filter.Graph()
    source = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono", time_base=Fraction(1, rate))
    meter = graph.add("ebur128", "metadata=1")
    sink = graph.add("abuffersink")
    source.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    last: dict[str, str] = {}
    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples[start : start + 1024]).reshape(1, -1), format="flt", layout="mono"
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        graph.push(frame)
        while True:
            try:
                last = dict(graph.pull().metadata)
            except (av.BlockingIOError, av.EOFError):
                break
    return float(last["lavfi.r128.I"])


def _tone_level_db(samples: np.ndarray, rate: int, start_s: float, end_s: float) -> float:
    """The level of the TONE_HZ music in a stretch of the mix, in dB: a lock-in measurement (projection on
    the tone's sine and cosine), which speech, spread over thousands of other frequencies, barely moves."""
    piece = samples[round(start_s * rate) : round(end_s * rate)].astype(np.float64)
    t = np.arange(len(piece)) / rate
    window = np.hanning(len(piece))
    in_phase = np.sum(piece * window * np.sin(2 * np.pi * TONE_HZ * t))
    quadrature = np.sum(piece * window * np.cos(2 * np.pi * TONE_HZ * t))
    return 20 * math.log10(2 * math.hypot(in_phase, quadrature) / np.sum(window))


def _rms_db(samples: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(np.square(samples, dtype=np.float64))) + 1e-20)


def _assert_clean(finished: FinishedSound) -> None:
    assert finished.samples.dtype == np.float32
    assert np.all(np.isfinite(finished.samples))
    assert float(np.abs(finished.samples).max()) <= CEILING + 1e-6


# --- length -----------------------------------------------------------------------------------------------


def test_frame_count_rounds_up_to_whole_frames_and_forgives_float_noise() -> None:
    assert frame_count(2.0, 25) == 50
    assert frame_count(2.001, 25) == 51
    assert frame_count(0.12, 25) == 3  # 0.12 × 25 is 3.0000000000000004 in floating point
    assert frame_count(0.0, 25) == 1
    assert frame_count(10.0 / 3, 30) == 100


def test_sound_is_intro_then_speech_then_outro_rounded_up_to_whole_frames(voice: Speech) -> None:
    finished = finish_sound(voice, target_lufs=-16.0, fps=25, intro_s=1.5, outro_s=2.0)

    # At 25 fps (882 samples a frame at 22 050 Hz): 1.5 s of intro is 38 frames (37.5 to the even one), the
    # 46 608 samples of speech 52.84 frames, so 53, and 2.0 s of outro 50: 141 frames, 5.64 s.
    assert card_frames(1.5, 25) == 38
    assert frame_count(finished.duration_s, 25) == 141
    assert finished.duration_s == 141 / 25
    assert len(finished.samples) == 141 * 882
    intro = 38 * 882
    assert not np.any(finished.samples[:intro])  # no music: the intro is silence
    assert not np.any(finished.samples[intro + len(voice.samples) :])
    # The voice starts exactly on the first frame after the intro card (its first sample is at 265).
    assert int(np.flatnonzero(voice.samples)[0]) == 265
    assert int(np.flatnonzero(finished.samples)[0]) == intro + 265


@pytest.mark.parametrize(("fps", "rate"), [(25, 22050), (30, 24000), (24, 22050), (30, 44100), (24, 16000)])
def test_sound_and_video_of_frame_count_frames_end_within_a_sample(
    voice: Speech, fps: int, rate: int
) -> None:
    # The speech resampled crudely to other rates is fine here: only lengths are checked.
    samples = np.interp(
        np.arange(round(voice.duration_s * rate)) * voice.sample_rate / rate,
        np.arange(len(voice.samples)),
        voice.samples,
    ).astype(np.float32)
    finished = finish_sound(Speech(samples, rate), target_lufs=-14.0, fps=fps, intro_s=0.7, outro_s=1.3)

    frames = frame_count(finished.duration_s, fps)
    assert frames == card_frames(0.7, fps) + math.ceil(len(samples) * fps / rate) + card_frames(1.3, fps)
    assert frames / fps - 1 / rate < finished.duration_s <= frames / fps
    assert (
        finished.duration_s >= card_frames(0.7, fps) / fps + len(samples) / rate + card_frames(1.3, fps) / fps
    )


# --- loudness ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def espeak_talk(speech_service: SpeechService) -> Speech:
    """Three sentences in the runner's own offline voice (espeak-ng), as a job hears them."""
    script = (
        "Meet our new espresso machine. It grinds fresh beans in seconds, and quietly. Order yours today."
    )
    return speech_service.speak(script, "espeak:en-us").spoken.speech


@pytest.mark.parametrize("target", [-14.0, -16.0])
@pytest.mark.parametrize("with_music", [False, True], ids=["voice", "voice-and-music"])
@pytest.mark.parametrize("speaker", ["talk", "espeak_talk"], ids=["recorded", "espeak"])
def test_integrated_loudness_is_the_target_by_pyloudnorm_and_by_ffmpeg_ebur128(
    request: pytest.FixtureRequest, music_mp3: bytes, speaker: str, target: float, with_music: bool
) -> None:
    speech: Speech = request.getfixturevalue(speaker)

    finished = finish_sound(
        speech, target_lufs=target, fps=25, intro_s=1.5, outro_s=2.0, music=music_mp3 if with_music else None
    )

    assert finished.notes == []
    assert finished.music is with_music
    assert finished.target_lufs == target
    assert finished.integrated_lufs == pytest.approx(integrated_loudness(finished.samples, 22050))
    assert abs(finished.integrated_lufs - target) <= sound.LOUDNESS_TOLERANCE_LU
    assert abs(_ebur128_lufs(finished.samples, finished.sample_rate) - target) <= 0.3
    _assert_clean(finished)
    # Both voices peak 18 dB over their loudness: their peaks had to be limited to stay under the ceiling.
    assert float(np.abs(finished.samples).max()) == pytest.approx(CEILING, abs=1e-3)


def test_the_published_aac_sound_keeps_the_loudness_and_stays_under_full_scale(
    talk: Speech, music_mp3: bytes
) -> None:
    finished = finish_sound(talk, target_lufs=-14.0, fps=25, intro_s=1.0, outro_s=1.0, music=music_mp3)
    rate = finished.sample_rate
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        for start in range(0, len(finished.samples), 1024):
            frame = av.AudioFrame.from_ndarray(
                finished.samples[start : start + 1024].reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    buffer.seek(0)
    with av.open(buffer) as container:
        decoded = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])

    assert abs(integrated_loudness(decoded, rate) - -14.0) <= 0.3
    # The 1 dB left under full scale takes the encoder's overshoot: nothing clips.
    assert float(np.abs(decoded).max()) < 1.0


def test_the_limiter_keeps_peaks_under_the_ceiling_and_moves_loudness_by_a_fraction_of_a_lu(
    voice: Speech,
) -> None:
    # At -16 LUFS this recording peaks at +2.3 dBFS: 3.3 dB over the ceiling.
    louder = voice.samples * np.float32(10 ** ((-16.0 - integrated_loudness(voice.samples, 22050)) / 20))
    assert 20 * math.log10(float(np.abs(louder).max())) == pytest.approx(2.3, abs=0.1)

    limited = sound._limit(louder, voice.sample_rate, CEILING)

    assert float(np.abs(limited).max()) <= CEILING
    assert -0.5 < integrated_loudness(limited, 22050) - (-16.0) < 0.0
    # Quiet stretches are untouched: only the neighbourhood of peaks is turned down.
    untouched = np.abs(louder) < 0.1
    assert np.mean(limited[untouched] == louder[untouched]) > 0.5


def test_a_target_too_loud_for_the_voice_peaks_is_said_and_the_peaks_still_hold(voice: Speech) -> None:
    # -9 LUFS (the loudest a job may ask) puts this voice's peaks 12 dB over the ceiling.
    finished = finish_sound(voice, target_lufs=-9.0, fps=25, intro_s=1.0, outro_s=1.0)

    assert -12.0 < finished.integrated_lufs < -10.5
    assert finished.notes == [
        f"the finished sound measures {finished.integrated_lufs:.1f} LUFS, not the -9 LUFS target: the "
        "voice's peaks would have to be limited too hard to reach it"
    ]
    _assert_clean(finished)


def test_silent_speech_is_said_and_left_alone_without_nan() -> None:
    finished = finish_sound(Speech(np.zeros(44100, np.float32), 22050), target_lufs=-14.0, fps=25)

    assert finished.notes == [
        "the voice is silent, so its loudness cannot be measured; it was left at its recorded level"
    ]
    assert finished.integrated_lufs == -math.inf
    assert finished.as_result() == {"target_lufs": -14.0, "integrated_lufs": None, "music": False}
    assert not np.any(finished.samples)
    _assert_clean(finished)


def test_speech_too_short_to_measure_is_said_and_its_level_kept(voice: Speech) -> None:
    short = Speech(voice.samples[: round(0.3 * voice.sample_rate)], voice.sample_rate)

    finished = finish_sound(short, target_lufs=-14.0, fps=25)

    assert finished.notes == [
        "the voice is shorter than 0.4 s, too short to measure its loudness; it was left at its recorded "
        "level"
    ]
    assert np.array_equal(finished.samples[: len(short.samples)], short.samples)
    assert finished.duration_s == 0.32  # 8 frames at 25 fps
    _assert_clean(finished)


def test_samples_that_are_nan_or_beyond_full_scale_are_cleaned(voice: Speech) -> None:
    broken = voice.samples * 3
    broken[1000:1100] = np.nan
    broken[2000] = np.inf

    finished = finish_sound(Speech(broken, voice.sample_rate), target_lufs=-16.0, fps=25)

    _assert_clean(finished)
    assert abs(finished.integrated_lufs - -16.0) <= sound.LOUDNESS_TOLERANCE_LU


def test_a_very_quiet_voice_is_raised_only_so_far_and_that_is_said(voice: Speech) -> None:
    whisper = Speech(voice.samples * np.float32(10 ** (-45 / 20)), voice.sample_rate)
    # -20.4 - 45 dB, but the absolute gate (-70 LUFS) leaves out more of its quiet blocks.
    assert integrated_loudness(whisper.samples, 22050) == pytest.approx(-64.9, abs=0.05)

    finished = finish_sound(whisper, target_lufs=-14.0, fps=25)

    # Raised by 30 dB, not the 50.9 dB the target asks; the gates now keep more of it, so it reads lower.
    assert finished.integrated_lufs == pytest.approx(-64.9 + sound.MAX_VOICE_GAIN_DB, abs=0.6)
    assert finished.notes == [
        "the voice is very quiet (-64.9 LUFS); it was raised by 30 dB, the most allowed, and stays under the "
        "-14 LUFS target"
    ]


# --- music ------------------------------------------------------------------------------------------------


def test_music_is_ducked_while_the_voice_speaks_and_at_bed_level_in_the_pause(
    talk: Speech, music_mp3: bytes
) -> None:
    finished = finish_sound(talk, target_lufs=-14.0, fps=25, intro_s=2.0, outro_s=3.0, music=music_mp3)
    rate = finished.sample_rate
    sentence_s = talk.duration_s / 2 - PAUSE_S / 2

    speaking = _tone_level_db(finished.samples, rate, 2.0 + 0.6, 2.0 + sentence_s - 0.4)
    pause_start = 2.0 + sentence_s
    pause = _tone_level_db(finished.samples, rate, pause_start + 1.2, pause_start + PAUSE_S - 0.3)
    intro = _tone_level_db(finished.samples, rate, 1.1, 1.8)

    assert finished.music is True
    # 10 dB further under the voice while it speaks (DUCK_DB), back up in the pause and in the intro.
    assert pause - speaking == pytest.approx(sound.DUCK_DB, abs=1.0)
    assert intro == pytest.approx(pause, abs=0.5)
    # In the pause the music alone is the bed: 15 LU under the target, clearly under the voice.
    bed = integrated_loudness(
        finished.samples[round((pause_start + 1.2) * rate) : round((pause_start + PAUSE_S - 0.3) * rate)],
        rate,
    )
    assert bed == pytest.approx(-14.0 + sound.MUSIC_BED_LU, abs=1.0)


def test_music_fades_in_from_silence_and_out_to_silence(voice: Speech, music_mp3: bytes) -> None:
    finished = finish_sound(voice, target_lufs=-16.0, fps=25, intro_s=2.0, outro_s=3.0, music=music_mp3)
    rate = finished.sample_rate
    bed = _rms_db(finished.samples[round(1.2 * rate) : round(1.8 * rate)])

    assert _rms_db(finished.samples[: round(0.05 * rate)]) < bed - 40
    assert _rms_db(finished.samples[round(0.45 * rate) : round(0.55 * rate)]) == pytest.approx(bed - 6, abs=1)
    assert _rms_db(finished.samples[-round(0.05 * rate) :]) < bed - 40
    assert _rms_db(finished.samples[-round(1.05 * rate) : -round(0.95 * rate)]) == pytest.approx(
        bed - 6, abs=1
    )


@pytest.mark.parametrize(
    ("container_format", "codec", "rate"),
    [
        ("mp3", "libmp3lame", 44100),
        ("ipod", "aac", 44100),  # .m4a
        ("ogg", "libopus", 48000),
        ("wav", "pcm_s16le", 44100),
        ("flac", "flac", 32000),
    ],
)
def test_music_in_any_common_format_is_mixed(
    voice: Speech, container_format: str, codec: str, rate: int
) -> None:
    music = _encoded(_tone(3.0, rate=rate), container_format, codec, rate=rate)

    finished = finish_sound(voice, target_lufs=-14.0, fps=25, intro_s=2.0, outro_s=2.0, music=music)

    assert finished.music is True
    assert finished.notes == []
    # The intro, faded in and not yet ducked, is the 440 Hz tone alone (its amplitude is √2 × its RMS) at
    # the bed's loudness.
    intro = finished.samples[22050 : round(1.8 * 22050)]
    assert _tone_level_db(finished.samples, 22050, 1.0, 1.8) == pytest.approx(_rms_db(intro) + 3.01, abs=0.3)
    assert integrated_loudness(intro, 22050) == pytest.approx(-14.0 + sound.MUSIC_BED_LU, abs=1.0)
    assert abs(finished.integrated_lufs - -14.0) <= sound.LOUDNESS_TOLERANCE_LU
    _assert_clean(finished)


def test_music_shorter_than_the_video_loops_without_a_gap_or_a_bump(voice: Speech) -> None:
    noise = np.random.default_rng(13).uniform(-0.3, 0.3, MUSIC_RATE * 3 // 2).astype(np.float32)
    music = _encoded(noise, "wav", "pcm_s16le")

    finished = finish_sound(voice, target_lufs=-16.0, fps=25, intro_s=6.0, music=music)

    # The 1.5 s loop joins every second from 1.0 s on (0.5 s crossfades); from the end of the fade-in to the
    # voice, every 0.1 s holds the same level within 1 dB: no gap, no doubled level at a join.
    levels = [
        _rms_db(finished.samples[round(start * 22050) : round((start + 0.1) * 22050)])
        for start in np.arange(1.0, 5.7, 0.1)
    ]
    assert max(levels) - min(levels) < 1.0


@pytest.mark.parametrize(
    ("limit_s", "intro_s"),
    # The video (5.1 s) runs past the limit: decoding stops one sample after it.
    # The video (3.1 s) ends inside the limit: decoding stops there, and the file's own duration (6 s) tells.
    [(2.0, 3.0), (4.0, 1.0)],
    ids=["video-past-the-limit", "video-inside-the-limit"],
)
def test_music_longer_than_the_limit_is_trimmed_and_that_is_said(
    voice: Speech, monkeypatch: pytest.MonkeyPatch, limit_s: float, intro_s: float
) -> None:
    monkeypatch.setattr(protocol, "MAX_MUSIC_SECONDS", limit_s)
    # The limit's worth of 440 Hz, then a 1 500 Hz tone that must never be heard.
    music = _encoded(np.concatenate((_tone(limit_s), _tone(6.0 - limit_s, hz=1500.0))), "mp3", "libmp3lame")

    finished = finish_sound(voice, target_lufs=-16.0, fps=25, intro_s=intro_s, music=music)

    assert finished.music is True
    assert finished.notes == [
        f"the background music is longer than the {limit_s:g} s limit; only its first {limit_s:g} s are used"
    ]
    heard = finished.samples[: round(intro_s * 22050)]
    spectrum = np.abs(np.fft.rfft(heard))
    frequencies = np.fft.rfftfreq(len(heard), 1 / 22050)
    at_440 = spectrum[np.abs(frequencies - 440).argmin()]
    near_1500 = spectrum[np.abs(frequencies - 1500) < 5].max()
    assert 20 * math.log10(near_1500 / at_440) < -40


def test_music_within_the_limit_and_longer_than_the_video_is_cut_at_its_end_without_a_note(
    voice: Speech, music_mp3: bytes
) -> None:
    finished = finish_sound(voice, target_lufs=-16.0, fps=25, intro_s=1.0, music=music_mp3)

    assert finished.music is True
    assert finished.notes == []
    assert finished.duration_s == 3.12  # 25 + 53 frames: the 8 s of music end with the video
    assert _rms_db(finished.samples[-round(0.05 * 22050) :]) < _rms_db(finished.samples[:22050]) - 30


@pytest.mark.parametrize(
    ("music", "reason"),
    [
        (b"this is not audio at all " * 200, "Invalid data found when processing input"),
        (b"", "Invalid data found when processing input"),
        (b"\x89PNG\r\n\x1a\n" + bytes(2000), "it holds no sound track"),
    ],
    ids=["text", "empty", "png"],
)
def test_music_that_is_not_audio_is_left_out_with_a_note(voice: Speech, music: bytes, reason: str) -> None:
    finished = finish_sound(voice, target_lufs=-14.0, fps=25, intro_s=1.0, outro_s=1.0, music=music)

    assert finished.music is False
    assert finished.notes == [
        f"the background music could not be read as audio ({reason}); the video has no music"
    ]
    assert not np.any(finished.samples[:22050])  # the intro is silent: no music in it
    assert abs(finished.integrated_lufs - -14.0) <= sound.LOUDNESS_TOLERANCE_LU
    _assert_clean(finished)


def test_music_cut_off_midway_is_used_as_far_as_it_goes(voice: Speech) -> None:
    whole = _encoded(_tone(4.0), "mp3", "libmp3lame")
    half = whole[: len(whole) // 2]

    decoded, trimmed = sound._decode_music(half, 22050, 10 * 22050)
    finished = finish_sound(voice, target_lufs=-14.0, fps=25, intro_s=2.0, outro_s=2.0, music=half)

    assert len(decoded) / 22050 == pytest.approx(2.0, abs=0.1)
    assert trimmed is False
    assert finished.music is True
    assert finished.notes == []
    # The two seconds that were there play, looped (joins at 1.5 s and 3.0 s, measured between them), under
    # the voice: the tone is heard at its ducked level.
    assert _tone_level_db(finished.samples, 22050, 2.3, 2.95) == pytest.approx(
        _tone_level_db(finished.samples, 22050, 1.05, 1.45) - sound.DUCK_DB, abs=1.0
    )
    _assert_clean(finished)


def test_music_over_the_size_limit_is_left_out_with_a_note(
    voice: Speech, music_mp3: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "MAX_MUSIC_BYTES", 50_000)

    finished = finish_sound(voice, target_lufs=-14.0, fps=25, music=music_mp3)

    assert finished.music is False
    assert finished.notes == [
        f"the background music file is {len(music_mp3) / 1e6:.1f} MB, over the 0.05 MB limit; the video has "
        "no music"
    ]


def test_silent_music_is_left_out_with_a_note(voice: Speech) -> None:
    finished = finish_sound(
        voice,
        target_lufs=-14.0,
        fps=25,
        music=_encoded(np.zeros(MUSIC_RATE * 2, np.float32), "wav", "pcm_s16le"),
    )

    assert finished.music is False
    assert finished.notes == ["the background music is silent; the video has no music"]


def test_music_too_short_to_loop_is_left_out_with_a_note(voice: Speech) -> None:
    click = _encoded(_tone(0.25), "wav", "pcm_s16le")

    finished = finish_sound(voice, target_lufs=-14.0, fps=25, intro_s=1.0, music=click)

    assert finished.music is False
    assert finished.notes == [
        "the background music lasts 0.25 s, too short to loop under a video (it needs 1 s at least); the "
        "video has no music"
    ]
    assert not np.any(finished.samples[:22050])


def test_music_under_silent_speech_plays_at_bed_level(music_mp3: bytes) -> None:
    silent = Speech(np.zeros(22050 * 4, np.float32), 22050)

    finished = finish_sound(silent, target_lufs=-14.0, fps=25, music=music_mp3)

    assert finished.music is True
    assert finished.notes[0].startswith("the voice is silent")
    middle = finished.samples[22050 : 22050 * 2]
    assert integrated_loudness(middle, 22050) == pytest.approx(-14.0 + sound.MUSIC_BED_LU, abs=1.0)
    _assert_clean(finished)


def test_a_minute_with_music_is_finished_in_well_under_two_seconds(talk: Speech, music_mp3: bytes) -> None:
    minute = Speech(np.resize(talk.samples, 60 * talk.sample_rate), talk.sample_rate)

    started = time.perf_counter()
    finished = finish_sound(minute, target_lufs=-14.0, fps=25, intro_s=2.0, outro_s=2.0, music=music_mp3)
    elapsed = time.perf_counter() - started

    assert finished.duration_s == 64.0
    assert abs(finished.integrated_lufs - -14.0) <= sound.LOUDNESS_TOLERANCE_LU
    assert elapsed < 2.0, f"finishing a 64 s sound took {elapsed:.2f} s"
