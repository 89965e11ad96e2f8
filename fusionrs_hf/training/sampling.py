"""Class-grouped batches: each batch holds a few classes with several images of each, so the contrastive
losses see many same-class negatives (the look-alike images a caption has to be told apart from)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence

import torch


class ClassGroupedSampler(torch.utils.data.Sampler[int]):
    """Yields every index once per epoch, ordered so that consecutive runs of `batch_size // classes_per_batch`
    indices share a class: batches of `batch_size` taken in order hold about `classes_per_batch` classes.

    Each class's indices are shuffled and cut into chunks, and the chunks of all classes are shuffled together.
    A class whose size is not a multiple of the chunk size leaves a shorter chunk, after which chunks straddle
    batch boundaries: batches stay grouped by class, only not exactly `classes_per_batch` of them.
    Records without a class (None) form a group of their own. A fresh order every epoch, reproducible by seed."""

    def __init__(self, class_names: Sequence[str | None], batch_size: int, classes_per_batch: int, seed: int = 0):
        if classes_per_batch < 1 or batch_size % classes_per_batch:
            raise ValueError(f"classes_per_batch ({classes_per_batch}) must be a positive divisor of the batch size "
                             f"({batch_size})")
        self.chunk_size = batch_size // classes_per_batch
        self.groups: dict[str | None, list[int]] = defaultdict(list)
        for index, name in enumerate(class_names):
            self.groups[name].append(index)
        self.length = len(class_names)
        self.rng = random.Random(seed)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[int]:
        chunks = []
        for indices in self.groups.values():
            indices = list(indices)
            self.rng.shuffle(indices)
            chunks += [indices[i:i + self.chunk_size] for i in range(0, len(indices), self.chunk_size)]
        self.rng.shuffle(chunks)
        return iter([index for chunk in chunks for index in chunk])
