"""FusionRSVLM: registration, placeholders, generation with the cache, save/load both ways, init from parts."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoModel, AutoModelForImageTextToText, AutoProcessor
from conftest import run_without_package
from vlm_helpers import IR_ID, RGB_ID, tiny_config, tiny_inputs, tiny_model, tiny_processor

from fusionrs_hf.models import FusionRSVLMConfig, FusionRSVLMForConditionalGeneration, FusionRSVLMModel


def test_auto_classes_resolve_our_model():
    values = {k: v for k, v in tiny_config().to_dict().items() if k not in ("model_type", "transformers_version")}
    config = AutoConfig.for_model("fusionrs_vlm", **values)
    assert isinstance(config, FusionRSVLMConfig)
    assert type(AutoModelForImageTextToText.from_config(config)) is FusionRSVLMForConditionalGeneration
    base = AutoModel.from_config(config)
    assert type(base) is FusionRSVLMModel
    # the parts are transformers' own models built from the sub-configs
    assert type(base.vision_tower).__name__ == "ResNetModel"
    assert type(base.language_model).__name__ == "LlamaModel"
    model = tiny_model()
    assert model.base_model_prefix == "model" and model.base_model is model.model
    assert model.get_output_embeddings() is model.lm_head


def test_config_validates_and_presets_resolve():
    with pytest.raises(ValueError, match="square"):
        tiny_config(num_image_tokens=6)
    with pytest.raises(ValueError, match="different token ids"):
        FusionRSVLMConfig.from_preset("tiny", rgb_token_id=7, ir_token_id=7)
    small = FusionRSVLMConfig.from_preset("small", text_config={"vocab_size": 100})
    assert small.image_grid == 4 and small.text_config.num_hidden_layers == 4 and small.text_config.vocab_size == 100
    with pytest.raises(ValueError, match="unknown preset"):
        FusionRSVLMConfig.from_preset("huge")


def test_forward_places_each_view_into_its_own_placeholders():
    model = tiny_model()
    inputs = tiny_inputs(views=("rgb", "ir"))
    out = model(**inputs)
    assert out.logits.shape == (2, inputs["input_ids"].shape[1], 64)
    assert out.rgb_image_hidden_states.shape == (2, 4, 32) and out.ir_image_hidden_states.shape == (2, 4, 32)
    # the same image fed as RGB and as IR gives different tokens (modality embedding)
    same = inputs["pixel_values"]
    rgb, ir = model.get_image_features(same, same)
    assert not torch.allclose(rgb, ir)
    # changing only the IR image changes the logits after the IR placeholders, not those before them
    changed = dict(inputs, ir_pixel_values=torch.randn_like(inputs["ir_pixel_values"]))
    out2 = model(**changed)
    first_ir = int((inputs["input_ids"][0] == IR_ID).nonzero()[0])
    assert torch.allclose(out.logits[:, :first_ir], out2.logits[:, :first_ir], atol=1e-5)
    assert not torch.allclose(out.logits[:, first_ir:], out2.logits[:, first_ir:])


def test_single_view_prompts_and_mixed_batches():
    model = tiny_model()
    assert model(**tiny_inputs(views=("ir",))).rgb_image_hidden_states is None
    assert model(**tiny_inputs(views=("rgb",))).ir_image_hidden_states is None


def test_placeholder_feature_mismatch_raises_clear_error():
    model = tiny_model()
    inputs = tiny_inputs(views=("rgb", "ir"))
    with pytest.raises(ValueError, match=r"IR image placeholders and features do not match: 8 placeholder tokens"):
        model(**{k: v for k, v in inputs.items() if k != "ir_pixel_values"})
    with pytest.raises(ValueError, match="RGB image placeholders and features do not match"):
        model(**dict(inputs, pixel_values=inputs["pixel_values"][:1]))
    short = dict(inputs, input_ids=inputs["input_ids"].clone())
    short["input_ids"][:, 1] = 10  # one RGB placeholder fewer per row
    with pytest.raises(ValueError, match="6 placeholder tokens in the text but 8 RGB feature vectors"):
        model(**short)


def test_generate_with_cache_matches_without_cache():
    model = tiny_model()
    inputs = tiny_inputs(views=("rgb", "ir"))
    kwargs = dict(max_new_tokens=6, do_sample=False, min_new_tokens=6, pad_token_id=0, eos_token_id=3)
    with_cache = model.generate(**inputs, use_cache=True, **kwargs)
    without = model.generate(**inputs, use_cache=False, **kwargs)
    assert with_cache.shape == (2, inputs["input_ids"].shape[1] + 6)
    assert torch.equal(with_cache, without)
    # beam search expands both views per beam
    beams = model.generate(**inputs, num_beams=2, **kwargs)
    assert beams.shape == with_cache.shape


def test_save_load_with_package_and_processor(tmp_path):
    model, processor = tiny_model(), tiny_processor()
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    loaded = AutoModelForImageTextToText.from_pretrained(tmp_path).eval()
    assert type(loaded) is FusionRSVLMForConditionalGeneration
    inputs = tiny_inputs()
    assert torch.allclose(model(**inputs).logits, loaded(**inputs).logits, atol=1e-6)
    proc = AutoProcessor.from_pretrained(tmp_path)
    assert type(proc).__name__ == "FusionRSVLMProcessor" and proc.num_image_tokens == 4
    assert AutoModel.from_pretrained(tmp_path).__class__ is FusionRSVLMModel
    # the folder carries its code for trust_remote_code
    assert {"configuration_fusionrs_vlm.py", "modeling_fusionrs_vlm.py", "processing_fusionrs_vlm.py"} <= {
        p.name for p in tmp_path.iterdir()}


def test_trust_remote_code_without_the_package(tmp_path):
    model, processor = tiny_model(), tiny_processor()
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    inputs = tiny_inputs()
    torch.save(inputs, tmp_path / "inputs.pt")
    expected = model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0)
    stdout = run_without_package(f"""
        import torch
        from transformers import AutoModel, AutoModelForImageTextToText, AutoProcessor
        model = AutoModelForImageTextToText.from_pretrained({str(tmp_path)!r}, trust_remote_code=True).eval()
        processor = AutoProcessor.from_pretrained({str(tmp_path)!r}, trust_remote_code=True)
        base = AutoModel.from_pretrained({str(tmp_path)!r}, trust_remote_code=True)
        inputs = torch.load({str(tmp_path / "inputs.pt")!r})
        out = model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False, pad_token_id=0)
        print(type(model).__module__.startswith("transformers_modules"), type(processor).__name__,
              type(base).__name__, out.tolist())
    """, tmp_path)
    assert stdout.strip().splitlines()[-1] == f"True FusionRSVLMProcessor FusionRSVLMModel {expected.tolist()}"


def test_init_from_clip_vision_and_local_causal_lm(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    from fusionrs_hf.training.vlm import new_model_and_processor

    from vlm_helpers import save_tiny_clip, vlm_tokenizer

    clip = save_tiny_clip(tmp_path / "clip")
    # a tiny causal LM with its own tokenizer saved locally (stands in for any Hub checkpoint)
    lm_tokenizer = vlm_tokenizer().__class__.from_pretrained(_save_plain_tokenizer(tmp_path / "lm"))
    lm = LlamaForCausalLM(LlamaConfig(vocab_size=len(lm_tokenizer), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2))
    lm.save_pretrained(tmp_path / "lm")
    model, processor = new_model_and_processor("tiny", None, vision_from=str(tmp_path / "clip"),
                                               language_from=str(tmp_path / "lm"))
    for name, weight in clip.vision_model.state_dict().items():
        assert torch.equal(model.model.vision_tower.state_dict()[name], weight), name
    assert torch.equal(model.model.modality_embedding.weight, clip.modality_embedding.weight)
    n = lm.config.vocab_size
    assert torch.equal(model.model.language_model.layers[1].mlp.down_proj.weight, lm.model.layers[1].mlp.down_proj.weight)
    assert torch.equal(model.lm_head.weight[:n], lm.lm_head.weight[:n])
    # the VLM tokens were added to the LM's tokenizer and the embeddings grew with them
    assert model.config.text_config.vocab_size == len(processor.tokenizer) > n
    assert model.config.rgb_token_id == processor.rgb_token_id >= n
    rgb = torch.randn(1, 3, 32, 32)
    prompt = processor.apply_chat_template([{"role": "user", "content": [{"type": "image"}, {"type": "text",
                                            "text": "describe"}]}], add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[prompt], rgb_images=[rgb[0].permute(1, 2, 0).clamp(0, 1).numpy()])
    assert model.eval().generate(**inputs, max_new_tokens=3).shape[1] == inputs["input_ids"].shape[1] + 3


def _save_plain_tokenizer(folder: Path) -> str:
    from fusionrs_hf.tokenization import caption_text_files, train_caption_tokenizer

    from conftest import data_root_path

    tokenizer = train_caption_tokenizer(caption_text_files(data_root_path() / "text")[:2000], vocab_size=300)
    tokenizer.save_pretrained(folder)
    return str(folder)
