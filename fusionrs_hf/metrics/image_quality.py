"""PSNR and SSIM of 8-bit single-channel images, as the image-translation literature reports them
(SSIM: Wang et al. 2004, 11-tap Gaussian window with sigma 1.5, K1 0.01, K2 0.03, data range 255,
mean over the image without the 5-pixel border the window cannot cover, as scikit-image does)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

DATA_RANGE = 255.0


def psnr(prediction: np.ndarray, target: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB; identical images give +inf."""
    _check(prediction, target)
    mse = np.mean((prediction.astype(np.float64) - target.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(DATA_RANGE**2 / mse))


def ssim(prediction: np.ndarray, target: np.ndarray, sigma: float = 1.5) -> float:
    _check(prediction, target)
    x, y = prediction.astype(np.float64), target.astype(np.float64)
    blur = lambda image: gaussian_filter(image, sigma, truncate=3.5)  # noqa: E731 - radius 5: an 11-tap window
    mu_x, mu_y = blur(x), blur(y)
    var_x, var_y = blur(x * x) - mu_x**2, blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * DATA_RANGE) ** 2, (0.03 * DATA_RANGE) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    border = 5
    return float(ssim_map[border:-border, border:-border].mean())


def _check(prediction: np.ndarray, target: np.ndarray) -> None:
    if prediction.shape != target.shape or prediction.ndim != 2:
        raise ValueError(f"expected two HxW images of one size, got {prediction.shape} and {target.shape}")
