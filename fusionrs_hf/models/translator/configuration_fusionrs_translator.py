"""FusionRSTranslator configuration: a U-Net RGB -> infrared generator (pix2pix family).

This file travels with saved checkpoints (trust_remote_code), so it only imports transformers.
"""

from __future__ import annotations

from transformers.configuration_utils import PreTrainedConfig

PRESETS: dict[str, dict] = {
    # tests: seconds on CPU
    "tiny": {"base_channels": 8, "depth": 2, "working_size": 64},
    # 2 CPU cores, minutes
    "small": {"base_channels": 16, "depth": 4, "working_size": 160},
    # GPUs
    "base": {"base_channels": 64, "depth": 5, "working_size": 512},
}


class FusionRSTranslatorConfig(PreTrainedConfig):
    r"""
    Configuration of [`FusionRSTranslatorModel`].

    Args:
        in_channels: input channels (3: RGB).
        out_channels: output channels (1: the infrared view).
        base_channels: channels of the first encoder stage; each deeper stage doubles them (capped at 8x).
        depth: number of 2x downsamplings; the input is padded to a multiple of `2**depth`.
        global_context: add a pooled whole-image feature at the bottleneck. Thermal cameras set their gain
            per frame, so the brightness of every pixel depends on the whole scene, which a U-Net's
            receptive field alone does not cover at full resolution.
        working_size: the longer image side the processor resizes to before the network (the output is
            resized back to the input's size); thermal imagery carries little detail above it.
        norm_groups: groups of the GroupNorm layers (per-sample statistics: batch-size independent).
        l1_weight / ssim_weight / adversarial_weight: training loss weights; a positive adversarial weight
            trains a PatchGAN discriminator beside the generator.
    """

    model_type = "fusionrs_translator"

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        base_channels: int = 24,
        depth: int = 4,
        global_context: bool = True,
        working_size: int = 256,
        norm_groups: int = 8,
        l1_weight: float = 1.0,
        ssim_weight: float = 1.0,
        adversarial_weight: float = 0.0,
        **kwargs,
    ):
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.base_channels = base_channels
        self.depth = depth
        self.global_context = global_context
        self.working_size = working_size
        self.norm_groups = norm_groups
        self.l1_weight = l1_weight
        self.ssim_weight = ssim_weight
        self.adversarial_weight = adversarial_weight
        super().__init__(**kwargs)

    @classmethod
    def from_preset(cls, preset: str, **overrides) -> "FusionRSTranslatorConfig":
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
        return cls(**{**PRESETS[preset], **overrides})


__all__ = ["FusionRSTranslatorConfig", "PRESETS"]
