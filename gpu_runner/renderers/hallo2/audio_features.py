"""Hallo2's audio input: wav2vec2 hidden states, one row per video frame, in windows of five frames.

The steps follow the reference (``hallo/datasets/audio_processor.py`` and ``hallo/models/wav2vec.py``):

1. the voice track is resampled to 16 kHz mono and normalised to zero mean and unit variance, as
   ``Wav2Vec2FeatureExtractor`` does;
2. long audio is cut into 60 s segments, each normalised and encoded on its own, then concatenated;
3. wav2vec2's CNN features (50 per second) are linearly interpolated, corners aligned, to the video's
   25 per second *before* the feature projection and the transformer: the model was trained on features
   stretched this way, so the stock ``Wav2Vec2Model`` forward is not enough;
4. all 12 transformer layers' outputs are kept: (frames, 12, 768);
5. the renderer reads each frame's window of frames i−2 … i+2, clamped at the ends: (5, 12, 768).

With a clip length, the last segment's normalised signal is zero-padded so that the frame count is a
multiple of it (the pipeline renders whole clips), and :attr:`AudioFeatures.frame_count` keeps the real
count. There is no vocal separation: TTS speech is already clean.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.signal import resample_poly
from transformers import Wav2Vec2Model

from ..base import FPS, Speech

SAMPLE_RATE = 16_000
SEGMENT_SECONDS = 60
CLIP_LENGTH = 16  # long.yaml `n_sample_frames`
WINDOW_RADIUS = 2  # frames i-2 … i+2
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS  # 640: the padding unit, as in the reference
FETCH_MODELS_COMMAND = "python -m gpu_runner fetch-models"
# What this module feeds wav2vec2, as its preprocessor_config.json must say: 16 kHz mono, normalised.
EXPECTED_PREPROCESSING = {"sampling_rate": SAMPLE_RATE, "feature_size": 1, "do_normalize": True}


@dataclass(frozen=True)
class AudioFeatures:
    """wav2vec2 hidden states for a voice track.

    ``embeddings`` is float32 (frames, layers, hidden) — (frames, 12, 768) for wav2vec2-base — on the
    encoder's device; with a clip length its first axis is padded up to a multiple of it. ``frame_count``
    is the number of frames the audio really lasts (ceil(seconds × 25)), padding excluded.
    """

    embeddings: torch.Tensor
    frame_count: int

    def windows(self, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """The five-frame windows of frames ``start`` … ``stop``−1: (stop − start, 5, layers, hidden)."""
        return frame_windows(self.embeddings, start, stop)


def frame_count(num_samples: int, sample_rate: int = SAMPLE_RATE, fps: int = FPS) -> int:
    """Video frames covering ``num_samples`` of audio: ceil(seconds × fps), in exact integer arithmetic.

    The reference computes ``ceil(n / 16000 * 25)`` in floating point, which gives one frame more for a few
    lengths (142 of the first two million, e.g. 4480 samples); the video's length rule is the exact one.
    """
    return -(-num_samples * fps // sample_rate)


def resample_to_16k(speech: Speech) -> np.ndarray:
    """The voice track as float32 mono samples at 16 kHz (polyphase FIR resampling, Kaiser window)."""
    samples = np.asarray(speech.samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"speech must be mono, one sample per row; got an array of shape {samples.shape}")
    if speech.sample_rate <= 0:
        raise ValueError(f"speech sample rate must be positive, got {speech.sample_rate}")
    if speech.sample_rate == SAMPLE_RATE:
        return samples
    common = math.gcd(SAMPLE_RATE, speech.sample_rate)
    resampled = resample_poly(samples, SAMPLE_RATE // common, speech.sample_rate // common)
    return resampled.astype(np.float32)


def normalize_waveform(samples: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance, computed as ``Wav2Vec2FeatureExtractor(do_normalize=True)`` does."""
    samples = np.asarray(samples, dtype=np.float32)
    return (samples - samples.mean()) / np.sqrt(samples.var() + 1e-7)


def frame_windows(embeddings: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
    """For each frame i in ``start`` … ``stop``−1, frames i−2 … i+2 clamped to the sequence: (n, 5, …).

    Computed per range so that a long video never holds five copies of its whole audio in memory.
    """
    total = embeddings.shape[0]
    stop = total if stop is None else stop
    if not 0 <= start <= stop <= total:
        raise ValueError(f"frame range {start}…{stop} is outside the {total} frames of audio")
    frames = torch.arange(start, stop, device=embeddings.device)
    offsets = torch.arange(-WINDOW_RADIUS, WINDOW_RADIUS + 1, device=embeddings.device)
    index = (frames[:, None] + offsets[None, :]).clamp(0, total - 1)
    return embeddings[index]


@contextmanager
def without_cudnn_benchmark() -> Iterator[None]:
    """cuDNN's algorithm search off while inside, whatever the renderer set for the process.

    Every voice track has its own length, so wav2vec2's convolutions see new shapes in every job: with the
    search on, cuDNN would time every algorithm again for each one, costing more than it saves.
    """
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def check_preprocessing(model_dir: Path) -> None:
    """Refuse a wav2vec2 whose ``preprocessor_config.json`` asks for other input than we give it.

    The input is prepared here, not by ``Wav2Vec2FeatureExtractor``, so a model expecting another sample rate
    or no normalisation would get the wrong signal and answer with plausible-looking noise.
    """
    path = model_dir / "preprocessor_config.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"wav2vec2 model directory {str(model_dir)!r} has no preprocessor_config.json; fetch the Hallo2 "
            f"models with `{FETCH_MODELS_COMMAND}`"
        )
    config = json.loads(path.read_text())
    wrong = {
        key: config.get(key) for key, value in EXPECTED_PREPROCESSING.items() if config.get(key) != value
    }
    if wrong:
        raise ValueError(
            f"{path} asks for {wrong}, but the renderer feeds wav2vec2 {EXPECTED_PREPROCESSING}; use the "
            f"wav2vec2-base-960h files that `{FETCH_MODELS_COMMAND}` downloads"
        )


class AudioEncoder:
    """wav2vec2 with Hallo2's frame-rate interpolation, in fp32 as the reference runs it. Load once."""

    def __init__(self, model_dir: str | os.PathLike[str], device: str | torch.device = "cpu") -> None:
        """Load wav2vec2 from a local ``from_pretrained`` directory (``wav2vec/wav2vec2-base-960h``)."""
        path = Path(model_dir).expanduser()
        if not (path / "config.json").is_file():
            raise FileNotFoundError(
                f"wav2vec2 model directory {str(path)!r} has no config.json; fetch the Hallo2 models "
                f"with `{FETCH_MODELS_COMMAND}`"
            )
        check_preprocessing(path)
        # The released checkpoint is a Wav2Vec2ForCTC: transformers drops its `wav2vec2.` prefix and the
        # unused CTC head, and renames the old weight_g/weight_v names of the positional convolution.
        model, loading = Wav2Vec2Model.from_pretrained(path, local_files_only=True, output_loading_info=True)
        if loading["missing_keys"]:
            # from_pretrained would fill them with random values; features from those are noise.
            raise ValueError(
                f"wav2vec2 weights in {str(path)!r} lack {len(loading['missing_keys'])} tensor(s), e.g. "
                f"{sorted(loading['missing_keys'])[:3]}; re-fetch them with `{FETCH_MODELS_COMMAND}`"
            )
        self.model = model.to(device=device, dtype=torch.float32).eval()
        self.device = torch.device(device)

    @property
    def layers(self) -> int:
        return int(self.model.config.num_hidden_layers)

    def encode(self, speech: Speech, clip_length: int | None = CLIP_LENGTH) -> AudioFeatures:
        """All layers' hidden states for ``speech``, one row per 25 fps frame.

        With ``clip_length``, zero frames of padding make the row count a multiple of it; ``None`` pads
        nothing.
        """
        samples = resample_to_16k(speech)
        if samples.size == 0:
            raise ValueError("speech has no samples; the voice track is empty")
        segment_size = SEGMENT_SECONDS * SAMPLE_RATE
        starts = range(0, samples.size, segment_size)
        parts = []
        done = 0
        for start in starts:
            segment = normalize_waveform(samples[start : start + segment_size])
            frames = frame_count(segment.size)
            if clip_length and start + segment_size >= samples.size:
                # Pad the last segment so the whole track fills whole clips. The reference decides on the
                # segment's own length but pads by the total's; that misses when one is a multiple of the
                # clip length and the other is not, so this goes by the total.
                extra = -(done + frames) % clip_length
                segment = np.pad(segment, (0, extra * SAMPLES_PER_FRAME))
                frames += extra
            parts.append(self.hidden_states(segment, frames))
            done += frames
        return AudioFeatures(embeddings=torch.cat(parts), frame_count=frame_count(samples.size))

    @torch.inference_mode()
    def hidden_states(self, normalized: np.ndarray, frames: int) -> torch.Tensor:
        """wav2vec2 on one normalised 16 kHz segment, its CNN features stretched to ``frames`` rows.

        Returns float32 (frames, layers, hidden): every transformer layer's output, the input embedding
        (hidden state 0) left out, as the reference does.
        """
        signal = torch.from_numpy(np.ascontiguousarray(normalized, dtype=np.float32)).to(self.device)
        with self._cnn_features_stretched_to(frames), without_cudnn_benchmark():
            output = self.model(signal[None], output_hidden_states=True, return_dict=True)
        return torch.stack(output.hidden_states[1:], dim=2)[0]

    @contextmanager
    def _cnn_features_stretched_to(self, frames: int) -> Iterator[None]:
        """Interpolate the CNN feature extractor's output (B, C, T) to ``frames`` steps while inside."""

        def stretch(module: torch.nn.Module, inputs: object, features: torch.Tensor) -> torch.Tensor:
            return F.interpolate(features, size=frames, mode="linear", align_corners=True)

        handle = self.model.feature_extractor.register_forward_hook(stretch)
        try:
            yield
        finally:
            handle.remove()
