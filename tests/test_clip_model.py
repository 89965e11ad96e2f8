"""FusionRSCLIPModel: registration, outputs, save/load both ways, init from a transformers CLIPModel."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from clip_helpers import tiny_config, tiny_inputs, tiny_model
from conftest import run_without_package
from transformers import AutoConfig, AutoModel, CLIPConfig, CLIPModel

from fusionrs_hf.models import FusionRSCLIPConfig, FusionRSCLIPModel


def test_auto_classes_resolve_our_model():
    values = {k: v for k, v in tiny_config().to_dict().items() if k not in ("model_type", "transformers_version")}
    config = AutoConfig.for_model("fusionrs_clip", **values)
    assert isinstance(config, FusionRSCLIPConfig)
    assert type(AutoModel.from_config(config)) is FusionRSCLIPModel
    # the towers are transformers' own models, built from the sub-configs
    model = tiny_model()
    assert type(model.vision_model).__name__ == "ResNetModel"
    assert type(model.text_model).__name__ == "CLIPTextModel"


def test_presets_and_modes_set_loss_weights():
    assert tiny_config(mode="rgb_only").loss_weights == {"rgb_text": 1, "ir_text": 0, "rgb_ir": 0, "fused_text": 0}
    assert tiny_config(mode="trimodal_fused").loss_weights["fused_text"] == 1
    assert tiny_config(mode="trimodal", loss_weights={"rgb_ir": 0.5}).loss_weights["rgb_ir"] == 0.5
    with pytest.raises(ValueError):
        tiny_config(mode="quadmodal")
    with pytest.raises(ValueError):
        tiny_config(loss_weights={"depth_text": 1.0})


def test_forward_gives_every_pair_and_normalised_features():
    model = tiny_model(mode="trimodal_fused").eval()
    inputs = tiny_inputs(batch=4)
    out = model(**inputs, return_loss=True)
    for pair in ("rgb_text", "text_rgb", "ir_text", "text_ir", "rgb_ir", "ir_rgb", "fused_text", "text_fused"):
        assert out[f"logits_per_{pair}"].shape == (4, 4)
    torch.testing.assert_close(out.logits_per_text_rgb, out.logits_per_rgb_text.t())
    for name in ("loss_rgb_text", "loss_ir_text", "loss_rgb_ir", "loss_fused_text"):
        assert out[name].ndim == 0 and out[name] > 0
    with torch.no_grad():
        rgb = model.get_image_features(inputs["pixel_values"])
        ir = model.get_ir_features(inputs["ir_pixel_values"])
        fused = model.get_fused_features(inputs["pixel_values"], inputs["ir_pixel_values"])
        text = model.get_text_features(inputs["input_ids"], inputs["attention_mask"])
    for emb in (rgb, ir, fused, text):
        torch.testing.assert_close(emb.norm(dim=-1), torch.ones(4))
    # the feature getters and forward agree (RGB and IR go through the shared tower together in forward)
    torch.testing.assert_close(out.rgb_embeds, rgb, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.fused_embeds, fused, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.logits_per_rgb_text, model.temperature_scale() * rgb @ text.t(), atol=1e-4, rtol=1e-4)


def test_modality_embedding_separates_views_of_one_image():
    model = tiny_model().eval()
    pixels = tiny_inputs()["ir_pixel_values"]
    with torch.no_grad():
        torch.testing.assert_close(model.get_image_features(pixels), model.get_ir_features(pixels))  # starts at zero
        model.modality_embedding.weight[1].normal_()
        assert not torch.allclose(model.get_image_features(pixels), model.get_ir_features(pixels))


@pytest.mark.parametrize("separate_ir_tower", [False, True])
def test_channels_last_layout_changes_speed_not_results(separate_ir_tower, ucm_small_dataset):
    import datasets

    from fusionrs_hf.models.clip.processing_fusionrs_clip import ir_as_three_channels
    from fusionrs_hf.training.common import make_image_processor

    model = tiny_model(mode="trimodal_fused", separate_ir_tower=separate_ir_tower).eval()
    assert model.vision_channels_last  # a ResNet tower
    records = datasets.load_dataset(str(ucm_small_dataset), split="train")[:4]  # real UCM views
    views = make_image_processor(model.config.image_size)
    rgb = views(records["rgb"], return_tensors="pt")["pixel_values"]
    ir = views([ir_as_three_channels(image) for image in records["ir"]], return_tensors="pt")["pixel_values"]
    inputs = {**tiny_inputs(), "pixel_values": rgb, "ir_pixel_values": ir}
    with torch.no_grad():
        fast = model(**inputs, return_loss=True)
        model.vision_channels_last = False
        plain = model(**inputs, return_loss=True)
    for key in ("rgb_embeds", "ir_embeds", "fused_embeds", "loss"):
        torch.testing.assert_close(fast[key], plain[key], atol=1e-5, rtol=1e-4)
    vit = {"model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
           "num_attention_heads": 2, "patch_size": 16, "image_size": 64}
    assert not tiny_model(vision_config=vit).vision_channels_last  # left to ViTs as it was


def test_separate_ir_tower():
    model = tiny_model(separate_ir_tower=True)
    assert model.ir_vision_model is not None and model.modality_embedding is None
    out = model(**tiny_inputs(), return_loss=True)
    out.loss.backward()
    assert model.ir_vision_model.embedder.embedder.convolution.weight.grad is not None


def test_save_load_plain_and_safetensors(tmp_path):
    model = tiny_model(mode="trimodal_fused").eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file()
    assert {"configuration_fusionrs_clip.py", "modeling_fusionrs_clip.py"} <= {p.name for p in tmp_path.iterdir()}
    reloaded = AutoModel.from_pretrained(tmp_path).eval()
    assert type(reloaded) is FusionRSCLIPModel
    inputs = tiny_inputs()
    with torch.no_grad():
        a, b = model(**inputs, return_loss=True), reloaded(**inputs, return_loss=True)
    torch.testing.assert_close(a.logits_per_fused_text, b.logits_per_fused_text)
    torch.testing.assert_close(a.loss, b.loss)


def test_saved_code_has_no_package_imports(tmp_path):
    tiny_model().save_pretrained(tmp_path)
    for path in tmp_path.glob("*.py"):
        assert "fusionrs_hf" not in path.read_text(), path.name


def test_trust_remote_code_in_a_process_without_the_package(tmp_path):
    model = tiny_model().eval()
    model.save_pretrained(tmp_path / "model")
    inputs = tiny_inputs()
    torch.save(inputs, tmp_path / "inputs.pt")
    with torch.no_grad():
        torch.save(model(**inputs).logits_per_rgb_ir, tmp_path / "expected.pt")
    stdout = run_without_package(f"""
        import torch
        from transformers import AutoModel
        model = AutoModel.from_pretrained({str(tmp_path / "model")!r}, trust_remote_code=True).eval()
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        with torch.no_grad():
            got = model(**torch.load({str(tmp_path / "inputs.pt")!r})).logits_per_rgb_ir
        torch.testing.assert_close(got, torch.load({str(tmp_path / "expected.pt")!r}))
        print("remote-code-ok")
    """, tmp_path)
    assert "remote-code-ok" in stdout


def _tiny_clip(tmp_path) -> Path:
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"vocab_size": 64, "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                     "num_attention_heads": 2, "max_position_embeddings": 16, "eos_token_id": 3},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        projection_dim=16)
    CLIPModel(config).save_pretrained(tmp_path / "clip")
    return tmp_path / "clip"


@pytest.mark.parametrize("separate_ir_tower", [False, True])
def test_init_from_clip_reproduces_clip_features(tmp_path, separate_ir_tower):
    folder = _tiny_clip(tmp_path)
    clip = CLIPModel.from_pretrained(folder).eval()
    model = FusionRSCLIPModel.from_clip(str(folder), separate_ir_tower=separate_ir_tower).eval()
    assert model.config.vision_config.model_type == "clip_vision_model" and model.config.image_size == 32
    inputs = tiny_inputs(batch=3, seq=6, size=32)
    with torch.no_grad():
        expected_img = F.normalize(clip.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output, dim=-1)
        expected_txt = F.normalize(clip.get_text_features(input_ids=inputs["input_ids"],
                                                          attention_mask=inputs["attention_mask"]).pooler_output, dim=-1)
        torch.testing.assert_close(model.get_image_features(inputs["pixel_values"]), expected_img)
        torch.testing.assert_close(model.get_text_features(inputs["input_ids"], inputs["attention_mask"]), expected_txt)
        # the IR path starts from the RGB weights
        torch.testing.assert_close(model.get_ir_features(inputs["pixel_values"]), expected_img)
    torch.testing.assert_close(model.logit_scale, clip.logit_scale)
    # and the result saves and reloads like any FusionRSCLIPModel
    model.save_pretrained(tmp_path / "fusion")
    reloaded = AutoModel.from_pretrained(tmp_path / "fusion").eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded.get_image_features(inputs["pixel_values"]), expected_img)


def test_lora_on_a_clip_initialised_model_merges_into_a_plain_checkpoint(tmp_path):
    from fusionrs_hf.training.clip import apply_lora

    model = FusionRSCLIPModel.from_clip(str(_tiny_clip(tmp_path)))
    vision_before = model.vision_model.encoder.layers[0].self_attn.q_proj.weight.detach().clone()
    peft_model = apply_lora(model)
    trainable = {n for n, p in peft_model.named_parameters() if p.requires_grad}
    assert any("lora_A" in n for n in trainable) and any(n.endswith("logit_scale") for n in trainable)
    assert not any("q_proj.base_layer" in n for n in trainable)  # tower weights stay frozen
    inputs = tiny_inputs(batch=3, seq=6, size=32)
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(2):
        peft_model(**inputs, return_loss=True).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    peft_model.eval()
    with torch.no_grad():
        expected = peft_model(**inputs).logits_per_rgb_ir
    merged = peft_model.merge_and_unload()
    merged.save_pretrained(tmp_path / "merged")
    reloaded = AutoModel.from_pretrained(tmp_path / "merged").eval()
    assert not any("lora" in k for k in reloaded.state_dict())
    assert not torch.equal(reloaded.vision_model.encoder.layers[0].self_attn.q_proj.weight, vision_before)
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits_per_rgb_ir, expected, atol=1e-4, rtol=1e-4)
