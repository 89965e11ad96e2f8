"""FusionRSProcessor: one image processor for the RGB and the IR view, plus a tokenizer.

This file travels with saved checkpoints (trust_remote_code): no package imports.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from transformers import BatchFeature
from transformers.processing_utils import ProcessorMixin


def ir_as_three_channels(image):
    """An IR view (PIL `L`/`I`/`F`, or an (H, W) array) as an RGB image of three identical channels, so
    the same tower and image processor serve both views. 3-channel input is kept as it is."""
    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else image.convert("L").convert("RGB")
    array = np.asarray(image)
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=-1)
    if array.ndim == 3 and array.shape[-1] == 1:
        return np.repeat(array, 3, axis=-1)
    if array.ndim == 3 and array.shape[0] == 1:
        return np.repeat(array, 3, axis=0)
    return array


class FusionRSProcessor(ProcessorMixin):
    r"""
    Prepares FusionRSCLIP inputs.

    `processor(text=..., rgb_images=..., ir_images=..., ir_text=...)` returns `input_ids`/`attention_mask`,
    `pixel_values` (RGB), `ir_pixel_values` and `ir_input_ids`/`ir_attention_mask`, for whichever inputs
    are given. `images=` is an alias of `rgb_images=`.
    """

    def __init__(self, image_processor=None, tokenizer=None, **kwargs):
        super().__init__(image_processor, tokenizer)

    def __call__(self, text=None, rgb_images=None, ir_images=None, images=None, ir_text=None,
                 padding="longest", truncation=True, max_length=None, return_tensors="pt", **kwargs):
        if images is not None and rgb_images is not None:
            raise ValueError("pass RGB images as `rgb_images=` or `images=`, not both")
        rgb_images = rgb_images if rgb_images is not None else images
        if text is None and ir_text is None and rgb_images is None and ir_images is None:
            raise ValueError("give at least one of text, ir_text, rgb_images, ir_images")
        data = {}
        text_kwargs = dict(padding=padding, truncation=truncation, max_length=max_length,
                           return_tensors=return_tensors)
        if text is not None and ir_text is not None and padding == "longest":
            # one padded length for both caption sets, so the model encodes them in one call
            both = self.tokenizer(list(_as_list(text)) + list(_as_list(ir_text)), **text_kwargs)
            n = len(_as_list(text))
            data.update(input_ids=both["input_ids"][:n], attention_mask=both["attention_mask"][:n],
                        ir_input_ids=both["input_ids"][n:], ir_attention_mask=both["attention_mask"][n:])
        else:
            if text is not None:
                data.update(self.tokenizer(text, **text_kwargs))
            if ir_text is not None:
                encoded = self.tokenizer(ir_text, **text_kwargs)
                data.update(ir_input_ids=encoded["input_ids"], ir_attention_mask=encoded["attention_mask"])
        if rgb_images is not None:
            rgb = [img.convert("RGB") if isinstance(img, Image.Image) else img for img in _as_list(rgb_images)]
            data["pixel_values"] = self.image_processor(rgb, return_tensors=return_tensors)["pixel_values"]
        if ir_images is not None:
            ir = [ir_as_three_channels(img) for img in _as_list(ir_images)]
            data["ir_pixel_values"] = self.image_processor(ir, return_tensors=return_tensors)["pixel_values"]
        return BatchFeature(data=data, tensor_type=return_tensors)

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)

    @property
    def model_input_names(self):
        return ["input_ids", "attention_mask", "pixel_values", "ir_pixel_values", "ir_input_ids", "ir_attention_mask"]


def _as_list(x):
    return x if isinstance(x, (list, tuple)) else [x]


__all__ = ["FusionRSProcessor", "ir_as_three_channels"]
