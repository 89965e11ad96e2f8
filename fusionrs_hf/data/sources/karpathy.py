"""Karpathy-format caption JSON (`images[].filename/imgid/split/sentences[].raw`) plus an image folder:
the format UCM-Captions, Sydney-Captions and RSICD ship in."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Iterator

from ..schema import SourceRecord, normalise_split
from .errors import SourceError

UCM_CLASSES = sorted(
    "agricultural airplane baseballdiamond beach buildings chaparral denseresidential forest freeway "
    "golfcourse harbor intersection mediumresidential mobilehomepark overpass parkinglot river runway "
    "sparseresidential storagetanks tenniscourt".split()
)
_PREFIXED_NAME = re.compile(r"^([A-Za-z][A-Za-z_\-]*?)[_\-]?\d+$")


def class_from_entry(dataset: str, entry: dict) -> str | None:
    """The scene class, when the source tells it: an explicit key, an RSICD-style `class_12.jpg`
    filename, or UCM-Captions' numbering (image N is class (N-1)//100 of the sorted 21 classes)."""
    for key in ("class", "class_name", "label", "category"):
        if entry.get(key):
            return str(entry[key])
    stem = Path(str(entry.get("filename", ""))).stem
    if dataset.lower() in ("ucm", "ucm_captions", "ucm-captions") and stem.isdigit():
        index = (int(stem) - 1) // 100
        return UCM_CLASSES[index] if 0 <= index < len(UCM_CLASSES) else None
    match = _PREFIXED_NAME.match(stem)
    return match.group(1).lower() if match else None


@functools.lru_cache(maxsize=4)
def _read_json(path: Path, mtime_ns: int) -> dict:
    """Parsed once per process and file version: the builder walks a source once per shard."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SourceError(f"{path}: malformed JSON ({err})") from err


def iter_karpathy(json_path: str | Path, image_root: str | Path | None = None) -> Iterator[SourceRecord]:
    json_path = Path(json_path)
    if not json_path.is_file():
        raise SourceError(f"caption file not found: {json_path}")
    data = _read_json(json_path, json_path.stat().st_mtime_ns)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise SourceError(f"{json_path}: not a Karpathy caption file (expected a top-level 'images' list)")
    root = Path(image_root) if image_root else json_path.parent / "images"
    if not root.is_dir():
        raise SourceError(f"{json_path}: image folder not found: {root} (pass --image-root)")
    dataset = str(data.get("dataset") or json_path.stem)
    for position, entry in enumerate(data["images"]):
        origin = f"{json_path}#images[{position}]"
        if not isinstance(entry, dict) or "filename" not in entry:
            # yielded with no image so the builder rejects (and counts) it rather than losing it
            yield SourceRecord(dataset, f"entry{position}", None, [], origin=origin,
                               extra={"error": ("malformed_entry", f"{origin}: missing 'filename'")})
            continue
        sentences = entry.get("sentences") or []
        captions = [str(s.get("raw", "")).strip() if isinstance(s, dict) else str(s).strip() for s in sentences]
        try:
            split = normalise_split(entry.get("split"))
        except ValueError as err:
            yield SourceRecord(dataset, str(entry.get("imgid", position)), None, [], origin=origin,
                               extra={"error": ("bad_split", f"{origin}: {err}")})
            continue
        yield SourceRecord(
            source_dataset=dataset,
            source_id=str(entry.get("imgid", position)),
            image=root / entry["filename"],
            captions=captions,
            split=split,
            class_name=class_from_entry(dataset, entry),
            origin=str(root / entry["filename"]),
        )
