"""wav2vec2 audio features against the reference's own output on the golden tiny model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from gpu_runner.renderers.base import Speech
from gpu_runner.renderers.hallo2 import audio_features
from gpu_runner.renderers.hallo2.audio_features import (
    AudioEncoder,
    frame_count,
    frame_windows,
    normalize_waveform,
    resample_to_16k,
)
from tests.gpu_runner.hallo2.fixtures_preprocess import load_golden_wav2vec, write_wav2vec_dir


@pytest.fixture(scope="module", autouse=True)
def two_threads() -> None:
    # The golden was made with 2 threads; other counts move fp32 sums by ~1e-6.
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return load_golden_wav2vec()


@pytest.fixture(scope="module")
def encoder(golden: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> AudioEncoder:
    folder = tmp_path_factory.mktemp("models") / "wav2vec" / "wav2vec2-base-960h"
    return AudioEncoder(write_wav2vec_dir(golden, folder))


@pytest.fixture(scope="module")
def speech(golden: dict[str, Any]) -> Speech:
    return Speech(golden["waveform"].numpy(), golden["sample_rate"])


def test_normalisation_matches_the_feature_extractor(golden):
    ours = normalize_waveform(golden["waveform"].numpy())
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, golden["input_values_normalized"].numpy(), rtol=0, atol=1e-6)


def test_unpadded_features_match_the_reference(encoder, golden, speech):
    features = encoder.encode(speech, clip_length=None)
    # The golden's audio lasts ceil(seconds × fps) frames; our exact formula agrees with the reference's.
    assert golden["audio_length"] == frame_count(
        golden["waveform"].numel(), sample_rate=golden["sample_rate"], fps=golden["fps"]
    )
    assert features.frame_count == golden["audio_length"] == golden["seq_len"]
    assert features.embeddings.shape == golden["audio_emb"].shape
    torch.testing.assert_close(features.embeddings, golden["audio_emb"], rtol=0, atol=1e-5)
    torch.testing.assert_close(features.windows(), golden["audio_emb_windows"], rtol=0, atol=1e-5)


def test_padded_features_match_the_reference(encoder, golden, speech):
    padded = golden["padded"]
    features = encoder.encode(speech, clip_length=golden["clip_length"])
    assert features.frame_count == padded["audio_length"] == golden["audio_length"]
    # Padding adds whole frames up to the next multiple of the clip length, and no more.
    assert padded["seq_len"] % golden["clip_length"] == 0
    assert 0 <= padded["seq_len"] - padded["audio_length"] < golden["clip_length"]
    assert features.embeddings.shape[0] == padded["seq_len"]
    torch.testing.assert_close(features.embeddings, padded["audio_emb"], rtol=0, atol=1e-5)
    torch.testing.assert_close(features.windows(), padded["audio_emb_windows"], rtol=0, atol=1e-5)


def test_all_layers_are_kept_without_the_input_embedding(encoder, golden, speech):
    config = golden["wav2vec2_config"]
    frames = golden["audio_length"]
    stacked = encoder.hidden_states(normalize_waveform(speech.samples), frames)
    assert encoder.layers == config["num_hidden_layers"]
    assert stacked.shape == (frames, config["num_hidden_layers"], config["hidden_size"])
    torch.testing.assert_close(stacked[:, -1], golden["last_hidden_state"], rtol=0, atol=1e-5)
    torch.testing.assert_close(stacked.transpose(0, 1), golden["hidden_states_all"][1:], rtol=0, atol=1e-5)


def test_windows_clamp_at_both_ends():
    embeddings = torch.arange(6.0)[:, None, None].expand(6, 2, 3)
    windows = frame_windows(embeddings)
    assert windows.shape == (6, 5, 2, 3)
    assert windows[:, :, 0, 0].tolist()[0] == [0, 0, 0, 1, 2]
    assert windows[:, :, 0, 0].tolist()[5] == [3, 4, 5, 5, 5]
    torch.testing.assert_close(frame_windows(embeddings, 2, 4), windows[2:4])
    with pytest.raises(ValueError, match="outside"):
        frame_windows(embeddings, 4, 7)


def test_frame_count_is_exact_seconds_times_fps():
    assert frame_count(20800) == 33  # 1.3 s
    assert frame_count(640) == 1 and frame_count(641) == 2
    assert frame_count(4480) == 7  # the reference's floating-point formula gives 8 here
    assert frame_count(44100, sample_rate=44100) == 25


def test_resampling_to_16k_keeps_duration_and_pitch():
    rate = 24_000
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    resampled = resample_to_16k(Speech(tone, rate))
    assert resampled.dtype == np.float32 and resampled.shape == (16_000,)
    spectrum = np.abs(np.fft.rfft(resampled))
    assert np.argmax(spectrum) == 440  # 1 s of audio: bin n is n Hz
    np.testing.assert_array_equal(resample_to_16k(Speech(tone, 16_000)), tone)  # already 16 kHz: untouched
    with pytest.raises(ValueError, match="mono"):
        resample_to_16k(Speech(np.zeros((10, 2), dtype=np.float32), rate))


def test_long_audio_is_encoded_in_independent_segments(encoder, monkeypatch):
    monkeypatch.setattr(audio_features, "SEGMENT_SECONDS", 1)
    rng = np.random.default_rng(1)
    samples = (0.3 * rng.standard_normal(16_000 * 2 + 8000)).astype(np.float32)  # 2.5 s: 3 segments
    features = encoder.encode(Speech(samples, 16_000), clip_length=16)
    assert features.frame_count == 63
    assert features.embeddings.shape[0] == 64  # padded to whole clips of 16
    # Each whole segment is normalised and encoded alone, exactly as if it were the only audio.
    second = encoder.hidden_states(normalize_waveform(samples[16_000:32_000]), 25)
    torch.testing.assert_close(features.embeddings[25:50], second, rtol=0, atol=1e-6)


def test_a_missing_model_directory_names_the_fetch_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m gpu_runner fetch-models"):
        AudioEncoder(tmp_path / "wav2vec2-base-960h")


def test_weights_missing_tensors_are_refused(golden, tmp_path):
    folder = write_wav2vec_dir(golden, tmp_path / "wav2vec2")
    tensors = load_file(str(folder / "model.safetensors"))
    del tensors["wav2vec2.encoder.layers.1.final_layer_norm.weight"]
    save_file(tensors, str(Path(folder) / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ValueError, match="lack 1 tensor"):
        AudioEncoder(folder)


@pytest.mark.parametrize(
    "change", [{"sampling_rate": 8000}, {"do_normalize": False}], ids=["sample-rate", "not-normalised"]
)
def test_a_wav2vec2_expecting_other_input_is_refused(golden, tmp_path, change):
    folder = write_wav2vec_dir(golden, tmp_path / "wav2vec2")
    config_path = folder / "preprocessor_config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, **change}))
    with pytest.raises(ValueError, match="asks for") as caught:
        AudioEncoder(folder)
    assert str(change)[1:-1] in str(caught.value) and "fetch-models" in str(caught.value)


def test_a_wav2vec2_without_its_preprocessor_config_names_the_fetch_command(golden, tmp_path):
    folder = write_wav2vec_dir(golden, tmp_path / "wav2vec2")
    (folder / "preprocessor_config.json").unlink()
    with pytest.raises(FileNotFoundError, match="preprocessor_config.json.*fetch-models"):
        AudioEncoder(folder)


def test_the_cudnn_algorithm_search_is_off_while_wav2vec2_runs_and_restored_after(encoder, speech):
    # Every voice track is another length: a search per job would cost more than it saves.
    seen = []
    handle = encoder.model.register_forward_pre_hook(
        lambda module, inputs: seen.append(torch.backends.cudnn.benchmark)
    )
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        encoder.encode(speech)
        assert torch.backends.cudnn.benchmark is True
    finally:
        torch.backends.cudnn.benchmark = previous
        handle.remove()
    assert seen and not any(seen)
