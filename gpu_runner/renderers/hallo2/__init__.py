"""The Hallo2 talking-head renderer: networks (``net``, ``models``), one denoising step (``denoise``) and the
sampling pipeline built on them."""

from .denoise import Conditioning, NoisePrediction, predict_noise, prepare_conditioning, reference_pass
from .net import HALLO2_CONFIG, Net, NetConfig, UNetConfig, build_net, load_net_state

__all__ = [
    "HALLO2_CONFIG",
    "Conditioning",
    "Net",
    "NetConfig",
    "NoisePrediction",
    "UNetConfig",
    "build_net",
    "load_net_state",
    "predict_noise",
    "prepare_conditioning",
    "reference_pass",
]
