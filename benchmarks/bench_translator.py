"""Inference throughput of the learned translator against the builder's default translator, at 256x256 on
one CPU thread, in one run.

    python benchmarks/bench_translator.py --model outputs/translator-small [--images 64]

Both translate the same real UCM aerial tiles (256x256) through the builder's translator interface.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fusionrs_hf.data.translators import get_translator


def images_per_second(translator, images, batch_size: int, repeats: int) -> float:
    translator.translate(images[:batch_size])  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(images), batch_size):
            translator.translate(images[i:i + batch_size])
        times.append(time.perf_counter() - start)
    return len(images) / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="learned translator folder or Hub id")
    parser.add_argument("--data", default=os.environ.get("FUSIONRS_DATA", "../shared/data"))
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    paths = sorted((Path(args.data) / "ucm_captions" / "images").glob("*.jpg"))[:: 1890 // args.images][: args.images]
    images = [np.asarray(Image.open(p).convert("RGB").resize((256, 256))) for p in paths]
    default = images_per_second(get_translator(), images, args.batch_size, args.repeats)
    learned_translator = get_translator(args.model)
    learned = images_per_second(learned_translator, images, args.batch_size, args.repeats)
    print(f"{len(images)} images at 256x256, 1 CPU thread, batch {args.batch_size}, median of {args.repeats}")
    print(f"default ({get_translator().id}): {default:8.1f} images/s")
    print(f"learned ({learned_translator.id}): {learned:8.1f} images/s")
    print(f"learned / default throughput ratio: {learned / default:.3f}")


if __name__ == "__main__":
    main()
