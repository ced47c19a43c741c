"""One Hallo2 denoising step, and the per-clip work it needs: conditioning, reference pass, network call.

A sampling loop over one clip uses it like this (``scheduler`` is a diffusers ``DDIMScheduler``; latents are
(1, 4, frames, H/8, W/8); the reference latents are ``[reference image, motion frame 1, motion frame 2]``)::

    cond = prepare_conditioning(net, face_embedding, audio_windows, face_region,
                                full_masks, face_masks, lip_masks, motion_scale=(1.0, 1.0, 1.0))
    banks = reference_pass(net, reference_latents, cond)          # once per clip
    for t in scheduler.timesteps:
        pred = predict_noise(net, latents, t, cond, banks)
        latents = scheduler.step(pred.guided(3.5), t, latents, eta=0.0).prev_sample

Classifier-free guidance is built in, as in the reference: the batch is ``[uncond, cond]``; the unconditional
row gets the identity projection of a zero embedding, zero face-locator features, zero audio tokens and no
reference image in its self-attention (it still gets the motion frames).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .models.audio_module import RegionMasks
from .models.reference_bank import ReferenceBank
from .models.reference_unet import capturing_norm1, writer_blocks
from .net import Net

#: The reference rounds the banked features to fp16 whatever the model dtype (its ``update`` default); the
#: weights
#: were evaluated that way and leaving it out moves the guided prediction by ~1e-3, so we round too.
BANK_DTYPE = torch.float16


@dataclass(frozen=True)
class Conditioning:
    """The per-clip conditioning, already laid out as the guidance batch ``[uncond, cond]``.

    Attributes:
        face_tokens: identity tokens (2, 4, 768).
        audio_tokens: audio tokens per frame (2, frames, 32, 768).
        face_features: face-locator output (2, C0, H/8, W/8), shared by every frame.
        masks: soft full/face/lip masks per level, level 0 at the latent resolution.
        motion_scale: weights of the full-frame, face and lip audio branches.
        uncond_rows: leading batch rows that are unconditional (1).
    """

    face_tokens: torch.Tensor
    audio_tokens: torch.Tensor
    face_features: torch.Tensor
    masks: list[RegionMasks]
    motion_scale: tuple[float, float, float]
    uncond_rows: int = 1

    @property
    def rows(self) -> int:
        """Batch rows of one network call."""
        return self.face_tokens.shape[0]


@dataclass(frozen=True)
class NoisePrediction:
    """The network's v-prediction for both guidance rows, each (1, 4, frames, H, W)."""

    uncond: torch.Tensor
    cond: torch.Tensor

    def guided(self, scale: float) -> torch.Tensor:
        """Classifier-free guidance: ``uncond + scale · (cond − uncond)``."""
        return self.uncond + scale * (self.cond - self.uncond)


def _level_mask(mask: torch.Tensor, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    return mask.reshape(-1, 1).to(device=device, dtype=dtype)


@torch.no_grad()
def prepare_conditioning(
    net: Net,
    face_embedding: torch.Tensor,
    audio_windows: torch.Tensor,
    face_region: torch.Tensor,
    full_masks: Sequence[torch.Tensor],
    face_masks: Sequence[torch.Tensor],
    lip_masks: Sequence[torch.Tensor],
    motion_scale: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> Conditioning:
    """Project the identity, audio and face region of one clip and lay them out for guidance.

    Args:
        face_embedding: the raw 512-d face-recognition embedding.
        audio_windows: wav2vec2 windows for the clip's frames (frames, 5, 12, 768).
        face_region: the face-box mask (3, H, W) in {0, 1}.
        full_masks, face_masks, lip_masks: per level (latent size, /2, /4, /8) a (1, h·w) soft mask in [0, 1].
        motion_scale: weights of the full-frame (pose), face and lip audio branches.
    """
    device, dtype = net.denoising_unet.conv_in.weight.device, net.dtype
    embedding = face_embedding.reshape(1, -1).to(device=device, dtype=dtype)
    face_tokens = net.imageproj(torch.cat([torch.zeros_like(embedding), embedding]))
    audio = net.audioproj(audio_windows[None].to(device=device, dtype=net.audioproj.proj1.weight.dtype)).to(
        dtype
    )
    features = net.face_locator(face_region[None].to(device=device, dtype=dtype))
    levels = [
        RegionMasks(
            _level_mask(f, dtype, device), _level_mask(c, dtype, device), _level_mask(lip, dtype, device)
        )
        for f, c, lip in zip(full_masks, face_masks, lip_masks, strict=True)
    ]
    return Conditioning(
        face_tokens=face_tokens,
        audio_tokens=torch.cat([torch.zeros_like(audio), audio]),
        face_features=torch.cat([torch.zeros_like(features), features]),
        masks=levels,
        motion_scale=tuple(float(w) for w in motion_scale),
    )


def _by_width(blocks: dict, width: callable) -> list[str]:
    # Stable sort, widest first: the reference pairs writers and readers by their position in this order.
    return sorted(blocks, key=lambda name: -width(blocks[name]))


def bank_pairing(net: Net) -> list[tuple[str, str]]:
    """(reference-UNet block, denoising-UNet block) pairs, as the reference pairs them: both lists of
    transformer
    blocks in registration order, stable-sorted by decreasing width, zipped."""
    writers = writer_blocks(net.reference_unet)
    readers = net.denoising_unet.reader_blocks()
    if len(writers) != len(readers):
        raise ValueError(
            f"reference UNet has {len(writers)} transformer blocks, denoising UNet {len(readers)}"
        )
    writer_order = _by_width(writers, lambda block: block.norm1.normalized_shape[0])
    reader_order = _by_width(readers, lambda block: block.block.norm1.normalized_shape[0])
    return list(zip(writer_order, reader_order, strict=True))


@torch.no_grad()
def reference_pass(net: Net, reference_latents: torch.Tensor, cond: Conditioning) -> dict[str, ReferenceBank]:
    """Run the reference UNet once for a clip and build every reader block's bank.

    Args:
        reference_latents: ``[reference image, motion frames…]`` latents (1 + M, 4, H, W), already scaled by
        the
            VAE factor.
        cond: the clip's conditioning (its face tokens enter the reference UNet's cross-attention).

    Returns:
        Banks by denoising-UNet spatial-transformer path, for :func:`predict_noise`.
    """
    dtype = net.dtype
    images = reference_latents.shape[0]
    batch = reference_latents.to(dtype).repeat(cond.rows, 1, 1, 1)
    # The reference tiles the guidance batch's tokens over the image batch, so the images [ref, m1, m2, ref,
    # m1, m2] meet the tokens [u, c, u, c, u, c]; the released weights were evaluated with that pairing.
    tokens = cond.face_tokens.repeat(batch.shape[0] // cond.rows, 1, 1)
    timestep = torch.zeros((), dtype=torch.long, device=batch.device)
    with capturing_norm1(net.reference_unet) as captured:
        net.reference_unet(batch, timestep, encoder_hidden_states=tokens, return_dict=False)
    readers = net.denoising_unet.reader_blocks()
    banks = {}
    for writer, reader in bank_pairing(net):
        features = captured[writer].to(BANK_DTYPE).to(dtype)
        features = features.reshape(cond.rows, images, *features.shape[1:])
        key, value = readers[reader].block.project_reference(features[:, 0])
        banks[reader] = ReferenceBank(
            key=key, value=value, motion=features[:, 1:], uncond_rows=cond.uncond_rows
        )
    return banks


@torch.no_grad()
def predict_noise(
    net: Net,
    latents: torch.Tensor,
    timestep: torch.Tensor | int,
    cond: Conditioning,
    banks: dict[str, ReferenceBank],
) -> NoisePrediction:
    """One call of the denoising UNet on the guidance batch.

    Args:
        latents: the clip's noisy latents (1, 4, frames, H, W).
        timestep: the scheduler's timestep.
        cond: from :func:`prepare_conditioning`.
        banks: from :func:`reference_pass` for this clip.
    """
    sample = latents.to(net.dtype).repeat(cond.rows, 1, 1, 1, 1)
    out = net.denoising_unet(
        sample,
        torch.as_tensor(timestep, device=sample.device),
        face_tokens=cond.face_tokens,
        audio_tokens=cond.audio_tokens,
        face_features=cond.face_features,
        masks=cond.masks,
        motion_scale=cond.motion_scale,
        banks=banks,
    )
    uncond, conditional = out.to(latents.dtype).split([cond.uncond_rows, cond.rows - cond.uncond_rows])
    return NoisePrediction(uncond=uncond, cond=conditional)
