"""Leakage-free splits: records that are near-duplicate images (perceptual hash) or share a
normalised caption set form one group, and a group never straddles two splits.

Near-duplicate search uses banded hashing: with 64-bit pHashes split into `max_distance + 1`
bands, any two hashes within `max_distance` bits agree exactly on at least one band
(pigeonhole), so only records sharing a band are compared. It scales to millions of records."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import imagehash
import numpy as np
from PIL import Image

DEFAULT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def perceptual_hash(pil: Image.Image) -> int:
    """64-bit DCT hash; imagehash reduces to 32x32 grey first, so a reduced decode gives the same bits
    up to resampling noise (well inside the near-duplicate distance)."""
    return int(str(imagehash.phash(pil)), 16)


def normalise_caption_set(captions: list[str]) -> str:
    """Lowercased, punctuation- and space-normalised, order-free: the key of a caption set."""
    cleaned = sorted({" ".join(re.sub(r"[^a-z0-9 ]+", " ", c.lower()).split()) for c in captions})
    return hashlib.sha1("\n".join(cleaned).encode()).hexdigest()


class _UnionFind:
    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return False
        self.parent[max(root_a, root_b)] = min(root_a, root_b)
        return True


@dataclass
class SplitReport:
    records: int = 0
    groups: int = 0
    multi_record_groups: int = 0
    merges_by_phash: int = 0
    merges_by_caption_set: int = 0
    largest_group: int = 0
    source_splits_kept: bool = False
    groups_crossing_source_splits: int = 0
    records_in_crossing_groups: int = 0
    split_sizes: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def group_records(
    sample_ids: list[str], phashes: list[int], caption_keys: list[str], max_distance: int = 4
) -> tuple[list[str], SplitReport]:
    """Returns each record's group id (the smallest sample id in its group) and the merge counts."""
    size = len(sample_ids)
    union_find = _UnionFind(size)
    report = SplitReport(records=size)
    bands = max_distance + 1
    band_bits = [64 * b // bands for b in range(bands + 1)]
    for band in range(bands):
        low, high = band_bits[band], band_bits[band + 1]
        buckets: dict[int, list[int]] = defaultdict(list)
        for index, value in enumerate(phashes):
            buckets[(value >> low) & ((1 << (high - low)) - 1)].append(index)
        for members in buckets.values():
            if len(members) < 2:
                continue
            hashes = np.array([phashes[i] for i in members], dtype=np.uint64)
            xor = hashes[:, None] ^ hashes[None, :]
            distance = np.unpackbits(xor.view(np.uint8).reshape(len(members), len(members), 8), axis=-1).sum(-1)
            for a, b in zip(*np.nonzero(np.triu(distance <= max_distance, k=1))):
                report.merges_by_phash += union_find.union(members[a], members[b])
    first_with_key: dict[str, int] = {}
    for index, key in enumerate(caption_keys):
        if key in first_with_key:
            report.merges_by_caption_set += union_find.union(first_with_key[key], index)
        else:
            first_with_key[key] = index
    roots = [union_find.find(i) for i in range(size)]
    members_of: dict[int, list[int]] = defaultdict(list)
    for index, root in enumerate(roots):
        members_of[root].append(index)
    group_name = {root: min(sample_ids[i] for i in members) for root, members in members_of.items()}
    sizes = Counter(roots)
    report.groups = len(sizes)
    report.multi_record_groups = sum(1 for n in sizes.values() if n > 1)
    report.largest_group = max(sizes.values(), default=0)
    return [group_name[root] for root in roots], report


def assign_splits(
    group_ids: list[str], source_splits: list[str | None], report: SplitReport, ratios: dict[str, float] | None = None, seed: int = 0
) -> list[str]:
    """Keep the source's splits where it gives them (reporting groups that cross them);
    otherwise place each whole group by a seeded hash of its id, so the assignment is stable."""
    ratios = ratios or DEFAULT_RATIOS
    splits_of_group: dict[str, set] = defaultdict(set)
    for group, split in zip(group_ids, source_splits):
        if split is not None:
            splits_of_group[group].add(split)
    crossing = {group for group, splits in splits_of_group.items() if len(splits) > 1}
    report.source_splits_kept = any(split is not None for split in source_splits)
    report.groups_crossing_source_splits = len(crossing)
    report.records_in_crossing_groups = sum(1 for group in group_ids if group in crossing)
    names, weights = list(ratios), np.cumsum(list(ratios.values())) / sum(ratios.values())
    result = []
    for group, split in zip(group_ids, source_splits):
        if split is None and len(splits_of_group.get(group, ())) == 1:
            split = next(iter(splits_of_group[group]))  # follow the rest of its group
        if split is None:
            digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
            position = int.from_bytes(digest[:8], "big") / 2**64
            split = names[int(np.searchsorted(weights, position, side="right"))]
        result.append(split)
    report.split_sizes = dict(sorted(Counter(result).items()))
    return result
