"""FusionRSCLIP configuration: a composite of a text and a vision sub-config, like `CLIPConfig`.

This file travels with saved checkpoints (trust_remote_code), so it only imports transformers.
"""

from __future__ import annotations

from typing import Literal

from transformers import AutoConfig
from transformers.configuration_utils import PreTrainedConfig, SubConfigSpec

LOSS_TERMS = ("rgb_text", "ir_text", "rgb_ir", "fused_text")

# The paper's ablation modes plus ours (trimodal + fused). Weights enter a weighted mean.
MODE_LOSS_WEIGHTS: dict[str, dict[str, float]] = {
    "rgb_only": {"rgb_text": 1.0, "ir_text": 0.0, "rgb_ir": 0.0, "fused_text": 0.0},
    "dual_text": {"rgb_text": 1.0, "ir_text": 1.0, "rgb_ir": 0.0, "fused_text": 0.0},
    "trimodal": {"rgb_text": 1.0, "ir_text": 1.0, "rgb_ir": 1.0, "fused_text": 0.0},
    "trimodal_fused": {"rgb_text": 1.0, "ir_text": 1.0, "rgb_ir": 1.0, "fused_text": 1.0},
}

# Sub-config kwargs per preset. `vocab_size` and the special token ids come from the tokenizer.
PRESETS: dict[str, dict] = {
    # tests: seconds on CPU
    "tiny": {
        "vision_config": {"model_type": "resnet", "embedding_size": 16, "hidden_sizes": [16, 32],
                          "depths": [1, 1], "layer_type": "basic"},
        "text_config": {"model_type": "clip_text_model", "hidden_size": 32, "intermediate_size": 64,
                        "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 96},
        "projection_dim": 32,
        "image_size": 64,
        "max_text_length": 96,
    },
    # 2 CPU cores, minutes: a small CNN learns these 1.7k images much faster than a ViT from scratch
    "small": {
        "vision_config": {"model_type": "resnet", "embedding_size": 32, "hidden_sizes": [32, 64, 128, 256],
                          "depths": [1, 1, 1, 1], "layer_type": "basic"},
        "text_config": {"model_type": "clip_text_model", "hidden_size": 128, "intermediate_size": 256,
                        "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 96},
        "projection_dim": 128,
        "image_size": 128,
        # IR-aware captions run to 60-80 tokens; truncating them cuts the IR description off
        "max_text_length": 96,
    },
    # GPUs: the paper's ViT-B/32 shapes (start from openai/clip-vit-base-patch32 with --init-from-clip)
    "base": {
        "vision_config": {"model_type": "clip_vision_model", "hidden_size": 768, "intermediate_size": 3072,
                          "num_hidden_layers": 12, "num_attention_heads": 12, "patch_size": 32, "image_size": 224},
        "text_config": {"model_type": "clip_text_model", "hidden_size": 512, "intermediate_size": 2048,
                        "num_hidden_layers": 12, "num_attention_heads": 8, "max_position_embeddings": 77},
        "projection_dim": 512,
        "image_size": 224,
        "max_text_length": 77,
    },
}


class FusionRSCLIPConfig(PreTrainedConfig):
    r"""
    Configuration of [`FusionRSCLIPModel`].

    Args:
        text_config / vision_config: any transformers config (dict with `model_type`, or config object) whose
            `AutoModel` returns a pooled output: e.g. `clip_text_model`, `siglip_text_model`, `bert`; `resnet`,
            `convnext`, `clip_vision_model`, `siglip_vision_model`.
        projection_dim: size of the shared embedding space.
        mode: `rgb_only`, `dual_text`, `trimodal` or `trimodal_fused`; sets `loss_weights` unless given.
        loss_weights: weight of each loss term (`rgb_text`, `ir_text`, `rgb_ir`, `fused_text`).
        loss_type: `infonce` (CLIP) or `siglip` (pairwise sigmoid).
        ir_text: which captions pair with the IR view: `ir_captions` (IR-aware) or `captions` (scene).
        separate_ir_tower: a second vision tower for IR instead of one shared tower + modality embedding.
        dedupe_text_negatives: in the text terms, records whose captions are identical (token for token) are
            not negatives of each other: InfoNCE leaves them out of the softmax, SigLIP labels them positive.
        separate_rgb_ir_temperature: the RGB<->IR term learns its own logit scale (the text terms share one).
        gather_across_ranks: gather features (with gradients) across torch.distributed ranks for global negatives.
        image_size / max_text_length: what the processor produces for this model.
    """

    model_type = "fusionrs_clip"
    sub_configs_defaults = {
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="clip_text_model",
                                     init_kwargs=PRESETS["tiny"]["text_config"]),
        "vision_config": SubConfigSpec(config_class=AutoConfig, model_type="resnet",
                                       init_kwargs=PRESETS["tiny"]["vision_config"]),
    }

    text_config: dict | PreTrainedConfig | None = None
    vision_config: dict | PreTrainedConfig | None = None
    projection_dim: int = 32
    mode: Literal["rgb_only", "dual_text", "trimodal", "trimodal_fused"] = "trimodal"
    loss_weights: dict | None = None
    loss_type: Literal["infonce", "siglip"] = "infonce"
    ir_text: Literal["ir_captions", "captions"] = "ir_captions"
    separate_ir_tower: bool = False
    dedupe_text_negatives: bool = False
    separate_rgb_ir_temperature: bool = False
    gather_across_ranks: bool = True
    logit_scale_init_value: float = 2.6592  # log(1/0.07), as CLIP
    logit_bias_init_value: float = -10.0  # SigLIP's start: most pairs are negatives
    initializer_range: float = 0.02
    image_size: int = 64
    max_text_length: int = 96

    def __post_init__(self, **kwargs):
        # sub-config dicts from `PRESETS` carry `model_type`; AutoConfig resolves them
        super().__post_init__(**kwargs)
        if self.mode not in MODE_LOSS_WEIGHTS:
            raise ValueError(f"mode must be one of {sorted(MODE_LOSS_WEIGHTS)}, got {self.mode!r}")
        weights = dict(MODE_LOSS_WEIGHTS[self.mode])
        if self.loss_weights:
            unknown = set(self.loss_weights) - set(LOSS_TERMS)
            if unknown:
                raise ValueError(f"unknown loss terms {sorted(unknown)}; known: {LOSS_TERMS}")
            weights.update({k: float(v) for k, v in self.loss_weights.items()})
        self.loss_weights = weights

    @classmethod
    def from_preset(cls, preset: str, **kwargs) -> "FusionRSCLIPConfig":
        """Config of a named preset (`tiny`, `small`, `base`); kwargs override top-level fields, and
        `text_config`/`vision_config` dicts given in kwargs are merged into the preset's."""
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; known: {sorted(PRESETS)}")
        values = {k: (dict(v) if isinstance(v, dict) else v) for k, v in PRESETS[preset].items()}
        for key in ("text_config", "vision_config"):
            values[key].update(kwargs.pop(key, None) or {})
        values.update(kwargs)
        return cls(**values)


__all__ = ["FusionRSCLIPConfig", "MODE_LOSS_WEIGHTS", "PRESETS", "LOSS_TERMS"]
