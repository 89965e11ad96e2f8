"""The learned translator: model, processor, metrics, a real training run, and its use by the builder."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from PIL import Image
from conftest import run_without_package
from transformers import AutoImageProcessor, AutoModel, AutoModelForImageToImage

from fusionrs_hf.metrics.image_quality import psnr, ssim
from fusionrs_hf.models import FusionRSTranslatorConfig, FusionRSTranslatorImageProcessor, FusionRSTranslatorModel


@pytest.fixture(scope="module")
def pairs(data_root) -> Path:
    return data_root / "rgb_ir_pairs" / "roadscene"


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory, pairs):
    """The tiny preset trained for 60 steps on the real RoadScene pairs (model, processor, card, metrics)."""
    from fusionrs_hf.training.translator import train_translator

    out = tmp_path_factory.mktemp("translator-tiny")
    return train_translator(str(pairs), str(out), preset="tiny", max_steps=60)


def _tiny_model_and_processor():
    torch.manual_seed(0)
    config = FusionRSTranslatorConfig.from_preset("tiny")
    return FusionRSTranslatorModel(config).eval(), FusionRSTranslatorImageProcessor(
        working_size=config.working_size, size_multiple=2**config.depth)


def test_processor_handles_any_size_and_mode(pairs):
    model, processor = _tiny_model_and_processor()
    rgb = Image.open(sorted((pairs / "rgb").iterdir())[0])
    deep = Image.fromarray((np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).astype(np.uint16))
    rgba = rgb.crop((0, 0, 101, 77)).convert("RGBA")
    images = [rgb, rgb.convert("L").crop((3, 5, 70, 33)), rgba, deep, np.asarray(rgb)[:45, :99]]
    inputs = processor(images)
    assert inputs["pixel_values"].shape[1] == 3
    assert inputs["pixel_values"].shape[2] % 4 == 0 and inputs["pixel_values"].shape[3] % 4 == 0
    with torch.no_grad():
        ir_values = model(pixel_values=inputs["pixel_values"]).ir_values
    views = processor.post_process(ir_values, inputs["original_sizes"], inputs["working_sizes"])
    expected = [rgb.size, (67, 28), (101, 77), deep.size, (99, 45)]
    assert [(v.size, v.mode) for v in views] == [(size, "L") for size in expected]


def test_model_rejects_unpadded_input():
    model, _ = _tiny_model_and_processor()
    with pytest.raises(ValueError, match="multiples of 4"):
        model(pixel_values=torch.zeros(1, 3, 30, 32))


def test_registration_and_save_load_both_ways(tmp_path):
    model, processor = _tiny_model_and_processor()
    model.save_pretrained(tmp_path / "model")
    processor.save_pretrained(tmp_path / "model")
    assert (tmp_path / "model" / "model.safetensors").is_file()
    assert json.loads((tmp_path / "model" / "config.json").read_text())["auto_map"]["AutoModel"]
    pixels = torch.randn(2, 3, 32, 48)
    with torch.no_grad():
        expected = model(pixel_values=pixels).ir_values
        for auto in (AutoModel, AutoModelForImageToImage):
            loaded = auto.from_pretrained(tmp_path / "model").eval()
            assert isinstance(loaded, FusionRSTranslatorModel)
            torch.testing.assert_close(loaded(pixel_values=pixels).ir_values, expected)
    assert isinstance(AutoImageProcessor.from_pretrained(tmp_path / "model"), FusionRSTranslatorImageProcessor)
    torch.save({"pixels": pixels, "expected": expected}, tmp_path / "io.pt")
    stdout = run_without_package(f"""
        import torch
        from transformers import AutoImageProcessor, AutoModel
        model = AutoModel.from_pretrained({str(tmp_path / "model")!r}, trust_remote_code=True).eval()
        processor = AutoImageProcessor.from_pretrained({str(tmp_path / "model")!r}, trust_remote_code=True)
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        assert type(processor).__module__.startswith("transformers_modules"), type(processor).__module__
        io = torch.load({str(tmp_path / "io.pt")!r})
        with torch.no_grad():
            torch.testing.assert_close(model(pixel_values=io["pixels"]).ir_values, io["expected"])
        print("remote-code-ok")
    """, tmp_path)
    assert "remote-code-ok" in stdout


def test_metrics_on_constructed_images():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 246, size=(64, 80)).astype(np.uint8)
    assert psnr(image, image) == float("inf") and ssim(image, image) == pytest.approx(1.0)
    assert psnr(image + 10, image) == pytest.approx(20 * np.log10(255 / 10))
    # two constant images: variances and covariance vanish, SSIM is the luminance term alone
    a, b = np.full((40, 40), 100, np.uint8), np.full((40, 40), 150, np.uint8)
    c1 = (0.01 * 255) ** 2
    assert ssim(a, b) == pytest.approx((2 * 100 * 150 + c1) / (100**2 + 150**2 + c1))
    assert ssim(255 - image, image) < 0  # structure inverted
    with pytest.raises(ValueError, match="one size"):
        psnr(image, image[:, :10])


def test_training_on_real_pairs_lowers_the_loss(trained_tiny):
    losses = trained_tiny.losses  # one per step; random crops make single steps noisy, so compare tenths
    tenth = len(losses) // 10
    assert np.mean(losses[-tenth:]) < np.mean(losses[:tenth]) - 0.02, losses
    assert trained_tiny.train_pairs + trained_tiny.validation_pairs == 180 and trained_tiny.validation_pairs > 10
    out = Path(trained_tiny.out_dir)
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= {"model", "default", "luminance", "constant_mean", "num_pairs"}
    assert metrics["num_pairs"] == trained_tiny.validation_pairs
    card = (out / "README.md").read_text()
    assert f"| model | {metrics['model']['psnr']:.2f} |" in card and "pipeline_tag: image-to-image" in card


def test_eval_translator_cli_writes_metrics_and_sheets(trained_tiny, pairs, data_root, tmp_path):
    from fusionrs_hf.cli import main

    output, sheet, aerial = tmp_path / "metrics.json", tmp_path / "sheet.png", tmp_path / "aerial.png"
    tiles = [str(data_root / "ucm_captions" / "images" / name) for name in ("1205.jpg", "1650.jpg")]
    assert main(["eval-translator", "--model", trained_tiny.out_dir, "--pairs", str(pairs), "--output", str(output),
                 "--sheet", str(sheet), "--aerial-images", *tiles, "--aerial-sheet", str(aerial)]) == 0
    metrics = json.loads(output.read_text())
    assert metrics["model"] == trained_tiny.metrics["model"]  # deterministic inference
    assert Image.open(sheet).size[1] == 16 + 160 * 6  # title strip + six held-out pairs
    assert Image.open(aerial).size == (3 * 160, 16 + 2 * 160)  # RGB | default | model, per tile


def test_builder_uses_the_learned_translator(trained_tiny, ucm_small_json, ucm_json, tmp_path):
    from fusionrs_hf.data import BuildConfig, build_dataset
    from fusionrs_hf.data.build import SourceSpec

    spec = SourceSpec(str(ucm_small_json), image_root=str(ucm_json.parent / "images"))
    summary = build_dataset(BuildConfig(sources=[spec], out_dir=str(tmp_path), translator=trained_tiny.out_dir, limit=5))
    assert summary.written == 5 and summary.translator.startswith(f"learned:{trained_tiny.out_dir}")
    record = datasets.load_dataset(str(tmp_path))["train"][0]
    assert record["ir"].mode == "L" and record["ir"].size == record["rgb"].size


def test_adversarial_option_trains_a_patch_discriminator(pairs, tmp_path, monkeypatch):
    from fusionrs_hf.models import FusionRSTranslatorConfig
    from fusionrs_hf.training import translator as training

    seen = {}
    real_trainer = training.FusionRSTranslatorTrainer

    class Recording(real_trainer):
        def __init__(self, *args, discriminator=None, **kwargs):
            super().__init__(*args, discriminator=discriminator, **kwargs)
            seen["before"] = [p.detach().clone() for p in discriminator.parameters()]
            seen["discriminator"] = discriminator

    monkeypatch.setattr(training, "FusionRSTranslatorTrainer", Recording)
    result = training.train_translator(str(pairs), str(tmp_path), preset="tiny", max_steps=3, adversarial_weight=0.1)
    after = list(seen["discriminator"].parameters())
    assert any(not torch.equal(a, b) for a, b in zip(seen["before"], after))  # the discriminator stepped
    assert FusionRSTranslatorConfig.from_pretrained(tmp_path).adversarial_weight == 0.1
    assert all(np.isfinite(result.losses))
    assert "PatchGAN adversarial" in (tmp_path / "README.md").read_text()
