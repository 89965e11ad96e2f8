"""What the Space does with an uploaded aerial image: the infrared-style view, the scene and IR-aware
captions from FusionRSVLM, a free-form answer with both views, and the closest captions by FusionRSCLIP.

Every user-facing failure is a `DemoError` with a message fit for the UI."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..data.images import RecordError, open_image, to_rgb_array
from ..data.translators import get_translator

MAX_PIXELS = 4096 * 4096  # a larger upload is refused (the models see ~128 px anyway)
MAX_QUESTION_CHARS = 300


class DemoError(ValueError):
    """A problem with the user's input, worded for the UI."""


@dataclass
class DemoResult:
    ir_view: Image.Image
    ir_source: str  # "translated by NAME" or "uploaded"
    scene_caption: str | None
    ir_caption: str | None
    answer: str | None
    retrieved: list[tuple[str, float]]


def load_upload(value, what: str, max_pixels: int | None = None) -> Image.Image:
    """A Gradio upload (a file path, a PIL image or an array) -> a fully decoded PIL image, or a DemoError."""
    max_pixels = max_pixels or MAX_PIXELS
    if value is None:
        raise DemoError(f"Please upload the {what}.")
    if isinstance(value, np.ndarray):
        value = Image.fromarray(value)
    try:
        return open_image(value, origin=what, max_pixels=max_pixels)
    except RecordError as err:
        reasons = {"too_large": f"The {what} is too large ({err.detail.split(': ', 1)[-1]}); please upload a smaller one.",
                   "corrupt_image": f"The {what} could not be read as an image (not an image file, or corrupt).",
                   "too_small": f"The {what} is too small (at least 8x8 pixels)."}
        raise DemoError(reasons.get(err.reason, f"The {what} could not be used: {err.detail}")) from err
    except (UnidentifiedImageError, OSError) as err:
        raise DemoError(f"The {what} could not be read as an image.") from err


class FusionRSDemo:
    """Loads the models once; each call serves one request (the Space queues requests)."""

    def __init__(self, clip: str | None = None, vlm: str | None = None, translator: str | None = None,
                 caption_bank: list[str] | None = None, device: str | None = None):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.translator = get_translator(translator)
        self.clip = self.clip_processor = self.vlm = self.vlm_processor = None
        if clip:
            from transformers import AutoModel, AutoProcessor

            from .. import models  # noqa: F401  (registers the Auto classes)

            self.clip = AutoModel.from_pretrained(clip).to(self.device).eval()
            self.clip_processor = AutoProcessor.from_pretrained(clip)
        if vlm:
            from transformers import AutoModelForImageTextToText, AutoProcessor

            from .. import models  # noqa: F401

            self.vlm = AutoModelForImageTextToText.from_pretrained(vlm).to(self.device).eval()
            self.vlm_processor = AutoProcessor.from_pretrained(vlm)
        self.caption_bank = sorted(set(caption_bank or []))
        self.caption_features = self._encode_captions(self.caption_bank) if self.clip and self.caption_bank else None

    # ------------------------------------------------------------------ pieces
    def ir_view(self, rgb: Image.Image, ir: Image.Image | None) -> tuple[Image.Image, str]:
        if ir is not None:
            if ir.size != rgb.size:
                raise DemoError(f"The infrared image is {ir.size[0]}x{ir.size[1]} but the RGB image is "
                                f"{rgb.size[0]}x{rgb.size[1]}: they must show the same scene at the same size.")
            return ir.convert("L"), "uploaded"
        view = self.translator.translate([to_rgb_array(rgb)])[0]
        return Image.fromarray(view, mode="L"), f"translated by {self.translator.id}"

    @torch.inference_mode()
    def generate(self, views: dict[str, Image.Image], question: str, max_new_tokens: int = 72) -> str:
        content = [{"type": "image", "view": view} for view in views] + [{"type": "text", "text": question}]
        prompt = self.vlm_processor.apply_chat_template([{"role": "user", "content": content}],
                                                        add_generation_prompt=True, tokenize=False)
        images = {f"{view}_images": [image] for view, image in views.items()}
        inputs = self.vlm_processor(text=[prompt], **images).to(self.device)
        output = self.vlm.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, use_cache=True)
        return self.vlm_processor.batch_decode(output[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)[0].strip()

    @torch.inference_mode()
    def _encode_captions(self, captions: list[str], batch_size: int = 256) -> torch.Tensor:
        features = []
        for start in range(0, len(captions), batch_size):
            inputs = self.clip_processor(text=captions[start:start + batch_size]).to(self.device)
            features.append(self.clip.get_text_features(inputs["input_ids"], inputs["attention_mask"]))
        return torch.cat(features)

    @torch.inference_mode()
    def retrieve(self, rgb: Image.Image, ir: Image.Image, k: int = 5) -> list[tuple[str, float]]:
        inputs = self.clip_processor(rgb_images=[rgb], ir_images=[ir]).to(self.device)
        query = self.clip.get_fused_features(inputs["pixel_values"], inputs["ir_pixel_values"])
        scores = (query @ self.caption_features.T)[0]
        top = torch.topk(scores, min(k, len(self.caption_bank)))
        return [(self.caption_bank[i], round(float(s), 4)) for s, i in zip(top.values, top.indices)]

    # ------------------------------------------------------------------ one request
    def run(self, rgb_upload, ir_upload=None, question: str = "", progress=None) -> DemoResult:
        step = progress or (lambda fraction, desc=None: None)
        rgb = load_upload(rgb_upload, "RGB image").convert("RGB")
        ir = load_upload(ir_upload, "infrared image") if ir_upload is not None else None
        question = (question or "").strip()
        if len(question) > MAX_QUESTION_CHARS:
            raise DemoError(f"Please keep the question under {MAX_QUESTION_CHARS} characters.")
        step(0.1, desc="infrared view")
        ir_view, ir_source = self.ir_view(rgb, ir)
        scene = ir_caption = answer = None
        if self.vlm is not None:
            step(0.3, desc="captions")
            scene = self.generate({"rgb": rgb}, "Describe the scene.", max_new_tokens=32)
            ir_caption = self.generate({"ir": ir_view}, "Describe the infrared view.")
            if question:
                step(0.6, desc="answer")
                answer = self.generate({"rgb": rgb, "ir": ir_view}, question, max_new_tokens=48)
        retrieved = []
        if self.caption_features is not None:
            step(0.8, desc="retrieval")
            retrieved = self.retrieve(rgb, ir_view)
        step(1.0, desc="done")
        return DemoResult(ir_view, ir_source, scene, ir_caption, answer, retrieved)


def captions_from_dataset(data: str, split: str = "train", limit: int = 5000) -> list[str]:
    """The scene captions of a FusionRS dataset (folder or Hub id): the retrieval bank of the Space."""
    import datasets

    rows = datasets.load_dataset(data, split=split).select_columns(["captions"])
    captions = [c for row in rows.select(range(min(limit, len(rows)))) for c in row["captions"]]
    return sorted(set(captions))


def demo_from_env() -> FusionRSDemo:
    """Model locations from the environment (a local folder or a Hub id), as the Space reads them."""
    bank_source = os.environ.get("FUSIONRS_CAPTIONS")
    return FusionRSDemo(clip=os.environ.get("FUSIONRS_CLIP") or None, vlm=os.environ.get("FUSIONRS_VLM") or None,
                        translator=os.environ.get("FUSIONRS_TRANSLATOR") or None,
                        caption_bank=captions_from_dataset(bank_source) if bank_source else None)
