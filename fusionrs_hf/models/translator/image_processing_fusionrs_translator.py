"""Image processor of FusionRSTranslator: any size and mode in, the infrared view at the input's size out.

Each image is converted to RGB (grayscale, RGBA, palette and 16-bit inputs included), resized so its
longer side is `working_size` (never enlarged beyond it), normalised, and padded by reflection to a
multiple of 2**depth. `post_process` crops the padding and resizes the prediction back to each
input's own size. This file travels with saved checkpoints (trust_remote_code).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from transformers.image_processing_base import BatchFeature
from transformers.image_processing_utils import BaseImageProcessor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _to_rgb(image) -> Image.Image:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = array.min(), array.max()
        array = np.zeros_like(array) if high <= low else (array - low) / (high - low) * 255.0
        image = Image.fromarray(array.astype(np.uint8))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = Image.alpha_composite(Image.new("RGBA", image.size, (0, 0, 0, 255)), image.convert("RGBA"))
    return image.convert("RGB")


class FusionRSTranslatorImageProcessor(BaseImageProcessor):
    model_input_names = ["pixel_values"]

    def __init__(self, working_size: int = 256, size_multiple: int = 16, image_mean=IMAGENET_MEAN,
                 image_std=IMAGENET_STD, **kwargs):
        super().__init__(**kwargs)
        self.working_size = working_size
        self.size_multiple = size_multiple
        self.image_mean = list(image_mean)
        self.image_std = list(image_std)

    def working_shape(self, width: int, height: int) -> tuple[int, int]:
        scale = min(1.0, self.working_size / max(width, height))
        return max(1, round(width * scale)), max(1, round(height * scale))

    def to_tensor(self, image) -> torch.Tensor:
        """One image -> (3, h, w) normalised at working resolution (unpadded)."""
        rgb = _to_rgb(image)
        rgb = rgb.resize(self.working_shape(*rgb.size), Image.Resampling.BICUBIC)
        array = np.asarray(rgb, dtype=np.float32) / 255.0
        array = (array - np.array(self.image_mean, dtype=np.float32)) / np.array(self.image_std, dtype=np.float32)
        return torch.from_numpy(array).permute(2, 0, 1).contiguous()

    def pad(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        """Reflect-pad every (C, h, w) to the batch's largest size rounded up to `size_multiple`."""
        multiple = self.size_multiple
        height = -(-max(t.shape[1] for t in tensors) // multiple) * multiple
        width = -(-max(t.shape[2] for t in tensors) // multiple) * multiple
        padded = []
        for tensor in tensors:
            pad_h, pad_w = height - tensor.shape[1], width - tensor.shape[2]
            # reflection needs pad < size; replicate covers tiny images
            mode = "reflect" if pad_h < tensor.shape[1] and pad_w < tensor.shape[2] else "replicate"
            padded.append(F.pad(tensor[None], (0, pad_w, 0, pad_h), mode=mode)[0])
        return torch.stack(padded)

    def preprocess(self, images, return_tensors: str | None = "pt", **kwargs) -> BatchFeature:
        images = images if isinstance(images, (list, tuple)) else [images]
        tensors = [self.to_tensor(image) for image in images]
        sizes = [(_size(image)[1], _size(image)[0]) for image in images]  # (height, width) of each input
        working = [tuple(t.shape[1:]) for t in tensors]
        return BatchFeature({"pixel_values": self.pad(tensors), "original_sizes": torch.tensor(sizes),
                             "working_sizes": torch.tensor(working)}, tensor_type=None)

    def post_process(self, ir_values: torch.Tensor, original_sizes, working_sizes) -> list[Image.Image]:
        """(batch, 1, H, W) in [0, 1] -> one PIL L image per input, at the input's size."""
        results = []
        for prediction, (height, width), (work_h, work_w) in zip(ir_values, original_sizes, working_sizes):
            cropped = prediction[:, : int(work_h), : int(work_w)][None].float()
            resized = F.interpolate(cropped, size=(int(height), int(width)), mode="bilinear", align_corners=False)
            array = (resized[0, 0].clamp(0, 1) * 255.0).round().to(torch.uint8).cpu().numpy()
            results.append(Image.fromarray(array, mode="L"))
        return results


def _size(image) -> tuple[int, int]:
    """(width, height) of a PIL image or an HxW(xC) array."""
    if isinstance(image, np.ndarray):
        return image.shape[1], image.shape[0]
    return image.size


__all__ = ["FusionRSTranslatorImageProcessor"]
