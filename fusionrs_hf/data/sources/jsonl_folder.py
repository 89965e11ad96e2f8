"""A plain folder of images with a JSONL of captions, one line per image:
`{"image": "relative/path.jpg", "captions": ["...", ...], "split": "train", "class_name": "..."}`
(`file_name`/`text`/`caption` are accepted too, as in an ImageFolder `metadata.jsonl`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..schema import SourceRecord, normalise_split
from .errors import SourceError


def iter_jsonl_folder(jsonl_path: str | Path, image_root: str | Path | None = None) -> Iterator[SourceRecord]:
    jsonl_path = Path(jsonl_path)
    if not jsonl_path.is_file():
        raise SourceError(f"caption file not found: {jsonl_path}")
    root = Path(image_root) if image_root else jsonl_path.parent
    dataset = jsonl_path.parent.name or jsonl_path.stem
    with jsonl_path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            origin = f"{jsonl_path}:{number}"
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("line is not a JSON object")
                name = row.get("image") or row.get("file_name")
                if not name:
                    raise ValueError("no 'image' or 'file_name' field")
                captions = row.get("captions", row.get("text", row.get("caption")))
                captions = [captions] if isinstance(captions, str) else list(captions or [])
                split = normalise_split(row.get("split"))
            except (ValueError, TypeError) as err:
                yield SourceRecord(dataset, f"line{number}", None, [], origin=origin,
                                   extra={"error": ("malformed_entry", f"{origin}: {err}")})
                continue
            yield SourceRecord(
                source_dataset=dataset,
                source_id=str(row.get("id", Path(name).stem)),
                image=root / name,
                captions=[str(c).strip() for c in captions],
                split=split,
                class_name=row.get("class_name") or row.get("label"),
                origin=str(root / name),
            )
