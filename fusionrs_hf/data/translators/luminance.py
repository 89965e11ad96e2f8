from __future__ import annotations

import numpy as np

from .base import Translator


class LuminanceTranslator(Translator):
    """Plain ITU-R BT.601 luminance: the grey copy of the RGB, kept as a baseline."""

    name = "luminance"
    version = "1"
    description = "Plain ITU-R BT.601 luminance of the RGB (a baseline: a grey copy, not an infrared view)."

    def translate_stack(self, stack: np.ndarray, land_covers=None) -> np.ndarray:
        weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return np.clip(np.rint(stack.astype(np.float32) @ weights), 0, 255).astype(np.uint8)
