"""Measurements of an infrared-style view: the facts the IR-aware captions are allowed to state."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# 3x3 grid cell names, row-major, as a caption says them
GRID_NAMES = (
    "upper left", "top", "upper right",
    "left side", "centre", "right side",
    "lower left", "bottom", "lower right",
)
EDGE_THRESHOLD = 20.0  # grey-level step between neighbouring pixels that counts as an outline
LOW_TEXTURE_STD = 6.0  # standard deviation below which an 8x8 block counts as smooth
TEXTURE_BLOCK = 8
SCALAR_STATS = ("mean", "std", "p05", "p95", "edge_density", "low_texture_fraction", "bright_fraction",
                "dark_fraction")
MIN_REGION_FRACTION = 0.03  # a land cover covering less than this is not described


@dataclass
class IRMeasurements:
    mean: float
    std: float
    p05: float
    p95: float
    edge_density: float
    low_texture_fraction: float
    bright_fraction: float
    dark_fraction: float
    grid_means: list[float] = field(default_factory=list)
    # land cover -> (area fraction, mean IR inside minus mean IR outside)
    regions: dict[str, tuple[float, float]] = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """The scalar statistics written to the dataset's `ir_stats` column."""
        return {name: round(float(getattr(self, name)), 4) for name in SCALAR_STATS}


def measure_ir(ir: np.ndarray, masks: dict[str, np.ndarray] | None = None) -> IRMeasurements:
    """`ir`: HxW uint8; `masks`: land cover -> HxW soft mask in 0..1 (from the RGB view)."""
    values = ir.astype(np.float32)
    step = np.maximum(np.abs(np.diff(values, axis=0))[:, :-1], np.abs(np.diff(values, axis=1))[:-1, :])
    height, width = values.shape
    rows_cut, cols_cut = height - height % TEXTURE_BLOCK, width - width % TEXTURE_BLOCK
    blocks = values[:rows_cut, :cols_cut].reshape(rows_cut // TEXTURE_BLOCK, TEXTURE_BLOCK, cols_cut // TEXTURE_BLOCK, TEXTURE_BLOCK)
    block_std = blocks.std(axis=(1, 3)) if blocks.size else np.zeros(1)
    rows = np.array_split(np.arange(height), 3)
    cols = np.array_split(np.arange(width), 3)
    grid = [float(values[r[0]:r[-1] + 1, c[0]:c[-1] + 1].mean()) for r in rows for c in cols]
    regions = {}
    for name, mask in (masks or {}).items():
        if name == "luminance":
            continue
        weight = mask.astype(np.float32)
        area = float(weight.mean())
        if area < MIN_REGION_FRACTION or area > 1.0 - MIN_REGION_FRACTION:
            continue
        weighted = float((values * weight).sum())
        inside = weighted / float(weight.sum())
        outside = (float(values.sum()) - weighted) / float((1.0 - weight).sum())
        regions[name] = (area, inside - outside)
    # percentiles of a uint8 image from its histogram: exact and far cheaper than sorting
    cumulative = np.cumsum(np.bincount(ir.ravel(), minlength=256)) / ir.size
    p05, p95 = np.searchsorted(cumulative, 0.05), np.searchsorted(cumulative, 0.95)
    return IRMeasurements(
        mean=float(values.mean()),
        std=float(values.std()),
        p05=float(p05),
        p95=float(p95),
        edge_density=float((step > EDGE_THRESHOLD).mean()) if step.size else 0.0,
        low_texture_fraction=float((block_std < LOW_TEXTURE_STD).mean()),
        bright_fraction=float((values >= 170).mean()),
        dark_fraction=float((values <= 85).mean()),
        grid_means=grid,
        regions=regions,
    )
