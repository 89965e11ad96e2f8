"""FusionRSVLMProcessor: chat template, placeholder expansion per view, count checks, padding, decoding."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from vlm_helpers import tiny_processor

from fusionrs_hf.models import FusionRSVLMProcessor


@pytest.fixture(scope="module")
def images(data_root):
    rgb = [Image.open(data_root / "ucm_captions" / "images" / f"{n}.jpg").convert("RGB") for n in (1, 101, 201)]
    return rgb, [im.convert("L") for im in rgb]


def prompt(processor, views, text="Describe the scene."):
    content = [{"type": "image", "view": v} for v in views] + [{"type": "text", "text": text}]
    return processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True,
                                         tokenize=False)


def test_chat_template_writes_one_placeholder_per_view():
    processor = tiny_processor()
    text = prompt(processor, ("rgb", "ir"))
    assert text == "<|startoftext|><|user|><rgb><ir>Describe the scene.<|assistant|>"
    assert prompt(processor, ("ir",)).count("<ir>") == 1 and "<rgb>" not in prompt(processor, ("ir",))
    turn = processor.apply_chat_template([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a farm ."}],
                                         tokenize=False)
    assert turn.endswith("<|assistant|>a farm .<|endoftext|>")


def test_placeholders_expand_to_image_tokens_of_their_view(images):
    processor = tiny_processor(num_image_tokens=4)
    rgb, ir = images
    texts = [prompt(processor, ("rgb", "ir")), prompt(processor, ("ir",)), prompt(processor, ("rgb",))]
    batch = processor(text=texts, rgb_images=rgb[:2], ir_images=ir[:2], padding_side="left")
    ids = batch["input_ids"]
    assert (ids == processor.rgb_token_id).sum(1).tolist() == [4, 0, 4]
    assert (ids == processor.ir_token_id).sum(1).tolist() == [4, 4, 0]
    assert batch["pixel_values"].shape == (2, 3, 32, 32) and batch["ir_pixel_values"].shape == (2, 3, 32, 32)
    # IR views become three identical channels; left padding puts every prompt's end at the last column
    mean = torch.tensor(processor.image_processor.image_mean)[None, :, None, None]
    std = torch.tensor(processor.image_processor.image_std)[None, :, None, None]
    ir_pixels = batch["ir_pixel_values"] * std + mean
    assert torch.allclose(ir_pixels[:, 0], ir_pixels[:, 2], atol=1e-5)
    assert batch["attention_mask"][:, -1].all() and not batch["attention_mask"][:, 0].all()
    assert (ids[:, -1] == processor.tokenizer.convert_tokens_to_ids("<|assistant|>")).all()
    # bos comes from the template only, once
    assert (ids == processor.tokenizer.bos_token_id).sum().item() == 3


def test_placeholder_image_count_mismatch_raises(images):
    processor = tiny_processor()
    rgb, ir = images
    with pytest.raises(ValueError, match=r"1 RGB placeholder\(s\) '<rgb>' in the text but 2 RGB image\(s\)"):
        processor(text=[prompt(processor, ("rgb",))], rgb_images=rgb[:2])
    with pytest.raises(ValueError, match=r"1 IR placeholder\(s\) '<ir>' in the text but 0 IR image\(s\)"):
        processor(text=[prompt(processor, ("rgb", "ir"))], rgb_images=rgb[:1])
    with pytest.raises(ValueError, match="not both"):
        processor(text=["<rgb>"], rgb_images=rgb[:1], images=rgb[:1])


def test_images_alias_batch_decode_and_round_trip(tmp_path, images):
    processor = tiny_processor(num_image_tokens=9)
    rgb, _ = images
    batch = processor(text=prompt(processor, ("rgb",)) + " there is a piece of farmland .", images=rgb[0])
    assert (batch["input_ids"] == processor.rgb_token_id).sum() == 9
    decoded = processor.batch_decode(batch["input_ids"], skip_special_tokens=True)[0]
    assert decoded.strip() == "describe the scene. there is a piece of farmland ."  # the tokenizer lower-cases
    processor.save_pretrained(tmp_path)
    loaded = FusionRSVLMProcessor.from_pretrained(tmp_path)
    assert loaded.num_image_tokens == 9 and loaded.chat_template == processor.chat_template
    assert torch.equal(loaded(text=["<rgb>x"], rgb_images=rgb[:1])["input_ids"],
                       processor(text=["<rgb>x"], rgb_images=rgb[:1])["input_ids"])
