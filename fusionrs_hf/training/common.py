"""Pieces the CLIP and VLM trainers share."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def default_text_root() -> Path:
    """Extra caption text for the tokenizers: $FUSIONRS_DATA/text, default ../shared/data/text of the repo."""
    root = os.environ.get("FUSIONRS_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data")
    return Path(root) / "text"


def make_image_processor(image_size: int):
    """CLIP-style resize + centre crop + normalise (the crop is a no-op on square RS tiles)."""
    import transformers

    # the PIL backend needs no torchvision; GPU installs with torchvision may use CLIPImageProcessor
    cls = getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    return cls(size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size})


def flip_rotate(pixels: torch.Tensor, k: int, flip: bool) -> torch.Tensor:
    """One of the 8 symmetries of the square: overhead imagery has no up, so these keep the label.
    (Random crops are left out on purpose: scale separates UCM classes, and crops hurt.)"""
    pixels = torch.rot90(pixels, k, dims=(-2, -1))
    return pixels.flip(-1) if flip else pixels


def preset_hyperparameters(presets: dict, preset: str, **overrides) -> dict:
    """A trainer preset's settings with the given overrides (those that are not None) applied."""
    if preset not in presets:
        raise ValueError(f"preset must be one of {sorted(presets)}")
    return {**presets[preset], **{key: value for key, value in overrides.items() if value is not None}}


def first_records(split, limit: int | None):
    """The first `limit` records of a split (all of them when `limit` is falsy)."""
    return split.select(range(min(limit, len(split)))) if limit else split
