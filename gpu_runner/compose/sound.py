"""The finished sound of a video: the voice at a stated loudness, the organization's music under it.

The timeline is in whole video frames: :func:`card_frames` of ``intro_s`` without voice, the speech (its last
frame filled with silence), :func:`card_frames` of ``outro_s`` without voice. So the voice starts exactly on
the first frame after the intro card, the outro card starts on the frame after the voice's last, and this
sound and a video of :func:`frame_count` frames end together.

Loudness is integrated loudness as ITU-R BS.1770-4 defines it, measured with pyloudnorm on the final mix
(voice and music together) and reached by the voice's gain; the music's level is set from the target, not
from the voice. A look-ahead peak limiter on the voice keeps its peaks at or under :data:`PEAK_CEILING_DBFS`
less what the music under it takes (limiting the voice alone leaves the music steady); since limiting lowers
the loudness a little, the mix is measured again and the voice's gain corrected, until the loudness is within
:data:`LOUDNESS_TOLERANCE_LU` of the target.

Music is any audio file FFmpeg reads (decoded with PyAV, mixed down to mono, resampled to the speech's rate),
looped with a crossfade when shorter than the video, faded in and out, set :data:`MUSIC_BED_LU` under the
target, and ducked :data:`DUCK_DB` further while the presenter speaks. Music that cannot be used never fails
the job: the video goes out without it and a note says why.

Everything is whole-array numpy (moving means from cumulative sums, the limiter's gains from the minima of
short windows, the ducking's hold from sliding maxima by the van Herk/Gil-Werman method, loops by tiling);
nothing loops over samples in Python.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pyloudnorm

from .. import protocol
from ..renderers.base import Speech

# The loudest a sample may be: 1 dB under full scale leaves room for the AAC encoder's own overshoot.
PEAK_CEILING_DBFS = -1.0
# How close the measured loudness is brought to the target before the gain is left alone.
LOUDNESS_TOLERANCE_LU = 0.1
# At most this many measure-and-correct passes (each pass is one limiter run and one measurement).
LOUDNESS_PASSES = 6
MAX_LOUDNESS_STEP_DB = 6.0
# A voice quieter than this under the target is raised by this much at most, so a near-silent recording is
# not turned into amplified hiss; the note says so.
MAX_VOICE_GAIN_DB = 30.0
# The limiter's look-ahead: gain falls over this time before a peak and recovers over it after.
LIMITER_WINDOW_S = 0.002
# BS.1770's gating block: anything shorter has no integrated loudness.
MEASURE_BLOCK_S = 0.4

# The music alone, where nobody speaks (intro, outro, pauses), sits this far under the loudness target...
MUSIC_BED_LU = -15.0
# ...and this much further down while the presenter speaks.
DUCK_DB = 10.0
# The voice counts as speaking where its level over VOICE_WINDOW_S is within this of its integrated loudness.
VOICE_GATE_DB = -25.0
VOICE_STEP_S = 0.01
VOICE_WINDOW_S = 0.05
# The music goes down over DUCK_ATTACK_S, finishing as the voice starts (the whole voice is known in advance,
# so the ducking anticipates it); it stays down through gaps shorter than DUCK_HOLD_S (between words and short
# sentences) and comes back up over DUCK_RELEASE_S.
DUCK_ATTACK_S = 0.15
DUCK_HOLD_S = 0.35
DUCK_RELEASE_S = 0.6
FADE_IN_S = 1.0
FADE_OUT_S = 2.0
LOOP_CROSSFADE_S = 0.5
# Music shorter than this (a click, a jingle cut to nothing) is not looped into a buzz; it is left out.
MIN_MUSIC_S = 1.0

# Frame counts are rounded up, but a duration that is a whole number of frames up to float noise is not.
_FRAME_EPSILON = 1e-6


@dataclass(frozen=True)
class FinishedSound:
    """The finished sound of a video: mono float32 samples in [-1, 1], and what was done to make them."""

    samples: np.ndarray
    sample_rate: int
    target_lufs: float
    # Measured on the final mix with pyloudnorm (ITU-R BS.1770-4); ``-inf`` when it has no measurable sound.
    integrated_lufs: float
    # Whether the organization's music is in the mix.
    music: bool
    # Plain words on anything done other than asked (music trimmed or left out, loudness not reached).
    notes: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    def as_result(self) -> dict[str, Any]:
        """The job result's ``audio`` record; an unmeasurable loudness is ``None`` (JSON has no infinity)."""
        measured = round(self.integrated_lufs, 2) if math.isfinite(self.integrated_lufs) else None
        return {"target_lufs": self.target_lufs, "integrated_lufs": measured, "music": self.music}


def frame_count(duration_s: float, fps: int) -> int:
    """The frames a video of ``duration_s`` seconds needs at ``fps``: rounded up, at least one.

    :func:`finish_sound` makes its sound exactly this many frames long (to the sample), so the video side and
    the sound side agree when both call this with the sound's ``duration_s``.
    """
    return max(1, math.ceil(duration_s * fps - _FRAME_EPSILON))


def card_frames(seconds: float, fps: int) -> int:
    """The whole frames an intro or outro card of ``seconds`` lasts: the nearest number, half a frame off
    at most."""
    return round(max(0.0, seconds) * fps)


def integrated_loudness(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, pyloudnorm); ``-inf`` for silence or under 400 ms."""
    if len(samples) < math.ceil(MEASURE_BLOCK_S * sample_rate) or not np.any(samples):
        return -math.inf
    with np.errstate(divide="ignore"):
        value = pyloudnorm.Meter(sample_rate).integrated_loudness(np.asarray(samples, dtype=np.float64))
    return float(value) if math.isfinite(value) else -math.inf


def finish_sound(
    speech: Speech,
    *,
    target_lufs: float,
    fps: int,
    intro_s: float = 0.0,
    outro_s: float = 0.0,
    music: bytes | None = None,
) -> FinishedSound:
    """The finished sound of a video: ``speech`` between ``intro_s`` and ``outro_s`` of no voice, with
    ``music`` (the bytes of any audio file) under it, at ``target_lufs`` integrated loudness.

    Never raises for bad music: it is left out and a note says why.
    """
    rate = speech.sample_rate
    if rate < 1 or fps < 1:
        raise ValueError(f"sample rate ({rate}) and frame rate ({fps}) must be positive")
    voice = _clean(speech.samples)
    intro_frames = card_frames(intro_s, fps)
    frames = max(1, intro_frames + -(-len(voice) * fps // rate) + card_frames(outro_s, fps))
    # Floor, not ceiling: a sound a fraction of a sample short of the last frame's end still counts that frame
    # (frame_count allows for it); one a sample longer would count one frame more.
    total = frames * rate // fps
    lead = intro_frames * rate // fps
    voice_track = np.zeros(total, dtype=np.float32)
    voice_track[lead : lead + len(voice)] = voice

    notes: list[str] = []
    voice_lufs = integrated_loudness(voice, rate)
    if math.isfinite(voice_lufs):
        gain_db = target_lufs - voice_lufs
        if gain_db > MAX_VOICE_GAIN_DB:
            notes.append(
                f"the voice is very quiet ({voice_lufs:.1f} LUFS); it was raised by {MAX_VOICE_GAIN_DB:g} "
                f"dB, the most allowed, and stays under the {target_lufs:g} LUFS target"
            )
            gain_db = MAX_VOICE_GAIN_DB
        voice_track *= np.float32(_linear(gain_db))
    else:
        if len(voice) < MEASURE_BLOCK_S * rate:
            reason = f"shorter than {MEASURE_BLOCK_S:g} s, too short to measure its loudness"
        else:
            reason = "silent, so its loudness cannot be measured"
        notes.append(f"the voice is {reason}; it was left at its recorded level")
        gain_db = 0.0

    music_track = None
    if music is not None:
        bed = _music_bed(music, rate, total, target_lufs, notes)
        if bed is not None:
            music_track = bed * _ducking(voice_track, rate, voice_lufs + gain_db)

    samples, measured = _normalise(
        voice_track,
        music_track,
        rate,
        target_lufs,
        adjust=math.isfinite(voice_lufs),
        max_gain_db=MAX_VOICE_GAIN_DB - gain_db,
    )
    if math.isfinite(voice_lufs) and gain_db < MAX_VOICE_GAIN_DB and abs(measured - target_lufs) > 0.5:
        notes.append(
            f"the finished sound measures {measured:.1f} LUFS, not the {target_lufs:g} LUFS target: the "
            "voice's peaks would have to be limited too hard to reach it"
        )
    return FinishedSound(
        samples=samples,
        sample_rate=rate,
        target_lufs=target_lufs,
        integrated_lufs=measured,
        music=music_track is not None,
        notes=notes,
    )


def _clean(samples: np.ndarray) -> np.ndarray:
    """Mono float32 in [-1, 1] with no NaN or infinity, whatever the engine handed over."""
    flat = np.asarray(samples, dtype=np.float32).reshape(-1)
    return np.clip(np.nan_to_num(flat, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)


def _linear(db: float) -> float:
    return 10.0 ** (db / 20.0)


# --- loudness and peaks -----------------------------------------------------------------------------------


def _normalise(
    voice: np.ndarray,
    music: np.ndarray | None,
    rate: int,
    target_lufs: float,
    *,
    adjust: bool,
    max_gain_db: float,
) -> tuple[np.ndarray, float]:
    """The mix of the limited ``voice`` and ``music``, under the peak ceiling; when ``adjust``, the voice's
    gain is corrected (raised by ``max_gain_db`` at most) until the mix measures the target. Returns the
    samples and their integrated loudness."""
    ceiling = _linear(PEAK_CEILING_DBFS)
    # The voice may reach what the music leaves of the ceiling, sample by sample, so the sum never passes
    # it. The bed is far under the ceiling; limiting it to half only guards against a freak peak.
    room: float | np.ndarray = ceiling
    if music is not None:
        music = _limit(music, rate, ceiling / 2)
        room = (ceiling - np.abs(music)).astype(np.float32)

    def mixed(gain_db: float) -> np.ndarray:
        limited = _limit(voice * np.float32(_linear(gain_db)), rate, room)
        return limited if music is None else np.clip(limited + music, -ceiling, ceiling)

    gain_db = 0.0
    out = mixed(gain_db)
    measured = integrated_loudness(out, rate)
    previous: tuple[float, float] | None = None
    for _ in range(LOUDNESS_PASSES - 1):
        miss = target_lufs - measured
        if not adjust or not math.isfinite(measured) or abs(miss) <= LOUDNESS_TOLERANCE_LU:
            break
        # The more the limiter works, the less a dB of gain adds to the loudness: the last two passes say how
        # much it adds now (a secant step), so a voice with sharp peaks still converges in a few passes.
        slope = 1.0
        if previous is not None and gain_db != previous[0]:
            slope = min(1.0, max(0.1, (measured - previous[1]) / (gain_db - previous[0])))
        step = min(MAX_LOUDNESS_STEP_DB, max(-MAX_LOUDNESS_STEP_DB, miss / slope))
        new_gain_db = min(gain_db + step, max_gain_db)
        if new_gain_db == gain_db:
            break
        previous = (gain_db, measured)
        gain_db = new_gain_db
        out = mixed(gain_db)
        measured = integrated_loudness(out, rate)
    return out, measured


def _limit(x: np.ndarray, rate: int, ceiling: float | np.ndarray) -> np.ndarray:
    """A look-ahead brick-wall limiter: no sample of the result exceeds ``ceiling`` (one level, or one per
    sample).

    The signal is cut into windows of :data:`LIMITER_WINDOW_S`; each window's gain is the least that any
    sample of itself or its two neighbours needs, and the per-sample gain is that smoothed by a moving mean
    over ±1 window. A mean centred on a peak only averages gains of the peak's window and its neighbours, all
    at or under what the peak needs, so the peak lands at or under the ceiling, and the gain glides down over
    a window or two before it and back up after it instead of jumping.
    """
    peak = np.abs(x)
    if not len(x) or bool(np.all(peak <= ceiling)):
        return x.astype(np.float32, copy=False)
    window = max(1, round(LIMITER_WINDOW_S * rate))
    windows = -(-len(x) // window)
    needed = np.ones(windows * window, dtype=np.float32)
    needed[: len(x)] = np.minimum(1.0, ceiling / np.maximum(peak, 1e-12))
    least = np.pad(needed.reshape(windows, window).min(axis=1), 1, constant_values=1.0)
    least = np.minimum(np.minimum(least[:-2], least[1:-1]), least[2:])
    gain = _moving_mean(np.pad(np.repeat(least, window)[: len(x)], window, mode="edge"), 2 * window + 1)
    # The bound holds exactly; the clip only removes float rounding at the ceiling itself.
    return np.clip(x * gain, -ceiling, ceiling).astype(np.float32)


def _sliding_max(x: np.ndarray, width: int) -> np.ndarray:
    """The maximum of every window ``x[i : i + width]``, in linear time.

    The van Herk/Gil-Werman method: cut ``x`` into blocks of ``width``; any window spans the tail of one block
    and the head of the next, so its maximum is that of a running suffix maximum and a running prefix one.
    """
    n = len(x)
    if n < width:
        return np.empty(0, dtype=x.dtype)
    blocks = -(-n // width)
    padded = np.full(blocks * width, -np.inf, dtype=np.float64)
    padded[:n] = x
    grid = padded.reshape(blocks, width)
    prefix = np.maximum.accumulate(grid, axis=1).reshape(-1)
    suffix = np.maximum.accumulate(grid[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    return np.maximum(suffix[: n - width + 1], prefix[width - 1 : n])


def _moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    """The mean of every window ``x[i : i + width]``, from one cumulative sum."""
    sums = np.concatenate(([0.0], np.cumsum(x, dtype=np.float64)))
    return (sums[width:] - sums[:-width]) / width


# --- music ------------------------------------------------------------------------------------------------


class _MusicUnusable(Exception):
    """The music is left out; the message is the whole note."""


def _music_bed(data: bytes, rate: int, total: int, target_lufs: float, notes: list[str]) -> np.ndarray | None:
    """The music at bed level, ``total`` samples long, looped and faded; ``None`` (and a note) if unusable."""
    try:
        decoded, trimmed = _decode_music(data, rate, total)
    except _MusicUnusable as refusal:
        notes.append(str(refusal))
        return None
    if trimmed:
        notes.append(
            f"the background music is longer than the {_minutes(protocol.MAX_MUSIC_SECONDS)} limit; only its "
            f"first {_minutes(protocol.MAX_MUSIC_SECONDS)} are used"
        )
    if len(decoded) < MIN_MUSIC_S * rate:
        notes.append(
            f"the background music lasts {len(decoded) / rate:.2f} s, too short to loop under a video (it "
            f"needs {MIN_MUSIC_S:g} s at least); the video has no music"
        )
        return None
    track = _loop(decoded, total, round(LOOP_CROSSFADE_S * rate))
    music_lufs = integrated_loudness(track, rate)
    if not math.isfinite(music_lufs):
        notes.append("the background music is silent; the video has no music")
        return None
    track *= np.float32(_linear(target_lufs + MUSIC_BED_LU - music_lufs))
    return track * _fades(total, rate)


def _decode_music(data: bytes, rate: int, needed: int) -> tuple[np.ndarray, bool]:
    """The first ``needed`` samples of the music (fewer if it is shorter), mono float32 at ``rate``, and
    whether the file is longer than :data:`protocol.MAX_MUSIC_SECONDS` (only that much is ever decoded)."""
    if len(data) > protocol.MAX_MUSIC_BYTES:
        raise _MusicUnusable(
            f"the background music file is {len(data) / 1e6:.1f} MB, over the "
            f"{protocol.MAX_MUSIC_BYTES / 1e6:g} MB limit; the video has no music"
        )
    limit = max(1, int(protocol.MAX_MUSIC_SECONDS * rate))
    # One sample past the limit tells a file that is longer than it from one that is exactly as long.
    wanted = min(needed, limit + 1)
    chunks: list[np.ndarray] = []
    decoded = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise _MusicUnusable(_unreadable("it holds no sound track"))
            listed_s = container.duration / av.time_base if container.duration else None
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    decoded += chunks[-1].size
                if decoded >= wanted:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(out.to_ndarray().reshape(-1))
                    decoded += chunks[-1].size
    except (av.FFmpegError, ValueError, OSError, EOFError) as error:
        raise _MusicUnusable(_unreadable(_ffmpeg_reason(error))) from error
    if not decoded:
        raise _MusicUnusable(_unreadable("it holds no sound"))
    samples = _clean(np.concatenate(chunks))
    # Decoding stopped at the video's length, below the limit: the container's own duration says the rest.
    trimmed = decoded > limit or (listed_s is not None and listed_s > protocol.MAX_MUSIC_SECONDS + 1.0)
    return samples[: min(needed, limit)], trimmed


def _unreadable(reason: str) -> str:
    return f"the background music could not be read as audio ({reason}); the video has no music"


def _ffmpeg_reason(error: Exception) -> str:
    """FFmpeg's own words without the errno and file name PyAV wraps them in."""
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return str(reason)[:200]


def _minutes(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _loop(music: np.ndarray, total: int, crossfade: int) -> np.ndarray:
    """``music`` repeated to ``total`` samples, each repeat fading in over the previous one's fade-out.

    The crossfade is equal-power (sine and cosine): music against a shifted copy of itself is uncorrelated
    enough that constant power, not constant amplitude, keeps the level steady through the join.
    """
    if len(music) >= total:
        return music[:total].copy()
    overlap = min(crossfade, len(music) // 4)
    period = len(music) - overlap
    piece = music.copy()
    if overlap:
        ramp = np.sin(np.linspace(0.0, np.pi / 2, overlap, dtype=np.float32))
        piece[:overlap] *= ramp
        piece[-overlap:] *= ramp[::-1]
    # One period of the loop: the piece up to its fade-out, whose fade-out lands on the next one's fade-in.
    cycle = piece[:period].copy()
    cycle[:overlap] += piece[period:]
    out = np.tile(cycle, -(-total // period))[:total]
    # The very first start is no join (the video's fade-in shapes it): the music as it begins.
    out[:overlap] = music[:overlap]
    return out


def _fades(total: int, rate: int) -> np.ndarray:
    """Raised-cosine fade-in and fade-out gains; both shrink together for a video shorter than the two."""
    scale = min(1.0, total / rate / (FADE_IN_S + FADE_OUT_S))
    gains = np.ones(total, dtype=np.float32)
    fade_in = round(FADE_IN_S * scale * rate)
    fade_out = round(FADE_OUT_S * scale * rate)
    if fade_in:
        gains[:fade_in] *= _raised_cosine(fade_in)
    if fade_out:
        gains[-fade_out:] *= _raised_cosine(fade_out)[::-1]
    return gains


def _raised_cosine(length: int) -> np.ndarray:
    """A gain rising from 0 to 1 over ``length`` samples, flat at both ends (no click, a gentle start)."""
    return (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, length))).astype(np.float32)


# --- ducking ----------------------------------------------------------------------------------------------


def _ducking(voice_track: np.ndarray, rate: int, voice_lufs: float) -> np.ndarray:
    """The music's gain under the voice, per sample: 1 where nobody speaks, DUCK_DB less while it does.

    The voice's level over :data:`VOICE_WINDOW_S`, every :data:`VOICE_STEP_S`, decides where it speaks;
    that is held through short gaps, then ramped with an anticipating attack and a slower release, and
    interpolated to samples.
    """
    total = len(voice_track)
    if not math.isfinite(voice_lufs):
        return np.ones(total, dtype=np.float32)
    step = max(1, round(VOICE_STEP_S * rate))
    steps = -(-total // step)
    power = np.zeros(steps * step, dtype=np.float64)
    power[:total] = np.square(voice_track, dtype=np.float64)
    per_step = power.reshape(steps, step).mean(axis=1)
    window = max(1, round(VOICE_WINDOW_S / VOICE_STEP_S))
    before = window // 2
    level = _moving_mean(np.pad(per_step, (before, window - 1 - before), mode="edge"), window)
    # A cumulative sum's differences can dip a hair under zero in silence: floor them before the logarithm.
    speaking = (10.0 * np.log10(np.maximum(level, 1e-20)) > voice_lufs + VOICE_GATE_DB).astype(np.float64)
    hold = round(DUCK_HOLD_S / VOICE_STEP_S)
    held = _sliding_max(np.concatenate((np.zeros(hold), speaking)), hold + 1)
    attack = max(1, round(DUCK_ATTACK_S / VOICE_STEP_S))
    release = max(1, round(DUCK_RELEASE_S / VOICE_STEP_S))
    # Looking ahead: the mean of the next `attack` steps reaches 1 exactly as the voice starts. Looking back:
    # the mean of the last `release` steps leaves 1 as the voice stops. The larger of the two is a fast,
    # anticipating attack and a slow release.
    ahead = _moving_mean(np.concatenate((held, np.zeros(attack - 1))), attack)
    behind = _moving_mean(np.concatenate((np.zeros(release - 1), held)), release)
    depth = np.maximum(ahead, behind)
    centres = (np.arange(steps) + 0.5) * step
    depth_per_sample = np.interp(np.arange(total), centres, depth)
    return np.power(10.0, -DUCK_DB * depth_per_sample / 20.0).astype(np.float32)
