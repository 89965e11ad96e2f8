"""FusionRSVLM: a LLaVA-style generative model that reads an RGB view, an infrared(-style) view, or both, in one
prompt.

`vision_tower` and `language_model` are transformers' own models built from the sub-configs with
`AutoModel.from_config`, so a small ResNet + Llama for from-scratch CPU training and a ConvNeXt/ViT + any
decoder for GPUs are only configs. Each view's feature map is pooled to a fixed grid, tagged with a learned
modality embedding, projected to the text width and scattered into that view's placeholder tokens.
This file travels with saved checkpoints (trust_remote_code): relative imports only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModel, GenerationMixin, PreTrainedModel
from transformers.activations import ACT2FN
from transformers.cache_utils import Cache
from transformers.modeling_outputs import BaseModelOutputWithPast, CausalLMOutputWithPast

from .configuration_fusionrs_vlm import FusionRSVLMConfig

RGB, IR = 0, 1  # rows of the modality embedding (same convention as FusionRSCLIP)


@dataclass
class FusionRSVLMModelOutputWithPast(BaseModelOutputWithPast):
    """Base model output plus the projected image tokens of each view (batch, num_image_tokens, hidden)."""

    rgb_image_hidden_states: torch.FloatTensor | None = None
    ir_image_hidden_states: torch.FloatTensor | None = None


@dataclass
class FusionRSVLMCausalLMOutputWithPast(CausalLMOutputWithPast):
    """Causal-LM output plus the projected image tokens of each view."""

    rgb_image_hidden_states: torch.FloatTensor | None = None
    ir_image_hidden_states: torch.FloatTensor | None = None


def vision_width(vision_config) -> int:
    """Channels of a backbone's last feature map (ResNet/ConvNeXt: last stage; ViTs: hidden_size)."""
    sizes = getattr(vision_config, "hidden_sizes", None)
    return sizes[-1] if sizes else vision_config.hidden_size


def feature_grid(last_hidden_state: torch.Tensor, grid: int) -> torch.Tensor:
    """(batch, grid*grid, channels) from a CNN map (B, C, H, W) or a ViT sequence (B, N[+1], D), average-pooled
    to grid x grid so the token count per view is fixed whatever the encoder and image size."""
    x = last_hidden_state
    if x.ndim == 3:  # ViT: drop a CLS token when the rest is a square of patches, then fold to a map
        n = x.shape[1]
        side = int(round((n - 1) ** 0.5))
        if side * side == n - 1:
            x = x[:, 1:]
        side = int(round(x.shape[1] ** 0.5))
        if side * side != x.shape[1]:
            raise ValueError(f"cannot fold {x.shape[1]} vision tokens into a square grid")
        x = x.transpose(1, 2).reshape(x.shape[0], x.shape[2], side, side)
    if x.shape[-2:] != (grid, grid):
        x = F.adaptive_avg_pool2d(x, grid)
    return x.flatten(2).transpose(1, 2)


class FusionRSVLMMultiModalProjector(nn.Module):
    """Vision width -> text width, two layers (LLaVA-1.5's projector)."""

    def __init__(self, config: FusionRSVLMConfig):
        super().__init__()
        text_width = config.text_config.hidden_size
        # CNN maps leave a ReLU: non-negative features that share a large mean across images, which the projector
        # carries into every image token and the language model learns to ignore; a LayerNorm over channels
        # centres and rescales each token first (ViTs end in one already)
        self.norm = nn.LayerNorm(vision_width(config.vision_config)) if config.projector_layernorm else nn.Identity()
        self.linear_1 = nn.Linear(vision_width(config.vision_config), text_width, bias=config.multimodal_projector_bias)
        self.act = ACT2FN[config.projector_hidden_act]
        self.linear_2 = nn.Linear(text_width, text_width, bias=config.multimodal_projector_bias)

    def forward(self, image_features: torch.Tensor) -> torch.Tensor:
        return self.linear_2(self.act(self.linear_1(self.norm(image_features))))


class FusionRSVLMPreTrainedModel(PreTrainedModel):
    config_class = FusionRSVLMConfig
    base_model_prefix = "model"
    main_input_name = "input_ids"
    input_modalities = ("image", "text")
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_attention_backend = True

    def _init_weights(self, module):
        # the vision tower and the language model are PreTrainedModels and initialise themselves
        std = self.config.initializer_range
        if isinstance(module, FusionRSVLMModel):
            # zero: both views start as the bare encoder features; training learns what tells them apart
            nn.init.zeros_(module.modality_embedding.weight)
        elif isinstance(module, nn.LayerNorm):  # the projector's input norm
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):  # projector and lm_head
            nn.init.normal_(module.weight, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


class FusionRSVLMModel(FusionRSVLMPreTrainedModel):
    """Vision tower + modality embedding + projector + language model, without the LM head."""

    def __init__(self, config: FusionRSVLMConfig):
        super().__init__(config)
        self.vision_tower = AutoModel.from_config(config.vision_config)
        # one shared tower for both views; a learned vector per view tells the language model which is which
        self.modality_embedding = nn.Embedding(2, vision_width(config.vision_config))
        self.multi_modal_projector = FusionRSVLMMultiModalProjector(config)
        self.language_model = AutoModel.from_config(config.text_config)
        self.post_init()

    def get_input_embeddings(self):
        return self.language_model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.language_model.set_input_embeddings(value)

    def get_image_features(self, pixel_values: torch.Tensor | None = None,
                           ir_pixel_values: torch.Tensor | None = None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Projected image tokens (batch, num_image_tokens, text hidden) of the RGB and the IR view, either may be
        None. Both views go through the tower in one call: half the calls, and one set of BatchNorm statistics."""
        views = [v for v in (pixel_values, ir_pixel_values) if v is not None]
        if not views:
            return None, None
        dtype = next(self.vision_tower.parameters()).dtype
        stacked = torch.cat(views) if len(views) > 1 else views[0]
        hidden = self.vision_tower(pixel_values=stacked.to(dtype)).last_hidden_state
        tokens = list(feature_grid(hidden, self.config.image_grid).split([v.shape[0] for v in views]))
        rgb = ir = None
        if pixel_values is not None:
            rgb = self.multi_modal_projector(tokens.pop(0) + self.modality_embedding.weight[RGB])
        if ir_pixel_values is not None:
            ir = self.multi_modal_projector(tokens.pop(0) + self.modality_embedding.weight[IR])
        return rgb, ir

    def get_placeholder_mask(self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor, token_id: int,
                             features: torch.Tensor | None, view: str) -> torch.Tensor:
        """Boolean mask (batch, seq, 1) of one view's placeholders; raises when their number differs from the
        number of feature vectors of that view."""
        if input_ids is None:  # embeddings given: find placeholders by their embedding
            placeholder = self.get_input_embeddings()(torch.tensor(token_id, device=inputs_embeds.device))
            mask = (inputs_embeds == placeholder).all(-1)
        else:
            mask = input_ids == token_id
        n_tokens = int(mask.sum())
        n_features = 0 if features is None else features.shape[0] * features.shape[1]
        if n_tokens != n_features:
            per_image = self.config.num_image_tokens
            raise ValueError(
                f"{view} image placeholders and features do not match: {n_tokens} placeholder tokens in the text "
                f"but {n_features} {view} feature vectors ({n_features // per_image} image(s) x {per_image} tokens). "
                f"Each {view} image needs exactly {per_image} placeholder tokens (the processor expands one "
                f"placeholder per image)."
            )
        return mask.unsqueeze(-1)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.FloatTensor | None = None,
        ir_pixel_values: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        use_cache: bool | None = None,
        **kwargs,
    ) -> FusionRSVLMModelOutputWithPast:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("give exactly one of input_ids or inputs_embeds")
        if inputs_embeds is None:
            inputs_embeds = self.get_input_embeddings()(input_ids)
        rgb, ir = self.get_image_features(pixel_values, ir_pixel_values)
        # checked even without images: placeholders with nothing to fill them are an error, not a silent no-op
        for token_id, features, view in ((self.config.rgb_token_id, rgb, "RGB"), (self.config.ir_token_id, ir, "IR")):
            mask = self.get_placeholder_mask(input_ids, inputs_embeds, token_id, features, view)
            if features is not None:
                inputs_embeds = inputs_embeds.masked_scatter(mask, features.to(inputs_embeds.dtype))
        outputs = self.language_model(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                      position_ids=position_ids, cache=cache, use_cache=use_cache, **kwargs)
        return FusionRSVLMModelOutputWithPast(
            last_hidden_state=outputs.last_hidden_state, cache=getattr(outputs, "cache", None),
            hidden_states=outputs.hidden_states, attentions=outputs.attentions,
            rgb_image_hidden_states=rgb, ir_image_hidden_states=ir)


class FusionRSVLMForConditionalGeneration(FusionRSVLMPreTrainedModel, GenerationMixin):
    """FusionRSVLMModel + LM head; `generate` with the KV cache (image inputs are used at prefill only)."""

    def __init__(self, config: FusionRSVLMConfig):
        super().__init__(config)
        self.model = FusionRSVLMModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.text_config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self):
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value):
        self.model.set_input_embeddings(value)

    def get_output_embeddings(self):
        return self.lm_head

    def set_output_embeddings(self, value):
        self.lm_head = value

    def get_image_features(self, pixel_values=None, ir_pixel_values=None):
        return self.model.get_image_features(pixel_values, ir_pixel_values)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        pixel_values: torch.FloatTensor | None = None,
        ir_pixel_values: torch.FloatTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        cache: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int | torch.Tensor = 0,
        **kwargs,
    ) -> FusionRSVLMCausalLMOutputWithPast:
        r"""
        labels: next-token targets aligned with `input_ids` (shifted inside the loss); -100 is ignored, so the
            prompt, padding and image tokens carry -100 and only the answer is learned.
        """
        outputs = self.model(input_ids=input_ids, pixel_values=pixel_values, ir_pixel_values=ir_pixel_values,
                             attention_mask=attention_mask, position_ids=position_ids, cache=cache,
                             inputs_embeds=inputs_embeds, use_cache=use_cache, **kwargs)
        hidden = outputs.last_hidden_state
        # generation only needs the last position's logits: skip the vocab projection elsewhere
        keep = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) else logits_to_keep
        logits = self.lm_head(hidden[:, keep, :])
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.text_config.vocab_size,
                                      **kwargs)
        return FusionRSVLMCausalLMOutputWithPast(
            loss=loss, logits=logits, cache=outputs.cache, hidden_states=outputs.hidden_states,
            attentions=outputs.attentions, rgb_image_hidden_states=outputs.rgb_image_hidden_states,
            ir_image_hidden_states=outputs.ir_image_hidden_states)

    def save_pretrained(self, *args, **kwargs):
        # a folder saved with its code also serves `AutoModel` (the base model, weights under the `model.` prefix)
        if self._auto_class is not None:
            auto_map = dict(getattr(self.config, "auto_map", None) or {})
            auto_map.setdefault("AutoModel", f"{Path(__file__).stem}.FusionRSVLMModel")
            self.config.auto_map = auto_map
        return super().save_pretrained(*args, **kwargs)

    def prepare_inputs_for_generation(self, *args, is_first_iteration: bool | None = False, **kwargs):
        model_inputs = super().prepare_inputs_for_generation(*args, is_first_iteration=is_first_iteration, **kwargs)
        # the IR view, like `pixel_values`, is consumed at prefill: with a cache the later steps carry no
        # placeholders (transformers drops `pixel_values` itself; it does not know our second view)
        if not is_first_iteration and kwargs.get("use_cache", True):
            model_inputs.pop("ir_pixel_values", None)
        return model_inputs


__all__ = ["FusionRSVLMForConditionalGeneration", "FusionRSVLMModel", "FusionRSVLMPreTrainedModel",
           "FusionRSVLMModelOutputWithPast", "FusionRSVLMCausalLMOutputWithPast"]
