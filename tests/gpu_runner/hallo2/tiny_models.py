"""Shared test inputs for the Hallo2 renderer tests: the tiny models directory, a real face, real speech.

Import the fixtures into a test module (``from .tiny_models import tiny_models_dir``).
The directory is built once per test session, whichever module asks first.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gpu_runner.renderers.base import Speech
from gpu_runner.renderers.hallo2.tiny import build_tiny_models_dir

_TINY_DIR_NAME = "hallo2-tiny-models"


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete tiny models directory in the released layout (built once per session)."""
    root = tmp_path_factory.getbasetemp() / _TINY_DIR_NAME
    if not (root / "hallo2" / "net.pth").is_file():
        build_tiny_models_dir(root)
    return root


@pytest.fixture(scope="session")
def presenter_image() -> Image.Image:
    """A real one-face portrait (NASA, public domain), as an editor would upload it."""
    from skimage.data import astronaut

    return Image.fromarray(astronaut())


# "Hello, this is our new product." in espeak-ng's default voice, recorded once: the renderer tests then hear
# the same speech on every host, including one without the runner's [tts] extra (a GPU host may have none);
# tests/gpu_runner/test_tts.py tests the offline voice itself (libespeak-ng, gpu_runner.tts.espeak).
RECORDED_SPEECH = Path(__file__).resolve().parents[2] / "data" / "speech" / "hello-product.wav"


@pytest.fixture(scope="session")
def short_speech() -> Speech:
    """About two seconds of real English TTS speech: more than three 16-frame clips, the last one partial."""
    with wave.open(str(RECORDED_SPEECH)) as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return Speech(samples=pcm.astype(np.float32) / 32768.0, sample_rate=rate)
