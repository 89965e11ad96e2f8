"""Any image-caption dataset `datasets.load_dataset` can open: a Hub id (online) or a local
Parquet / ImageFolder path. Each split of the source is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from datasets import ClassLabel

from ..schema import SourceRecord, normalise_split
from .errors import SourceError


def iter_hf_dataset(spec: str, image_column: str = "image", caption_column: str = "captions") -> Iterator[SourceRecord]:
    import datasets

    try:
        dataset_dict = datasets.load_dataset(spec)
    except FileNotFoundError as err:
        raise SourceError(f"dataset not found (no such folder, file or Hub id): {spec} ({err})") from err
    except ConnectionError as err:
        raise SourceError(f"{spec}: not a local folder or file, and the Hub cannot be reached ({err})") from err
    if isinstance(dataset_dict, datasets.Dataset):
        dataset_dict = datasets.DatasetDict({"train": dataset_dict})
    name = Path(spec).name if Path(spec).exists() else spec.replace("/", "__")
    for split_name, split in dataset_dict.items():
        missing = [column for column in (image_column, caption_column) if column not in split.column_names]
        if missing:
            raise SourceError(f"{spec} split {split_name!r}: missing column(s) {missing}; "
                              f"has {split.column_names} (use --image-column / --caption-column)")
        # decode lazily in the builder, where a bad image becomes a counted reject
        split = split.cast_column(image_column, datasets.Image(decode=False))
        for index, row in enumerate(split):
            captions = row[caption_column]
            captions = [captions] if isinstance(captions, str) else list(captions or [])
            yield SourceRecord(
                source_dataset=name,
                source_id=str(row.get("id", f"{split_name}-{index}")),
                image=row[image_column],
                captions=[str(c).strip() for c in captions],
                split=normalise_split(split_name),
                class_name=_class_name(row, split.features),
                origin=f"{spec}[{split_name}][{index}]",
            )


def _class_name(row: dict, features) -> str | None:
    if row.get("class_name"):
        return str(row["class_name"])
    label = row.get("label")
    if isinstance(label, int) and isinstance(features.get("label"), ClassLabel):
        return features["label"].int2str(label)
    return str(label) if isinstance(label, str) else None
