"""The online engine: Microsoft Edge's read-aloud voices through ``edge-tts``. Natural; needs the network."""

from __future__ import annotations

import asyncio
import io
import logging
import re

import numpy as np

from ..renderers.base import Speech
from .base import SpokenText, Timing, TTSEngine, TTSError, Voice, language_of, spread_timings

logger = logging.getLogger(__name__)

# Edge voice names look like "en-US-JennyNeural" or "zh-CN-shaanxi-XiaoniNeural".
EDGE_VOICE_RE = re.compile(r"^[a-z]{2,3}-[A-Z]{2,4}(-[A-Za-z]+)*-[A-Za-z]+Neural$")
LIST_TIMEOUT_S = 10
SAMPLE_RATE = 24000
TICKS_PER_SECOND = 10_000_000  # edge-tts reports offsets in 100 ns ticks


class EdgeEngine(TTSEngine):
    """Voices text with the Edge read-aloud service. Voice names are Edge's (``en-US-JennyNeural``)."""

    name = "edge"
    online = True

    def __init__(self) -> None:
        self._voices: list[Voice] = []
        self._answered = False

    def load(self) -> None:
        """Ask the service for its voice list. Offline this fails fast; the engine stays usable by name."""
        import edge_tts

        try:
            listed = asyncio.run(asyncio.wait_for(edge_tts.list_voices(), LIST_TIMEOUT_S))
        except Exception as exc:  # aiohttp and asyncio raise many kinds; all mean "not reachable now"
            logger.warning(
                "edge-tts voice list unavailable (%s: %s); will try per job", type(exc).__name__, exc
            )
            return
        self._voices = [Voice("edge", item["ShortName"], language_of(item["ShortName"])) for item in listed]
        self._answered = True

    @property
    def available(self) -> bool:
        return self._answered

    def voices(self) -> list[Voice]:
        return list(self._voices)

    def knows_voice(self, name: str) -> bool:
        """With the service's list (online at boot) the name must be in it; without, it must look like one."""
        if self._voices:
            return super().knows_voice(name)
        return bool(EDGE_VOICE_RE.match(name))

    def synthesize(self, text: str, voice: str) -> SpokenText:
        import aiohttp

        try:
            mp3, timings = asyncio.run(_stream(text, voice))
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            logger.warning("edge-tts unreachable: %s: %s", type(exc).__name__, exc)
            raise TTSError("the Edge voice service could not be reached") from None
        except Exception as exc:  # edge-tts raises its own and aiohttp's errors; all mean this voice failed
            raise TTSError(f"the Edge voice service failed ({type(exc).__name__}: {exc})") from None
        if not mp3:
            raise TTSError(f"edge-tts returned no audio for voice {voice!r}")
        speech = decode_mp3(mp3)
        if timings:
            return SpokenText(speech=speech, timings=timings, timings_exact=True)
        return SpokenText(speech=speech, timings=spread_timings(text, speech.duration_s), timings_exact=False)


async def _stream(text: str, voice: str) -> tuple[bytes, list[Timing]]:
    import edge_tts

    audio = bytearray()
    timings: list[Timing] = []
    communicate = edge_tts.Communicate(text, voice, boundary="WordBoundary")
    async for chunk in communicate.stream():
        if chunk["type"] == "audio":
            audio.extend(chunk["data"])
        elif chunk["type"] in ("WordBoundary", "SentenceBoundary"):
            start = chunk["offset"] / TICKS_PER_SECOND
            timings.append(Timing(chunk["text"], start, start + chunk["duration"] / TICKS_PER_SECOND))
    return bytes(audio), timings


def decode_mp3(data: bytes) -> Speech:
    """Decode MP3 bytes into mono float32 samples at :data:`SAMPLE_RATE` with PyAV."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            pieces = []
            for frame in container.decode(audio=0):
                pieces.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
            pieces.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except av.FFmpegError as exc:
        raise TTSError(f"edge-tts audio could not be decoded: {exc}") from None
    samples = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)
    return Speech(samples=np.clip(samples, -1.0, 1.0), sample_rate=SAMPLE_RATE)
