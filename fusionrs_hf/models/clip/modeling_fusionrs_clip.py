"""FusionRSCLIP: one contrastive space for RGB images, infrared(-style) images and text.

Towers are transformers' own models built from the sub-configs with `AutoModel.from_config`, so a small
ResNet for from-scratch CPU training and a CLIP/SigLIP ViT for the Hub path are only configs.
This file travels with saved checkpoints (trust_remote_code): relative imports only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from .configuration_fusionrs_clip import LOSS_TERMS, FusionRSCLIPConfig

RGB, IR = 0, 1  # rows of the modality embedding


# ---------------------------------------------------------------------------------------------------------------
# losses: plain functions, as in transformers' CLIP and open_clip
# ---------------------------------------------------------------------------------------------------------------


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward sends each rank the summed gradient of its own slice (open_clip's
    gather_with_grad). Written with all_reduce so it works on gloo as well as NCCL."""

    @staticmethod
    def forward(ctx, tensor):
        ctx.rank, ctx.world = dist.get_rank(), dist.get_world_size()
        parts = [torch.empty_like(tensor) for _ in range(ctx.world)]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad.chunk(ctx.world, dim=0)[ctx.rank]


def distributed_world() -> tuple[int, int]:
    """(rank, world size); (0, 1) outside torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_with_grad(features: torch.Tensor) -> torch.Tensor:
    """Features of all ranks, concatenated in rank order, differentiable w.r.t. the local slice.
    Every rank must pass the same batch size (drop the last uneven batch)."""
    if distributed_world()[1] == 1:
        return features
    return _GatherWithGrad.apply(features)


def contrastive_loss(logits: torch.Tensor, offset: int = 0, positives: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of local rows against global columns: row i's positive is column offset + i. A boolean
    `positives` mask (local rows x global columns) marks further columns that are not negatives of row i:
    they are left out of its softmax.

    (Why not a multi-positive target instead: when the extra positives are identical captions, their
    embeddings are identical, and a uniform target over them has exactly plain InfoNCE's loss and
    gradients. Leaving them out of the softmax is what stops pushing an image away from its own text.)"""
    rows = torch.arange(logits.shape[0], device=logits.device)
    labels = rows + offset
    if positives is not None:
        others = positives.clone()
        others[rows, labels] = False
        logits = logits.masked_fill(others, float("-inf"))
    return F.cross_entropy(logits, labels)


def infonce_loss(a, b, a_all, b_all, logit_scale, offset: int = 0,
                 positives: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE (CLIP) of normalised local embeddings a, b against the gathered a_all, b_all.
    `positives` (local rows x global columns; row i and column j pair up in both directions) takes pairs
    other than the diagonal out of the negatives. The mean of this over ranks equals the loss of one
    process on the combined batch."""
    return (contrastive_loss(logit_scale * a @ b_all.t(), offset, positives)
            + contrastive_loss(logit_scale * b @ a_all.t(), offset, positives)) / 2


def siglip_loss(a, b, a_all, b_all, logit_scale, logit_bias, offset: int = 0,
                positives: torch.Tensor | None = None) -> torch.Tensor:
    """SigLIP pairwise sigmoid loss; each (i, j) pair is counted once, on the rank that holds row i.
    `positives` (local rows x global columns) marks extra positive pairs, as in `infonce_loss`."""
    del a_all  # the sigmoid loss is symmetric in its pairs: local rows x global columns cover them all
    logits = logit_scale * a @ b_all.t() + logit_bias
    if positives is None:
        labels = -torch.ones_like(logits)
        rows = torch.arange(logits.shape[0], device=logits.device)
        labels[rows, rows + offset] = 1.0
    else:
        labels = positives.to(logits.dtype) * 2 - 1
    return -F.logsigmoid(labels * logits).sum() / logits.shape[0]


def text_keys(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
    """(batch, length) token ids with padding set to -1: two rows are equal exactly when the captions are."""
    if attention_mask is None:
        return input_ids
    return input_ids.masked_fill(attention_mask == 0, -1)


def gather_keys(keys: torch.Tensor) -> torch.Tensor:
    """Text keys of all ranks in rank order (no gradient); each rank pads its own to the longest with -1."""
    if distributed_world()[1] == 1:
        return keys
    length = torch.tensor([keys.shape[1]], device=keys.device)
    dist.all_reduce(length, op=dist.ReduceOp.MAX)
    keys = F.pad(keys, (0, int(length.item()) - keys.shape[1]), value=-1).contiguous()
    parts = [torch.empty_like(keys) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, keys)
    return torch.cat(parts)


def same_text_positives(keys: torch.Tensor, keys_all: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """(local, global) mask of pairs whose captions are identical token for token; the diagonal (each record
    with its own caption) is always set. Keys of unequal lengths are compared with -1 padding."""
    width = max(keys.shape[1], keys_all.shape[1])
    keys = F.pad(keys, (0, width - keys.shape[1]), value=-1)
    keys_all = F.pad(keys_all, (0, width - keys_all.shape[1]), value=-1)
    positives = (keys[:, None, :] == keys_all[None, :, :]).all(dim=-1)
    rows = torch.arange(keys.shape[0], device=keys.device)
    positives[rows, rows + offset] = True
    return positives


# ---------------------------------------------------------------------------------------------------------------
# outputs and modules
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class FusionRSCLIPOutput(ModelOutput):
    """Loss (weighted mean of the active terms), each term, the logits of every pair present, and the
    normalised embeddings. Logits are local rows x local columns (scaled, as CLIP's)."""

    loss: torch.FloatTensor | None = None
    loss_rgb_text: torch.FloatTensor | None = None
    loss_ir_text: torch.FloatTensor | None = None
    loss_rgb_ir: torch.FloatTensor | None = None
    loss_fused_text: torch.FloatTensor | None = None
    logits_per_rgb_text: torch.FloatTensor | None = None
    logits_per_text_rgb: torch.FloatTensor | None = None
    logits_per_ir_text: torch.FloatTensor | None = None
    logits_per_text_ir: torch.FloatTensor | None = None
    logits_per_rgb_ir: torch.FloatTensor | None = None
    logits_per_ir_rgb: torch.FloatTensor | None = None
    logits_per_fused_text: torch.FloatTensor | None = None
    logits_per_text_fused: torch.FloatTensor | None = None
    text_embeds: torch.FloatTensor | None = None
    ir_text_embeds: torch.FloatTensor | None = None
    rgb_embeds: torch.FloatTensor | None = None
    ir_embeds: torch.FloatTensor | None = None
    fused_embeds: torch.FloatTensor | None = None


class FusionRSFusionHead(nn.Module):
    """RGB+IR joint embedding: the mean of the two projections plus a learned correction of their
    concatenation. The correction starts at zero, so an untrained head is the plain mean."""

    def __init__(self, dim: int):
        super().__init__()
        self.fc1 = nn.Linear(2 * dim, 2 * dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(2 * dim, dim)

    def forward(self, rgb: torch.Tensor, ir: torch.Tensor) -> torch.Tensor:
        return (rgb + ir) / 2 + self.fc2(self.act(self.fc1(torch.cat([rgb, ir], dim=-1))))


CONVOLUTIONAL_TOWERS = ("resnet", "convnext", "convnextv2", "regnet")


def pooled_dim(config) -> int:
    """Width of a backbone's pooled output (ViTs/text: hidden_size; ResNet/ConvNeXt: last stage)."""
    sizes = getattr(config, "hidden_sizes", None)
    return sizes[-1] if sizes else config.hidden_size


def pool(outputs) -> torch.Tensor:
    """(batch, width) from a backbone output: its pooler output, else the mean of its last hidden state."""
    pooled = getattr(outputs, "pooler_output", None)
    if pooled is None:
        pooled = outputs.last_hidden_state.mean(dim=1)
    return pooled.flatten(1)


class FusionRSCLIPPreTrainedModel(PreTrainedModel):
    config_class = FusionRSCLIPConfig
    base_model_prefix = "fusionrs_clip"
    main_input_name = "pixel_values"
    input_modalities = ("image", "text")
    _supports_sdpa = True

    def _init_weights(self, module):
        # the towers are PreTrainedModels and initialise themselves (transformers dispatches to them)
        std = self.config.initializer_range
        if isinstance(module, FusionRSCLIPModel):
            nn.init.constant_(module.logit_scale, self.config.logit_scale_init_value)
            if module.rgb_ir_logit_scale is not None:
                nn.init.constant_(module.rgb_ir_logit_scale, self.config.logit_scale_init_value)
            if module.logit_bias is not None:
                nn.init.constant_(module.logit_bias, self.config.logit_bias_init_value)
            if module.modality_embedding is not None:
                # zero: the IR view starts where the RGB view is (matters when starting from CLIP weights)
                nn.init.zeros_(module.modality_embedding.weight)
        elif isinstance(module, FusionRSFusionHead):
            nn.init.normal_(module.fc1.weight, std=std)
            nn.init.zeros_(module.fc1.bias)
            nn.init.zeros_(module.fc2.weight)
            nn.init.zeros_(module.fc2.bias)
        elif isinstance(module, nn.Linear):  # the projections
            nn.init.normal_(module.weight, std=module.in_features ** -0.5)


class FusionRSCLIPModel(FusionRSCLIPPreTrainedModel):
    """RGB, IR and text towers with normalised projections into one space and a learned temperature."""

    def __init__(self, config: FusionRSCLIPConfig):
        super().__init__(config)
        self.text_model = AutoModel.from_config(config.text_config)
        self.vision_model = AutoModel.from_config(config.vision_config)
        # convolutional towers run on channels-last images: oneDNN's (and cuDNN's) fast layout for convolutions;
        # a small-preset training step is 1.32x faster on 2 CPU cores (benchmarks/bench_channels_last.py)
        self.vision_channels_last = config.vision_config.model_type in CONVOLUTIONAL_TOWERS
        vision_dim, text_dim = pooled_dim(config.vision_config), pooled_dim(config.text_config)
        self.visual_projection = nn.Linear(vision_dim, config.projection_dim, bias=False)
        self.text_projection = nn.Linear(text_dim, config.projection_dim, bias=False)
        if config.separate_ir_tower:
            self.ir_vision_model = AutoModel.from_config(config.vision_config)
            self.ir_projection = nn.Linear(vision_dim, config.projection_dim, bias=False)
            self.modality_embedding = None
        else:
            # one shared tower; a learned vector per modality added to the pooled features tells RGB from IR
            # for any backbone (ViT or CNN) without reaching into its embeddings
            self.ir_vision_model = self.ir_projection = None
            self.modality_embedding = nn.Embedding(2, vision_dim)
        self.fusion = FusionRSFusionHead(config.projection_dim)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init_value))
        # RGB<->IR is instance matching with no repeated texts: it may want a sharper softmax than the text terms
        self.rgb_ir_logit_scale = (nn.Parameter(torch.tensor(config.logit_scale_init_value))
                                   if config.separate_rgb_ir_temperature else None)
        self.logit_bias = nn.Parameter(torch.tensor(config.logit_bias_init_value)) if config.loss_type == "siglip" else None
        self.post_init()

    # ----- features -----------------------------------------------------------------------------------------

    def _encode_text(self, input_ids, attention_mask=None) -> torch.Tensor:
        pooled = pool(self.text_model(input_ids=input_ids, attention_mask=attention_mask))
        return self.text_projection(pooled)

    def _pooled_vision(self, tower: nn.Module, pixel_values: torch.Tensor) -> torch.Tensor:
        if self.vision_channels_last:
            pixel_values = pixel_values.contiguous(memory_format=torch.channels_last)
        return pool(tower(pixel_values=pixel_values))

    def _encode_images(self, rgb_pixel_values=None, ir_pixel_values=None):
        """Unnormalised (rgb, ir) projections; a shared tower sees both views in one batch, which halves
        the calls and gives BatchNorm (ResNet) one set of statistics for both modalities."""
        rgb = ir = None
        if self.ir_vision_model is not None:
            if rgb_pixel_values is not None:
                rgb = self.visual_projection(self._pooled_vision(self.vision_model, rgb_pixel_values))
            if ir_pixel_values is not None:
                ir = self.ir_projection(self._pooled_vision(self.ir_vision_model, ir_pixel_values))
            return rgb, ir
        views = [v for v in (rgb_pixel_values, ir_pixel_values) if v is not None]
        if not views:
            return None, None
        pooled = self._pooled_vision(self.vision_model, torch.cat(views) if len(views) > 1 else views[0])
        parts = list(pooled.split([v.shape[0] for v in views]))
        if rgb_pixel_values is not None:
            rgb = self.visual_projection(parts.pop(0) + self.modality_embedding.weight[RGB])
        if ir_pixel_values is not None:
            ir = self.visual_projection(parts.pop(0) + self.modality_embedding.weight[IR])
        return rgb, ir

    def get_text_features(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """L2-normalised text embeddings (batch, projection_dim)."""
        return F.normalize(self._encode_text(input_ids, attention_mask), dim=-1)

    def get_image_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """L2-normalised RGB image embeddings."""
        return F.normalize(self._encode_images(rgb_pixel_values=pixel_values)[0], dim=-1)

    def get_ir_features(self, ir_pixel_values: torch.Tensor) -> torch.Tensor:
        """L2-normalised IR image embeddings (IR given as 3 identical channels, as the processor makes it)."""
        return F.normalize(self._encode_images(ir_pixel_values=ir_pixel_values)[1], dim=-1)

    def get_fused_features(self, pixel_values: torch.Tensor, ir_pixel_values: torch.Tensor) -> torch.Tensor:
        """L2-normalised joint embedding of an aligned RGB + IR pair."""
        rgb, ir = self._encode_images(pixel_values, ir_pixel_values)
        return F.normalize(self.fusion(rgb, ir), dim=-1)

    def temperature_scale(self, term: str | None = None) -> torch.Tensor:
        """The learned logit scale (1 / temperature) of a loss term; one shared by all terms unless
        `config.separate_rgb_ir_temperature` gives `rgb_ir` its own."""
        log_scale = self.logit_scale
        if term == "rgb_ir" and self.rgb_ir_logit_scale is not None:
            log_scale = self.rgb_ir_logit_scale
        # CLIP caps the learned scale at 100 so the logits cannot run away
        return log_scale.clamp(max=math.log(100.0)).exp()

    # ----- forward --------------------------------------------------------------------------------------------

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        pixel_values: torch.FloatTensor | None = None,
        ir_pixel_values: torch.FloatTensor | None = None,
        ir_input_ids: torch.LongTensor | None = None,
        ir_attention_mask: torch.Tensor | None = None,
        return_loss: bool | None = None,
    ) -> FusionRSCLIPOutput:
        r"""
        input_ids / attention_mask: scene captions (pair with RGB and fused embeddings).
        pixel_values / ir_pixel_values: the RGB and the IR view of the same scenes, row-aligned.
        ir_input_ids / ir_attention_mask: captions paired with the IR view (IR-aware or scene, by
            `config.ir_text`); when absent the IR view pairs with `input_ids`.
        return_loss: compute the weighted loss over the terms whose inputs are present.
        """
        weights = self.config.loss_weights
        text = ir_text = None
        if input_ids is not None and ir_input_ids is not None and input_ids.shape == ir_input_ids.shape:
            # one text-tower call for both caption sets
            both = self._encode_text(torch.cat([input_ids, ir_input_ids]),
                                     None if attention_mask is None else torch.cat([attention_mask, ir_attention_mask]))
            text, ir_text = both.split(input_ids.shape[0])
        else:
            if input_ids is not None:
                text = self._encode_text(input_ids, attention_mask)
            if ir_input_ids is not None:
                ir_text = self._encode_text(ir_input_ids, ir_attention_mask)
        rgb, ir = self._encode_images(pixel_values, ir_pixel_values)
        fused = self.fusion(rgb, ir) if rgb is not None and ir is not None and weights["fused_text"] > 0 else None

        text, ir_text, rgb, ir, fused = (None if t is None else F.normalize(t, dim=-1)
                                         for t in (text, ir_text, rgb, ir, fused))
        if ir_text is None:
            ir_text = text
        pairs = {"rgb_text": (rgb, text), "ir_text": (ir, ir_text), "rgb_ir": (rgb, ir), "fused_text": (fused, text)}
        out = FusionRSCLIPOutput(text_embeds=text, ir_text_embeds=ir_text, rgb_embeds=rgb, ir_embeds=ir,
                                 fused_embeds=fused)
        for name, (a, b) in pairs.items():
            if a is not None and b is not None:
                first, second = name.split("_")
                logits = self.temperature_scale(name) * a @ b.t()
                out[f"logits_per_{first}_{second}"] = logits
                out[f"logits_per_{second}_{first}"] = logits.t()

        if return_loss:
            keys = None
            if self.config.dedupe_text_negatives:
                scene = None if input_ids is None else text_keys(input_ids, attention_mask)
                ir_keys = scene if ir_input_ids is None else text_keys(ir_input_ids, ir_attention_mask)
                keys = {"rgb_text": scene, "fused_text": scene, "ir_text": ir_keys}
            losses = dict(zip(LOSS_TERMS, self.compute_losses(pairs, keys)))
            terms = [(weights[n], term) for n, term in losses.items() if term is not None]
            if not terms:
                raise ValueError(f"no loss term has both inputs for mode {self.config.mode!r}")
            # ModelOutput only exposes keys set through item assignment once created
            out["loss"] = sum(w * term for w, term in terms) / sum(w for w, _ in terms)
            for name, term in losses.items():
                if term is not None:
                    out[f"loss_{name}"] = term
        return out

    def compute_losses(self, pairs: dict, keys: dict | None = None) -> tuple:
        """Each loss term (None where its inputs are absent), with negatives gathered across ranks.
        `keys` maps a text term to the `text_keys` of its captions: records whose captions are identical
        are then not negatives of each other in that term (UCM-style caption sets repeat captions across
        images, and no model can tell identical texts apart)."""
        rank, world = distributed_world() if self.config.gather_across_ranks else (0, 1)
        cache: dict[int, torch.Tensor] = {}
        key_cache: dict[int, torch.Tensor] = {}

        def gathered(t):  # the text embeddings serve two terms: gather them once
            if world == 1:
                return t
            if id(t) not in cache:
                cache[id(t)] = gather_with_grad(t)
            return cache[id(t)]

        losses = []
        for name in LOSS_TERMS:
            scale = self.temperature_scale(name)
            a, b = pairs[name]
            if a is None or b is None or self.config.loss_weights[name] <= 0:
                losses.append(None)
                continue
            offset = rank * a.shape[0]
            positives = None
            if keys is not None and keys.get(name) is not None:
                k = keys[name]
                if id(k) not in key_cache:
                    key_cache[id(k)] = same_text_positives(k, gather_keys(k) if world > 1 else k, offset)
                positives = key_cache[id(k)]
            if self.config.loss_type == "siglip":
                losses.append(siglip_loss(a, b, gathered(a), gathered(b), scale, self.logit_bias, offset, positives))
            else:
                losses.append(infonce_loss(a, b, gathered(a), gathered(b), scale, offset, positives))
        return tuple(losses)

    # ----- init from a transformers CLIPModel ----------------------------------------------------------------

    @classmethod
    def from_clip(cls, clip_name_or_path, **config_kwargs) -> "FusionRSCLIPModel":
        """Start from any transformers `CLIPModel` checkpoint (folder or Hub id): its text and vision
        towers, projections and temperature; an IR tower (or the shared tower's IR path) starts from
        the RGB weights."""
        from transformers import CLIPModel

        clip = CLIPModel.from_pretrained(clip_name_or_path)
        config = FusionRSCLIPConfig(
            text_config=clip.config.text_config.to_dict(), vision_config=clip.config.vision_config.to_dict(),
            projection_dim=clip.config.projection_dim,
            image_size=clip.config.vision_config.image_size,
            max_text_length=clip.config.text_config.max_position_embeddings, **config_kwargs)
        model = cls(config)
        # CLIPModel's towers are the CLIPTextModel / CLIPVisionModel that AutoModel builds from the sub-configs
        model.text_model.load_state_dict(clip.text_model.state_dict())
        model.vision_model.load_state_dict(clip.vision_model.state_dict())
        model.text_projection.load_state_dict(clip.text_projection.state_dict())
        model.visual_projection.load_state_dict(clip.visual_projection.state_dict())
        if model.ir_vision_model is not None:
            model.ir_vision_model.load_state_dict(clip.vision_model.state_dict())
            model.ir_projection.load_state_dict(clip.visual_projection.state_dict())
        with torch.no_grad():
            model.logit_scale.fill_(clip.logit_scale.item())
        return model


__all__ = ["FusionRSCLIPModel", "FusionRSCLIPPreTrainedModel", "FusionRSCLIPOutput", "infonce_loss", "siglip_loss",
           "contrastive_loss", "gather_with_grad", "text_keys", "same_text_positives"]
