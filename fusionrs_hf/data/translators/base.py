from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from typing import Sequence

import numpy as np


class Translator(ABC):
    """RGB batch in -> single-channel infrared-style batch out, each output the size of its input."""

    name: str = "translator"
    version: str = "0"
    description: str = ""  # one paragraph for the dataset card

    @property
    def id(self) -> str:
        """What the dataset records in its `translator` column."""
        return f"{self.name}@{self.version}"

    def translate(self, images: Sequence[np.ndarray], land_covers: Sequence | None = None) -> list[np.ndarray]:
        """Translate a batch; images of equal size are stacked and translated in one vectorised call.

        `land_covers` (optional) is `analyse_land_cover` of each image, already computed by the
        caller; translators that model land covers reuse it, the others ignore it."""
        self.check_batch(images)
        outputs: list[np.ndarray | None] = [None] * len(images)
        by_shape: dict[tuple, list[int]] = defaultdict(list)
        for index, image in enumerate(images):
            by_shape[image.shape].append(index)
        for indices in by_shape.values():
            stacked = np.stack([images[i] for i in indices])
            covers = [land_covers[i] for i in indices] if land_covers is not None else None
            translated = self.translate_stack(stacked, covers)
            for position, index in enumerate(indices):
                outputs[index] = translated[position]
        return outputs  # type: ignore[return-value]

    @staticmethod
    def check_batch(images: Sequence[np.ndarray]) -> None:
        for index, image in enumerate(images):
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f"image {index} of the batch must be HxWx3 uint8, got {image.shape} {image.dtype}")

    @abstractmethod
    def translate_stack(self, stack: np.ndarray, land_covers: Sequence | None = None) -> np.ndarray:
        """NxHxWx3 uint8 -> NxHxW uint8."""
