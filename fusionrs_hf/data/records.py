"""Turning one batch of source records into FusionRS rows: decode, translate, measure, caption, filter."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .claims_filter import ClaimsFilter
from .images import RecordError, box_reduce, encode_png, encode_rgb, load_rgb, open_image
from .ir_stats import IRMeasurements, measure_ir
from .land_cover import LandCover, analyse_land_cover
from .schema import SourceRecord


@dataclass
class Reject:
    sample_id: str
    origin: str
    reason: str
    detail: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class BatchResult:
    rows: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    claims: ClaimsFilter = field(default_factory=ClaimsFilter)
    caption_fallbacks: Counter = field(default_factory=Counter)  # language-model answers replaced, by reason
    translator: str = ""  # ids of what made the rows, reported by the worker that made them
    captioner: str = ""


def read_source_bytes(record: SourceRecord):
    """The record's image as raw encoded bytes where it has them (else the in-memory image)."""
    if "error" in record.extra:
        raise RecordError(*record.extra["error"])
    if record.image is None:
        raise RecordError("missing_image", f"{record.origin}: record has no image")
    raw, image = None, record.image
    if isinstance(image, dict) and not image.get("bytes") and image.get("path"):
        image = image["path"]  # a `datasets` image stored by path
    if isinstance(image, (str, Path)):
        if not Path(image).is_file():
            raise RecordError("missing_file", f"image file not found: {image}")
        raw = Path(image).read_bytes()
    elif isinstance(image, dict):
        raw = image.get("bytes")
    elif isinstance(image, (bytes, bytearray)):
        raw = bytes(image)
    return raw, image


def read_source_image(record: SourceRecord, max_pixels: int):
    """Decode a record's image; returns (rgb array, decoded PIL, raw encoded bytes or None)."""
    raw, image = read_source_bytes(record)
    rgb, pil = load_rgb(raw if raw is not None else image, origin=record.origin, max_pixels=max_pixels)
    return rgb, pil, raw


def read_source_thumbnail(record: SourceRecord, max_pixels: int, size: tuple[int, int] = (64, 64)):
    """A cheap reduced decode (JPEG DCT scaling) for perceptual hashing; limits are still checked."""
    raw, image = read_source_bytes(record)
    return open_image(raw if raw is not None else image, origin=record.origin, max_pixels=max_pixels,
                      draft_size=size)


def clean_captions(record: SourceRecord) -> list[str]:
    captions = [c for c in (str(c).strip() for c in record.captions or []) if c]
    if not captions:
        raise RecordError("no_captions", f"{record.origin}: empty or missing caption list")
    return captions


def measure_ir_view(rgb: np.ndarray, ir: np.ndarray, land_cover: LandCover | None = None) -> IRMeasurements:
    """Measure an IR view inside the land-cover regions of its RGB, at analysis resolution."""
    land_cover = land_cover or analyse_land_cover(rgb)
    return measure_ir(box_reduce(ir[None], land_cover.factor)[0], land_cover.masks)


def process_batch(records: list[tuple[SourceRecord, str, str]], translator, captioner, max_pixels: int) -> BatchResult:
    """`records`: (source record, split, group id). Every record ends as a row or a reject."""
    result = BatchResult(translator=translator.id, captioner=captioner.id)
    decoded = []
    for record, split, group in records:
        try:
            captions = clean_captions(record)
            scene = result.claims.keep(captions, support=" ".join(captions))
            if not scene:
                raise RecordError("all_captions_blocked", f"{record.origin}: every scene caption made a blocked claim")
            rgb, pil, raw = read_source_image(record, max_pixels)
        except RecordError as err:
            result.rejects.append(Reject(record.sample_id, record.origin, err.reason, err.detail))
            continue
        decoded.append((record, split, group, scene, rgb, pil, raw))
    if not decoded:
        return result
    land_covers = [analyse_land_cover(item[4]) for item in decoded]
    ir_views = translator.translate([item[4] for item in decoded], land_covers)
    for (record, split, group, scene, rgb, pil, raw), ir, land_cover in zip(decoded, ir_views, land_covers):
        if ir.shape != rgb.shape[:2] or ir.dtype != np.uint8:
            raise RuntimeError(f"translator {translator.id} returned {ir.shape} {ir.dtype} for a {rgb.shape[:2]} image")
        measurements = measure_ir_view(rgb, ir, land_cover)
        ir_captions = result.claims.keep(captioner.caption(record.sample_id, scene, measurements), support=" ".join(scene))
        if not ir_captions:
            result.rejects.append(Reject(record.sample_id, record.origin, "all_ir_captions_blocked",
                                         f"{record.origin}: every IR-aware caption made a blocked claim"))
            continue
        result.rows.append(
            {
                "sample_id": record.sample_id,
                "source_dataset": record.source_dataset,
                "source_id": record.source_id,
                "split": split,
                "rgb": {"bytes": encode_rgb(rgb, pil, raw), "path": None},
                "ir": {"bytes": encode_png(ir), "path": None},
                "captions": scene,
                "ir_captions": ir_captions,
                "class_name": record.class_name,
                "group_id": group,
                "translator": translator.id,
                "ir_stats": measurements.summary(),
            }
        )
    fallbacks = getattr(captioner, "fallbacks", None)
    if fallbacks:
        result.caption_fallbacks.update(fallbacks)
        fallbacks.clear()
    return result
