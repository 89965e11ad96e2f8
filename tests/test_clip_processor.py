"""FusionRSProcessor and the caption BPE tokenizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from clip_helpers import caption_tokenizer_dir
from PIL import Image
from transformers import AutoProcessor, AutoTokenizer

from fusionrs_hf.models import FusionRSProcessor
from fusionrs_hf.training.clip import make_image_processor, new_model_and_processor


@pytest.fixture(scope="module")
def processor(tmp_path_factory):
    tokenizer = AutoTokenizer.from_pretrained(caption_tokenizer_dir(str(tmp_path_factory.mktemp("tok"))))
    return FusionRSProcessor(image_processor=make_image_processor(64), tokenizer=tokenizer)


def _rgb(seed=0, size=96):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8))


def test_tokenizer_frames_captions_and_keeps_eos_off_id_2(processor):
    tok = processor.tokenizer
    assert tok.eos_token_id not in (None, 2) and tok.pad_token_id == 0  # CLIP text pools at eos (id 2 is legacy)
    ids = tok("Many buildings are around the square .")["input_ids"]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert tok.decode(ids, skip_special_tokens=True).strip() == "many buildings are around the square ."


def test_rgb_ir_and_text_inputs(processor):
    ir = Image.fromarray(np.random.default_rng(1).integers(0, 255, (96, 96), dtype=np.uint8), mode="L")
    batch = processor(text=["a runway", "many green trees are in the forest ."], rgb_images=[_rgb(), _rgb(2)],
                      ir_images=[ir, np.asarray(ir)], ir_text=["bright runway", "dark trees"])
    assert batch["pixel_values"].shape == batch["ir_pixel_values"].shape == (2, 3, 64, 64)
    # single-channel IR becomes three identical channels, from PIL and from arrays alike
    std = torch.tensor(processor.image_processor.image_std)[:, None, None]
    mean = torch.tensor(processor.image_processor.image_mean)[:, None, None]
    ir_px = batch["ir_pixel_values"] * std + mean  # undo the per-channel normalisation
    torch.testing.assert_close(ir_px[:, 0], ir_px[:, 1])
    torch.testing.assert_close(ir_px[:, 0], ir_px[:, 2])
    torch.testing.assert_close(ir_px[0], ir_px[1])
    # scene and IR captions share one padded length so the model can encode them in one call
    assert batch["input_ids"].shape == batch["ir_input_ids"].shape
    assert batch["attention_mask"][0].sum() < batch["attention_mask"][1].sum()


def test_images_alias_and_errors(processor):
    a = processor(images=[_rgb()])["pixel_values"]
    torch.testing.assert_close(a, processor(rgb_images=[_rgb()])["pixel_values"])
    with pytest.raises(ValueError):
        processor(images=[_rgb()], rgb_images=[_rgb()])
    with pytest.raises(ValueError):
        processor()


def test_processor_saves_and_loads_with_auto_processor(processor, tmp_path):
    model, _ = new_model_and_processor("tiny", processor.tokenizer)
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    loaded = AutoProcessor.from_pretrained(tmp_path)
    assert type(loaded) is FusionRSProcessor
    inputs = dict(text=["a runway"], rgb_images=[_rgb()], ir_images=[_rgb(3).convert("L")])
    for key, value in processor(**inputs).items():
        torch.testing.assert_close(value, loaded(**inputs)[key])
