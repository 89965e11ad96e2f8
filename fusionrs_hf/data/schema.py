"""The record format of a FusionRS dataset, as `datasets` features and as a source-side record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datasets import Features, Image, List, Value

from .ir_stats import SCALAR_STATS

# Measured IR statistics written with every record: the numbers the IR-aware captions cite.
IR_STAT_FEATURES = {name: Value("float32") for name in SCALAR_STATS}

FUSIONRS_FEATURES = Features(
    {
        "sample_id": Value("string"),
        "source_dataset": Value("string"),
        "source_id": Value("string"),
        "split": Value("string"),
        "rgb": Image(),
        "ir": Image(),
        "captions": List(Value("string")),
        "ir_captions": List(Value("string")),
        "class_name": Value("string"),
        "group_id": Value("string"),
        "translator": Value("string"),
        "ir_stats": IR_STAT_FEATURES,
    }
)

# Source splits are normalised to the names the Hub and `load_dataset` expect.
SPLIT_ALIASES = {"train": "train", "val": "validation", "valid": "validation", "validation": "validation",
                 "dev": "validation", "test": "test", "restval": "train"}


def normalise_split(split: str | None) -> str | None:
    if split is None:
        return None
    key = str(split).strip().lower()
    if key not in SPLIT_ALIASES:
        raise ValueError(f"unknown split name {split!r}; expected one of {sorted(SPLIT_ALIASES)}")
    return SPLIT_ALIASES[key]


@dataclass
class SourceRecord:
    """One image and its scene captions as a source adapter yields it (image not decoded yet).

    `image` is a filesystem path, raw encoded bytes, or a PIL image (for `datasets` sources).
    """

    source_dataset: str
    source_id: str
    image: Any
    captions: list[str]
    split: str | None = None
    class_name: str | None = None
    origin: str = ""  # file or row the record came from, for error messages and reject reports
    extra: dict = field(default_factory=dict)

    @property
    def sample_id(self) -> str:
        return f"{self.source_dataset}-{self.source_id}"
