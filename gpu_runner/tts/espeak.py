"""The offline engine: Debian's ``espeak-ng``. Robotic, but always there, so every job can be voiced."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from ..renderers.base import Speech
from .base import SpokenText, TTSEngine, TTSError, Voice, language_of, spread_timings

SYNTHESIS_TIMEOUT_S = 120


class EspeakEngine(TTSEngine):
    """Voices text with the ``espeak-ng`` program; voice names are its language codes (``en-us``, ``de``)."""

    name = "espeak"
    online = False

    def __init__(self, executable: str = "espeak-ng") -> None:
        self._executable_name = executable
        self._executable: str | None = None
        self._voices: list[Voice] = []

    def load(self) -> None:
        self._executable = shutil.which(self._executable_name)
        if self._executable is None:
            raise TTSError(
                f"{self._executable_name!r} is not installed; install it with `apt-get install espeak-ng`"
            )
        listing = self._run([self._executable, "--voices"]).decode("utf-8", "replace")
        self._voices = parse_voice_list(listing)
        if not self._voices:
            raise TTSError(f"`{self._executable} --voices` listed no voices; reinstall espeak-ng-data")

    def voices(self) -> list[Voice]:
        return list(self._voices)

    def synthesize(self, text: str, voice: str) -> SpokenText:
        if self._executable is None:
            raise TTSError("the espeak engine was used before load()")
        with tempfile.TemporaryDirectory(prefix="gpu-runner-espeak-") as folder:
            wav_path = Path(folder) / "speech.wav"
            # The text goes through stdin, never argv: a script starting with "-" must not become an option.
            # No -m flag, so any markup left in the text is read out, never interpreted.
            self._run([self._executable, "-v", voice, "--stdin", "-w", str(wav_path)], stdin=text.encode())
            speech = read_wav(wav_path)
        if len(speech.samples) == 0:
            raise TTSError(f"espeak-ng produced no audio for voice {voice!r}")
        return SpokenText(speech=speech, timings=spread_timings(text, speech.duration_s), timings_exact=False)

    def _run(self, command: list[str], stdin: bytes | None = None) -> bytes:
        try:
            completed = subprocess.run(
                command, input=stdin, capture_output=True, timeout=SYNTHESIS_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TTSError(f"espeak-ng could not run: {exc}") from None
        if completed.returncode != 0:
            error = completed.stderr.decode("utf-8", "replace").strip()[:300]
            raise TTSError(f"espeak-ng exited with status {completed.returncode}: {error}")
        return completed.stdout


def parse_voice_list(listing: str) -> list[Voice]:
    """Parse ``espeak-ng --voices``: a header line, then ``Pty Language Age/Gender VoiceName File …`` rows."""
    voices = []
    for line in listing.splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 2:
            code = columns[1]
            voices.append(Voice(engine="espeak", name=code, language=language_of(code)))
    return voices


def read_wav(path: Path) -> Speech:
    """Read a 16-bit PCM WAV file into mono float32 samples."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise TTSError(f"{path.name}: expected 16-bit PCM, got {8 * wav.getsampwidth()}-bit")
        channels = wav.getnchannels()
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = pcm.reshape(-1, channels).mean(axis=1) if channels > 1 else pcm
    return Speech(samples=(samples / 32768.0).astype(np.float32), sample_rate=rate)
