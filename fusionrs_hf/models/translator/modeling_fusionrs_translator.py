"""FusionRSTranslatorModel: a U-Net generator from RGB to a single-channel infrared view, trained
with L1 + SSIM and optionally a PatchGAN discriminator (pix2pix).

This file travels with saved checkpoints (trust_remote_code), so it imports only torch, transformers
and its sibling configuration file.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_fusionrs_translator import FusionRSTranslatorConfig


@dataclass
class FusionRSTranslatorOutput(ModelOutput):
    """
    ir_values: (batch, out_channels, height, width) predicted infrared view in [0, 1].
    loss: the weighted training loss when `labels` are given; l1_loss / ssim_loss its terms.
    """

    loss: torch.FloatTensor | None = None
    ir_values: torch.FloatTensor | None = None
    l1_loss: torch.FloatTensor | None = None
    ssim_loss: torch.FloatTensor | None = None


def _gaussian_window(size: int = 11, sigma: float = 1.5, device=None, dtype=None) -> torch.Tensor:
    coords = torch.arange(size, device=device, dtype=dtype) - (size - 1) / 2
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    return (kernel[:, None] * kernel[None, :])[None, None]


def ssim_map(x: torch.Tensor, y: torch.Tensor, window_size: int = 11) -> torch.Tensor:
    """Per-pixel SSIM (Wang et al. 2004; 11x11 Gaussian, sigma 1.5) of images in [0, 1], channel by channel."""
    channels = x.shape[1]
    window = _gaussian_window(window_size, device=x.device, dtype=x.dtype).expand(channels, 1, -1, -1)
    blur = lambda t: F.conv2d(t, window, groups=channels)  # noqa: E731 - valid-region filtering, as the reference
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


class FusionRSTranslatorConvBlock(nn.Module):
    """Two 3x3 conv + GroupNorm + SiLU layers: one U-Net stage."""

    def __init__(self, in_channels: int, out_channels: int, groups: int):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.GroupNorm(min(groups, out_channels), out_channels),
            nn.SiLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.GroupNorm(min(groups, out_channels), out_channels),
            nn.SiLU(),
        )

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.layers(hidden)


class FusionRSTranslatorGlobalContext(nn.Module):
    """Adds a projection of the whole-image mean feature to every bottleneck position (the frame gain)."""

    def __init__(self, channels: int):
        super().__init__()
        self.project = nn.Sequential(nn.Linear(channels, channels), nn.SiLU(), nn.Linear(channels, channels))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden + self.project(hidden.mean(dim=(2, 3)))[:, :, None, None]


class FusionRSTranslatorPreTrainedModel(PreTrainedModel):
    config_class = FusionRSTranslatorConfig
    base_model_prefix = "translator"
    main_input_name = "pixel_values"

    def _init_weights(self, module):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.GroupNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


class FusionRSTranslatorModel(FusionRSTranslatorPreTrainedModel):
    """U-Net: `depth` encoder stages with 2x downsampling, a bottleneck with global context, and a decoder
    that upsamples and concatenates the matching encoder features (skip connections keep the outlines)."""

    def __init__(self, config: FusionRSTranslatorConfig):
        super().__init__(config)
        widths = [config.base_channels * min(2**i, 8) for i in range(config.depth + 1)]
        self.encoder = nn.ModuleList()
        in_channels = config.in_channels
        for width in widths[:-1]:
            self.encoder.append(FusionRSTranslatorConvBlock(in_channels, width, config.norm_groups))
            in_channels = width
        self.bottleneck = FusionRSTranslatorConvBlock(widths[-2], widths[-1], config.norm_groups)
        self.global_context = FusionRSTranslatorGlobalContext(widths[-1]) if config.global_context else nn.Identity()
        self.upsample = nn.ModuleList()
        self.decoder = nn.ModuleList()
        for deeper, width in zip(widths[:0:-1], widths[-2::-1]):
            self.upsample.append(nn.ConvTranspose2d(deeper, width, 2, stride=2))
            self.decoder.append(FusionRSTranslatorConvBlock(2 * width, width, config.norm_groups))
        self.head = nn.Conv2d(widths[0], config.out_channels, 1)
        self.post_init()

    def forward(self, pixel_values: torch.Tensor, labels: torch.Tensor | None = None,
                return_dict: bool | None = None, **kwargs) -> FusionRSTranslatorOutput:
        """pixel_values: (batch, 3, H, W) normalised RGB with H and W multiples of 2**depth (the processor pads);
        labels: (batch, 1, H, W) infrared targets in [0, 1]."""
        multiple = 2**self.config.depth
        if pixel_values.shape[-2] % multiple or pixel_values.shape[-1] % multiple:
            raise ValueError(f"height and width must be multiples of {multiple}, got {tuple(pixel_values.shape[-2:])};"
                             " use FusionRSTranslatorImageProcessor, which pads")
        skips = []
        hidden = pixel_values
        for block in self.encoder:
            hidden = block(hidden)
            skips.append(hidden)
            hidden = F.avg_pool2d(hidden, 2)
        hidden = self.global_context(self.bottleneck(hidden))
        for upsample, block, skip in zip(self.upsample, self.decoder, reversed(skips)):
            hidden = block(torch.cat([upsample(hidden), skip], dim=1))
        ir_values = torch.sigmoid(self.head(hidden))

        loss = l1 = ssim_term = None
        if labels is not None:
            l1 = F.l1_loss(ir_values, labels)
            ssim_term = 1.0 - ssim_map(ir_values, labels).mean()
            loss = self.config.l1_weight * l1 + self.config.ssim_weight * ssim_term
        return FusionRSTranslatorOutput(loss=loss, ir_values=ir_values, l1_loss=l1, ssim_loss=ssim_term)


class FusionRSPatchDiscriminator(nn.Module):
    """PatchGAN (pix2pix): scores overlapping ~34-px patches of (RGB, IR) pairs as real or translated."""

    def __init__(self, in_channels: int = 4, width: int = 32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.GroupNorm(8, 2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 4 * width, 4, stride=1, padding=1), nn.GroupNorm(8, 4 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * width, 1, 4, stride=1, padding=1),
        )

    def forward(self, rgb: torch.Tensor, ir: torch.Tensor) -> torch.Tensor:
        return self.layers(torch.cat([rgb, ir], dim=1))


__all__ = ["FusionRSTranslatorModel", "FusionRSTranslatorOutput", "FusionRSTranslatorPreTrainedModel",
           "FusionRSPatchDiscriminator", "ssim_map"]
