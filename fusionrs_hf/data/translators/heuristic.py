"""The default translator: a deterministic, vectorised model of a daytime long-wave infrared
(thermal) aerial view, rendered from the RGB alone.

Each term is a first-order stand-in for what sets a surface's brightness in daytime LWIR:

- solar absorption, `1 - luminance`: dark surfaces (asphalt, dark roofs) absorb more sunlight
  and read bright; light roofs and concrete read darker. This is why an IR view is not a grey copy.
- vegetation, from the excess-green index: transpiration keeps canopies and lawns cool, so
  vegetated land reads dark against bare ground.
- water, blue-dominant and dark: high heat capacity keeps water cool and uniform in the day.
- cast shadow, pixels much darker than their neighbourhood (a box mean of about 13 px): ground
  out of the sun reads dark.
- dry bare soil and sand, red-dominant and unvegetated: heats quickly, reads bright.
- thermal resolution and blur: thermal imagers resolve far less detail than RGB cameras and heat
  spreads across boundaries, so the map is rendered at half the input resolution (2x2 block means),
  smoothed, and upsampled bilinearly back to the input size. This also makes it ~4x cheaper.
- automatic gain control: thermal cameras stretch each frame to their display range; we map the
  1st..99th percentile of each image to 0..255, with a cap on the gain (as real AGC has) so a
  uniform scene stays flat instead of turning its noise into contrast.

The weights were set by eye on UCM aerial tiles (vegetation, water, roads, roofs and shadows
separating as in aerial thermal imagery); this is an infrared-*style* rendering, not a calibrated
temperature estimate.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.ndimage import gaussian_filter

from ..images import upsample_bilinear
from ..land_cover import LandCover, analyse_land_cover
from .base import Translator

_EPS = 1e-6  # guards the gain against a constant image


class ThermalHeuristicTranslator(Translator):
    name = "thermal-heuristic"
    version = "1.0"
    description = (
        "A deterministic model of a daytime long-wave infrared aerial view rendered from the RGB: solar "
        "absorption (dark surfaces read bright), darkening of vegetation (excess-green index), water and cast "
        "shadows, brightening of dry bare soil, rendering at half resolution with a thermal blur (sigma 1.2 px) "
        "and per-image automatic gain control with a gain cap. The weights were set by eye on aerial tiles; the output is infrared-style, "
        "not a temperature."
    )

    def __init__(
        self,
        absorption_weight: float = 0.55,
        vegetation_weight: float = 0.45,
        water_weight: float = 0.45,
        shadow_weight: float = 0.35,
        soil_weight: float = 0.25,
        blur_sigma: float = 1.2,
        gain_percentiles: tuple[float, float] = (1.0, 99.0),
        min_gain_span: float = 0.45,
    ):
        self.absorption_weight = absorption_weight
        self.vegetation_weight = vegetation_weight
        self.water_weight = water_weight
        self.shadow_weight = shadow_weight
        self.soil_weight = soil_weight
        self.blur_sigma = blur_sigma
        self.gain_percentiles = gain_percentiles
        self.min_gain_span = min_gain_span

    def translate(self, images: Sequence[np.ndarray], land_covers: Sequence[LandCover] | None = None) -> list[np.ndarray]:
        """Image by image (every term is a whole-array numpy or scipy operation), so images of any
        sizes mix in a batch and nothing is stacked."""
        self.check_batch(images)
        covers = land_covers if land_covers is not None else [analyse_land_cover(image) for image in images]
        return [self.render(cover, *image.shape[:2]) for image, cover in zip(images, covers)]

    def translate_stack(self, stack: np.ndarray, land_covers: Sequence[LandCover] | None = None) -> np.ndarray:
        return np.stack(self.translate(list(stack), land_covers))

    def render(self, cover: LandCover, height: int, width: int) -> np.ndarray:
        """One image's land covers (at analysis resolution) -> its HxW uint8 infrared-style view."""
        masks = cover.masks
        signal = (
            self.absorption_weight * (1.0 - masks["luminance"])
            + self.soil_weight * masks["soil"]
            - self.vegetation_weight * masks["vegetation"]
            - self.water_weight * masks["water"]
            - self.shadow_weight * masks["shadow"]
        )
        if self.blur_sigma > 0:
            signal = gaussian_filter(signal, sigma=self.blur_sigma / cover.factor)
        low, high = np.percentile(signal, self.gain_percentiles)
        # gain cap: a uniform scene (a forest, open water) keeps a narrow range instead of
        # having its noise stretched to full contrast
        span = max(high - low, self.min_gain_span)
        low = (high + low - span) / 2.0
        stretched = upsample_bilinear(((signal - low) / span)[None], height, width, cover.factor)[0]
        return np.clip(np.rint(stretched * 255.0), 0, 255).astype(np.uint8)
