"""Soft land-cover masks from RGB, shared by the default translator (which renders each cover
the way daytime infrared shows it) and the IR-aware captioner (which measures the IR view inside
the region a caption noun names)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter

from .images import box_reduce

_EPS = 1e-6
LAND_COVERS = ("vegetation", "water", "shadow", "soil", "pavement")


def land_cover_masks(stack: np.ndarray, shadow_context: int = 13) -> dict[str, np.ndarray]:
    """NxHxWx3 uint8 -> {"luminance", *LAND_COVERS}: NxHxW float32 maps in 0..1.

    vegetation: excess-green index; water: blue over red and dark; shadow: much darker than the
    mean of its `shadow_context`-pixel neighbourhood; soil: red over blue and unvegetated;
    pavement: unsaturated, not vegetation, water or shadow (roads, runways, parking lots)."""
    rgb = stack.astype(np.float32) / 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    excess_green = (2.0 * green - red - blue) / (red + green + blue + _EPS)
    vegetation = np.clip((excess_green - 0.03) / 0.15, 0.0, 1.0)
    blue_over_red = (blue - red) / (blue + red + _EPS)
    water = np.clip((blue_over_red - 0.02) / 0.12, 0.0, 1.0) * np.clip((0.45 - luminance) / 0.2, 0.0, 1.0)
    water *= 1.0 - vegetation
    context = uniform_filter(luminance, size=(1, shadow_context, shadow_context))
    shadow = np.clip((context - luminance - 0.06) / 0.12, 0.0, 1.0) * np.clip((0.3 - luminance) / 0.15, 0.0, 1.0)
    soil = np.clip((-blue_over_red - 0.05) / 0.2, 0.0, 1.0) * (1.0 - vegetation) * (1.0 - shadow)
    brightest = np.maximum(np.maximum(red, green), blue)
    saturation = (brightest - np.minimum(np.minimum(red, green), blue)) / (brightest + _EPS)
    pavement = np.clip((0.18 - saturation) / 0.1, 0.0, 1.0) * (1.0 - vegetation) * (1.0 - water) * (1.0 - shadow)
    return {
        "luminance": luminance,
        "vegetation": vegetation,
        "water": water,
        "shadow": shadow,
        "soil": soil,
        "pavement": pavement,
    }


ANALYSIS_FACTOR = 2  # land covers and IR facts are analysed at half resolution: they need no more


@dataclass
class LandCover:
    """An image's land covers at analysis resolution (`factor` x `factor` box means of the RGB)."""

    factor: int
    masks: dict[str, np.ndarray]  # h x w float32 maps, see `land_cover_masks`


def analysis_factor(height: int, width: int) -> int:
    return ANALYSIS_FACTOR if min(height, width) >= 16 * ANALYSIS_FACTOR else 1


def analyse_land_cover(rgb: np.ndarray) -> LandCover:
    """HxWx3 uint8 -> its LandCover; shared by the default translator and the IR-aware captioner."""
    factor = analysis_factor(*rgb.shape[:2])
    masks = land_cover_masks(box_reduce(rgb[None], factor), shadow_context=13 // factor | 1)
    return LandCover(factor, {name: mask[0] for name, mask in masks.items()})
