"""Tiny FusionRSCLIP models and inputs shared by the tests/test_clip_*.py files."""

from __future__ import annotations

import functools

import torch

from fusionrs_hf.models import FusionRSCLIPConfig, FusionRSCLIPModel

VOCAB = 64


def tiny_config(**kwargs) -> FusionRSCLIPConfig:
    """The `tiny` preset (ResNet 16/32, text hidden 32, 2 layers, 64 px) with a 64-token vocabulary."""
    text = {"vocab_size": VOCAB, "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3, **kwargs.pop("text_config", {})}
    return FusionRSCLIPConfig.from_preset("tiny", text_config=text, **kwargs)


def tiny_model(seed: int = 0, **kwargs) -> FusionRSCLIPModel:
    torch.manual_seed(seed)
    return FusionRSCLIPModel(tiny_config(**kwargs))


def tiny_inputs(batch: int = 4, seq: int = 7, size: int = 64, seed: int = 0) -> dict:
    """Random but well-formed inputs: bos ... eos, then padding; scene and IR captions of one length."""
    g = torch.Generator().manual_seed(seed)

    def captions():
        ids = torch.randint(4, VOCAB, (batch, seq), generator=g)
        lengths = torch.randint(3, seq + 1, (batch,), generator=g)
        mask = torch.arange(seq)[None, :] < lengths[:, None]
        ids[:, 0] = 2
        ids[torch.arange(batch), lengths - 1] = 3
        return ids.masked_fill(~mask, 0), mask.long()

    input_ids, attention_mask = captions()
    ir_input_ids, ir_attention_mask = captions()
    return {"input_ids": input_ids, "attention_mask": attention_mask, "ir_input_ids": ir_input_ids,
            "ir_attention_mask": ir_attention_mask, "pixel_values": torch.randn(batch, 3, size, size, generator=g),
            "ir_pixel_values": torch.randn(batch, 1, size, size, generator=g).expand(batch, 3, size, size).clone()}


@functools.lru_cache(maxsize=1)
def caption_tokenizer_dir(tmp_root: str) -> str:
    """A small BPE tokenizer trained on real RS captions, saved once per session under `tmp_root`."""
    from pathlib import Path

    from fusionrs_hf.tokenization import caption_text_files, train_caption_tokenizer

    from conftest import data_root_path

    texts = caption_text_files(data_root_path() / "text")[:5000]
    tokenizer = train_caption_tokenizer(texts, vocab_size=VOCAB * 8, model_max_length=64)
    out = Path(tmp_root) / "tokenizer"
    tokenizer.save_pretrained(out)
    return str(out)
