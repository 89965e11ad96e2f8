"""A learned translator (any FusionRSTranslator folder or Hub id) behind the builder's translator interface."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .base import Translator


class LearnedTranslator(Translator):
    """Batched inference of a `FusionRSTranslatorModel` with its image processor, on a GPU when there is one."""

    name = "learned"

    def __init__(self, name_or_path: str, device: str | None = None, batch_size: int = 16):
        from transformers import AutoImageProcessor, AutoModel

        from ...models import FusionRSTranslatorModel  # registers the Auto classes

        self.model = AutoModel.from_pretrained(name_or_path)
        if not isinstance(self.model, FusionRSTranslatorModel):
            raise ValueError(f"{name_or_path} is a {type(self.model).__name__}, not a FusionRSTranslatorModel")
        self.processor = AutoImageProcessor.from_pretrained(name_or_path)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        self.batch_size = batch_size
        self.name_or_path = name_or_path
        revision = getattr(self.model.config, "_commit_hash", None)
        self.version = (revision or "local")[:12]
        self.description = (f"A learned U-Net translator (`{name_or_path}`, FusionRSTranslatorModel) trained on real "
                            "visible/thermal pairs; see its model card for how it scores against real thermal images.")

    @property
    def id(self) -> str:
        return f"{self.name}:{self.name_or_path}@{self.version}"

    def translate(self, images: Sequence[np.ndarray], land_covers=None) -> list[np.ndarray]:
        outputs = []
        for start in range(0, len(images), self.batch_size):
            chunk = list(images[start:start + self.batch_size])
            inputs = self.processor(chunk)
            with torch.inference_mode():
                ir_values = self.model(pixel_values=inputs["pixel_values"].to(self.device)).ir_values
            views = self.processor.post_process(ir_values, inputs["original_sizes"], inputs["working_sizes"])
            outputs.extend(np.asarray(view) for view in views)
        return outputs

    def translate_stack(self, stack: np.ndarray, land_covers=None) -> np.ndarray:
        return np.stack(self.translate(list(stack)))
