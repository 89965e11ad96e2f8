"""Tiny FusionRSVLM models, tokenizer and processor shared by the tests/test_vlm_*.py files."""

from __future__ import annotations

import functools

import torch

from fusionrs_hf.models import FusionRSVLMConfig, FusionRSVLMForConditionalGeneration

VOCAB = 64
RGB_ID, IR_ID = 60, 61


def tiny_config(**kwargs) -> FusionRSVLMConfig:
    """The `tiny` preset (ResNet 16/32 at 32 px, 4 tokens per view, 2-layer Llama of width 32), 64-token vocab."""
    text = {"vocab_size": VOCAB, "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, **kwargs.pop("text_config", {})}
    return FusionRSVLMConfig.from_preset("tiny", text_config=text, rgb_token_id=RGB_ID, ir_token_id=IR_ID, **kwargs)


def tiny_model(seed: int = 0, **kwargs) -> FusionRSVLMForConditionalGeneration:
    torch.manual_seed(seed)
    model = FusionRSVLMForConditionalGeneration(tiny_config(**kwargs))
    # the modality embedding starts at zero; make the views distinguishable as a trained model's are
    torch.nn.init.normal_(model.model.modality_embedding.weight, std=1.0)
    return model.eval()


def tiny_inputs(batch: int = 2, views=("rgb", "ir"), text_len: int = 5, seed: int = 0, n_tokens: int = 4) -> dict:
    """bos, the placeholders of each view (n_tokens each), a few text tokens; random images of 32 px."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(batch):
        ids = [2]
        for view in views:
            ids += [RGB_ID if view == "rgb" else IR_ID] * n_tokens
        ids += torch.randint(4, 56, (text_len,), generator=g).tolist()
        rows.append(ids)
    inputs = {"input_ids": torch.tensor(rows), "attention_mask": torch.ones(batch, len(rows[0]), dtype=torch.long)}
    if "rgb" in views:
        inputs["pixel_values"] = torch.randn(batch, 3, 32, 32, generator=g)
    if "ir" in views:
        inputs["ir_pixel_values"] = torch.randn(batch, 1, 32, 32, generator=g).expand(batch, 3, 32, 32).clone()
    return inputs


@functools.lru_cache(maxsize=1)
def vlm_tokenizer():
    """A small BPE trained on real RS captions plus the VLM's placeholder and role tokens."""
    from fusionrs_hf.tokenization import caption_text_files, train_caption_tokenizer
    from fusionrs_hf.training.vlm import add_vlm_tokens

    from conftest import data_root_path

    texts = caption_text_files(data_root_path() / "text")[:3000]
    return add_vlm_tokens(train_caption_tokenizer(texts, vocab_size=512, model_max_length=256))


def tiny_processor(num_image_tokens: int = 4):
    from fusionrs_hf.training.vlm import make_image_processor, make_processor

    return make_processor(vlm_tokenizer(), make_image_processor(32), num_image_tokens)


def save_tiny_clip(folder, seed: int = 1):
    """A tiny "trained" FusionRSCLIP (32 px ResNet, the VLM tiny tower's shape) with its processor, saved to
    `folder` as `--vision-from` expects; returns the model."""
    from fusionrs_hf.models import FusionRSCLIPConfig, FusionRSCLIPModel, FusionRSProcessor
    from fusionrs_hf.training.common import make_image_processor

    torch.manual_seed(seed)
    clip = FusionRSCLIPModel(FusionRSCLIPConfig.from_preset("tiny", image_size=32, text_config={"vocab_size": 600}))
    torch.nn.init.normal_(clip.modality_embedding.weight)
    FusionRSProcessor(image_processor=make_image_processor(32), tokenizer=vlm_tokenizer()).save_pretrained(folder)
    clip.save_pretrained(folder)
    return clip
