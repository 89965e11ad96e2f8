"""Measurements of an infrared-style view: the facts the IR-aware captions are allowed to state."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.ndimage import sobel, uniform_filter

# 3x3 grid cell names, row-major, as a caption says them
GRID_NAMES = (
    "upper left", "top", "upper right",
    "left side", "centre", "right side",
    "lower left", "bottom", "lower right",
)
EDGE_THRESHOLD = 40.0  # Sobel magnitude (0..255 scale) that counts as an outline
LOW_TEXTURE_STD = 6.0  # local standard deviation below which a 9x9 patch counts as smooth
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
        return {k: round(float(v), 4) for k, v in asdict(self).items() if k not in ("grid_means", "regions")}


def measure_ir(ir: np.ndarray, masks: dict[str, np.ndarray] | None = None) -> IRMeasurements:
    """`ir`: HxW uint8; `masks`: land cover -> HxW soft mask in 0..1 (from the RGB view)."""
    values = ir.astype(np.float32)
    gradient = np.hypot(sobel(values, axis=0), sobel(values, axis=1)) / 4.0
    local_mean = uniform_filter(values, 9)
    local_var = np.maximum(uniform_filter(values * values, 9) - local_mean * local_mean, 0.0)
    height, width = values.shape
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
        inside = float((values * weight).sum() / weight.sum())
        outside = float((values * (1.0 - weight)).sum() / (1.0 - weight).sum())
        regions[name] = (area, inside - outside)
    p05, p95 = np.percentile(values, [5, 95])
    return IRMeasurements(
        mean=float(values.mean()),
        std=float(values.std()),
        p05=float(p05),
        p95=float(p95),
        edge_density=float((gradient > EDGE_THRESHOLD).mean()),
        low_texture_fraction=float((local_var < LOW_TEXTURE_STD**2).mean()),
        bright_fraction=float((values >= 170).mean()),
        dark_fraction=float((values <= 85).mean()),
        grid_means=grid,
        regions=regions,
    )
