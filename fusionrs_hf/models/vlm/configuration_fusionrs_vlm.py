"""FusionRSVLM configuration: the LLaVA composition (vision sub-config + text sub-config + projector settings)
with two image placeholders, one for the RGB view and one for the IR view.

This file travels with saved checkpoints (trust_remote_code), so it only imports transformers.
"""

from __future__ import annotations

import math

from transformers import AutoConfig
from transformers.configuration_utils import PreTrainedConfig, SubConfigSpec

# Sub-config kwargs per preset. `vocab_size` and the special/placeholder token ids come from the tokenizer.
PRESETS: dict[str, dict] = {
    # tests: well under a second a step on CPU
    "tiny": {
        "vision_config": {"model_type": "resnet", "embedding_size": 16, "hidden_sizes": [16, 32],
                          "depths": [1, 1], "layer_type": "basic"},
        "text_config": {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                        "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 256},
        "image_size": 32,
        "num_image_tokens": 4,
    },
    # 2 CPU cores, minutes (~6M parameters). A small CNN learns these ~2k images far faster than a ViT from
    # scratch; its stride-32 4x4 map at 128 px gives the 16 tokens per view. The ResNet matches the CLIP `small`
    # preset, so `--vision-from` a trained FusionRSCLIP folder drops in.
    "small": {
        "vision_config": {"model_type": "resnet", "embedding_size": 32, "hidden_sizes": [32, 64, 128, 256],
                          "depths": [1, 1, 1, 1], "layer_type": "basic"},
        "text_config": {"model_type": "llama", "hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 4,
                        "num_attention_heads": 4, "num_key_value_heads": 4, "max_position_embeddings": 256},
        "image_size": 128,
        "num_image_tokens": 16,
    },
    # GPUs: a ConvNeXt-T-shaped encoder (8x8 map at 256 px) into a 12-layer Llama
    "base": {
        "vision_config": {"model_type": "convnext", "hidden_sizes": [96, 192, 384, 768], "depths": [3, 3, 9, 3]},
        "text_config": {"model_type": "llama", "hidden_size": 768, "intermediate_size": 2048,
                        "num_hidden_layers": 12, "num_attention_heads": 12, "num_key_value_heads": 12,
                        "max_position_embeddings": 512},
        "image_size": 256,
        "num_image_tokens": 64,
    },
}


class FusionRSVLMConfig(PreTrainedConfig):
    r"""
    Configuration of [`FusionRSVLMForConditionalGeneration`].

    Args:
        vision_config: any transformers vision config whose `AutoModel` returns a spatial `last_hidden_state`
            (`resnet`, `convnext`: (B, C, H, W); `clip_vision_model`, `siglip_vision_model`: (B, N, D)).
        text_config: any decoder-only config whose `AutoModel` takes `inputs_embeds` and a `cache` (e.g. `llama`).
        rgb_token_id / ir_token_id: ids of the RGB and IR image placeholder tokens.
        num_image_tokens: tokens per view: the encoder's feature map is average-pooled to a
            sqrt(n) x sqrt(n) grid, so it must be a square.
        projector_hidden_act / multimodal_projector_bias: the two-layer MLP projector (as LLaVA).
        projector_layernorm: LayerNorm over the vision channels before the projector (for CNN encoders).
        image_size: what the processor produces for this model.
    """

    model_type = "fusionrs_vlm"
    sub_configs_defaults = {
        "vision_config": SubConfigSpec(config_class=AutoConfig, model_type="resnet",
                                       init_kwargs=PRESETS["tiny"]["vision_config"]),
        "text_config": SubConfigSpec(config_class=AutoConfig, model_type="llama",
                                     init_kwargs=PRESETS["tiny"]["text_config"]),
    }

    vision_config: dict | PreTrainedConfig | None = None
    text_config: dict | PreTrainedConfig | None = None
    rgb_token_id: int = 4
    ir_token_id: int = 5
    num_image_tokens: int = 4
    projector_hidden_act: str = "gelu"
    multimodal_projector_bias: bool = True
    projector_layernorm: bool = True
    image_size: int = 32
    initializer_range: float = 0.02
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs):
        super().__post_init__(**kwargs)
        side = math.isqrt(self.num_image_tokens)
        if side * side != self.num_image_tokens:
            raise ValueError(f"num_image_tokens must be a square (pooled to a grid), got {self.num_image_tokens}")
        if self.rgb_token_id == self.ir_token_id:
            raise ValueError("the RGB and IR placeholders need different token ids")

    @property
    def image_grid(self) -> int:
        return math.isqrt(self.num_image_tokens)

    @classmethod
    def from_preset(cls, preset: str, **kwargs) -> "FusionRSVLMConfig":
        """Config of a named preset (`tiny`, `small`, `base`); kwargs override top-level fields, and
        `text_config`/`vision_config` dicts given in kwargs are merged into the preset's."""
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; known: {sorted(PRESETS)}")
        values = {k: (dict(v) if isinstance(v, dict) else v) for k, v in PRESETS[preset].items()}
        for key in ("text_config", "vision_config"):
            extra = kwargs.pop(key, None)
            if isinstance(extra, PreTrainedConfig):
                values[key] = extra
            else:
                values[key].update(extra or {})
        values.update(kwargs)
        return cls(**values)


__all__ = ["FusionRSVLMConfig", "PRESETS"]
