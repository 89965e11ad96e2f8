"""Source adapters: each turns one kind of public captioning data into `SourceRecord`s.

`open_source(spec)` picks the adapter from what `spec` is:
- a `.json` file in the Karpathy format (UCM-Captions, Sydney-Captions, RSICD),
- a `.jsonl` file of `{"image": ..., "captions": [...]}` lines beside a folder of images,
- anything else: a folder or Hub id that `datasets.load_dataset` opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..schema import SourceRecord
from .errors import SourceError
from .hf_dataset import iter_hf_dataset
from .jsonl_folder import iter_jsonl_folder
from .karpathy import iter_karpathy


def open_source(
    spec: str,
    image_root: str | None = None,
    image_column: str = "image",
    caption_column: str = "captions",
    limit: int | None = None,
) -> Iterator[SourceRecord]:
    path = Path(spec)
    if path.suffix.lower() == ".json":
        records = iter_karpathy(path, image_root=image_root)
    elif path.suffix.lower() == ".jsonl":
        records = iter_jsonl_folder(path, image_root=image_root)
    else:
        records = iter_hf_dataset(spec, image_column=image_column, caption_column=caption_column)
    for index, record in enumerate(records):
        if limit is not None and index >= limit:
            break
        yield record


__all__ = ["SourceError", "open_source", "iter_karpathy", "iter_jsonl_folder", "iter_hf_dataset"]
