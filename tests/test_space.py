"""The Space: its logic on real UCM images, its API through gradio_client, and the page in headless Chromium."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image

from fusionrs_hf.space import DemoError, FusionRSDemo
from fusionrs_hf.space import demo as demo_module
from fusionrs_hf.space.demo import captions_from_dataset


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory, data_root):
    """A tiny FusionRSCLIP and FusionRSVLM (random weights, tokenizers trained on real captions), saved."""
    from fusionrs_hf.tokenization import caption_text_files, train_caption_tokenizer
    from fusionrs_hf.training import clip as clip_training
    from fusionrs_hf.training import vlm as vlm_training

    root = tmp_path_factory.mktemp("space-models")
    texts = caption_text_files(data_root / "text")[:3000]
    torch.manual_seed(0)
    clip, clip_processor = clip_training.new_model_and_processor("tiny", train_caption_tokenizer(texts, vocab_size=512))
    clip.save_pretrained(root / "clip")
    clip_processor.save_pretrained(root / "clip")
    vlm_tokenizer = vlm_training.add_vlm_tokens(train_caption_tokenizer(texts, vocab_size=512, model_max_length=256))
    vlm, vlm_processor = vlm_training.new_model_and_processor("tiny", vlm_tokenizer)
    vlm.save_pretrained(root / "vlm")
    vlm_processor.save_pretrained(root / "vlm")
    return root


@pytest.fixture(scope="module")
def demo(tiny_models, ucm_small_dataset):
    return FusionRSDemo(clip=str(tiny_models / "clip"), vlm=str(tiny_models / "vlm"),
                        caption_bank=captions_from_dataset(str(ucm_small_dataset)))


@pytest.fixture(scope="module")
def ucm_image(data_root) -> str:
    return str(data_root / "ucm_captions" / "images" / "1205.jpg")


def test_one_request_gives_every_output(demo, ucm_image):
    result = demo.run(ucm_image, None, "What kind of scene is this?")
    rgb = Image.open(ucm_image)
    assert result.ir_view.mode == "L" and result.ir_view.size == rgb.size
    assert result.ir_source == "translated by thermal-heuristic@1.0"
    for text in (result.scene_caption, result.ir_caption, result.answer):
        assert isinstance(text, str)
    scores = [score for _, score in result.retrieved]
    assert len(result.retrieved) == 5 and scores == sorted(scores, reverse=True)
    assert all(caption in demo.caption_bank for caption, _ in result.retrieved)


def test_an_uploaded_infrared_image_is_used(demo, ucm_image, tmp_path):
    ir = Image.open(ucm_image).convert("L").rotate(90)
    ir.save(tmp_path / "ir.png")
    result = demo.run(ucm_image, str(tmp_path / "ir.png"))
    assert result.ir_source == "uploaded" and np.array_equal(np.asarray(result.ir_view), np.asarray(ir))


def test_bad_inputs_get_clear_messages(demo, ucm_image, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("not an image")
    buffer = io.BytesIO()
    Image.open(ucm_image).save(buffer, format="PNG")
    (tmp_path / "broken.png").write_bytes(buffer.getvalue()[:2000])
    Image.new("L", (100, 80)).save(tmp_path / "small_ir.png")
    cases = {
        (str(tmp_path / "notes.txt"), None): "could not be read as an image",
        (str(tmp_path / "broken.png"), None): "could not be read as an image",
        (ucm_image, str(tmp_path / "small_ir.png")): "infrared image is 100x80 but the RGB image is 256x256",
        (None, None): "Please upload the RGB image",
    }
    for (rgb, ir), message in cases.items():
        with pytest.raises(DemoError, match=message):
            demo.run(rgb, ir)
    with pytest.raises(DemoError, match="under 300 characters"):
        demo.run(ucm_image, None, "why? " * 100)
    monkeypatch.setattr(demo_module, "MAX_PIXELS", 100 * 100)
    with pytest.raises(DemoError, match="too large"):
        demo.run(ucm_image, None)


@pytest.fixture(scope="module")
def running_app(demo):
    from fusionrs_hf.space.app import build_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = build_app(demo)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_api_through_gradio_client(running_app, ucm_image, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(running_app, verbose=False)
    ir_path, source, scene, ir_caption, table = client.predict(handle_file(ucm_image), None, api_name="/describe")
    assert Image.open(ir_path).size == (256, 256) and source.startswith("translated by")
    assert isinstance(scene, str) and isinstance(ir_caption, str)
    assert len(table["data"]) == 5
    assert isinstance(client.predict(handle_file(ucm_image), None, "What is this?", api_name="/ask"), str)
    with pytest.raises(Exception, match="Please type a question"):
        client.predict(handle_file(ucm_image), None, "  ", api_name="/ask")
    Image.new("RGB", (50, 40)).save(tmp_path / "other.png")
    with pytest.raises(Exception, match="infrared image is 50x40"):
        client.predict(handle_file(ucm_image), handle_file(str(tmp_path / "other.png")), api_name="/describe")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian chromium (.ci/run installs it)")
def test_page_renders_in_headless_chromium(running_app, tmp_path):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=8000",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", running_app], capture_output=True, text=True,
                         timeout=120).stdout
    for text in ("FusionRS", "Aerial RGB image", "Describe", "Infrared view"):
        assert text in dom, text
    shot = tmp_path / "page.png"
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", "--window-size=1280,900", running_app],
                   capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.std() > 10  # text, buttons and panels, not a blank page
