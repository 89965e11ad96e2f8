"""Full FusionRS build vs the I/O floor on the same real images, in one run.

full:  `build_dataset` end to end (plan: decode + hash + group; shards: decode, translate, measure,
       caption, filter, encode, write Parquet; card).
floor: decode each image, encode the two image columns the dataset holds (the RGB as the builder
       does, and a single-channel view: the plain grey conversion), write the same Parquet schema.

    python benchmarks/bench_build.py --source ../shared/data/ucm_captions/dataset_ucm.json --limit 400
Prints images/s for both and full/floor (target >= 0.5 with the default translator).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from datasets import Dataset
from datasets.utils.logging import disable_progress_bar

from fusionrs_hf.data import FUSIONRS_FEATURES, BuildConfig, build_dataset
from fusionrs_hf.data.build import SourceSpec, iter_sources
from fusionrs_hf.data.images import encode_png, encode_rgb
from fusionrs_hf.data.records import clean_captions, read_source_image

ZERO_STATS = {k: 0.0 for k in FUSIONRS_FEATURES["ir_stats"]}


def run_floor(config: BuildConfig, out: Path) -> int:
    rows = []
    for _, _, record in iter_sources(config):
        rgb, pil, raw = read_source_image(record, config.max_pixels)
        rows.append({"sample_id": record.sample_id, "source_dataset": record.source_dataset,
                     "source_id": record.source_id, "split": record.split or "train",
                     "rgb": {"bytes": encode_rgb(rgb, pil, raw), "path": None},
                     "ir": {"bytes": encode_png(__import__("numpy").asarray(pil.convert("L"))), "path": None},
                     "captions": clean_captions(record), "ir_captions": [], "class_name": record.class_name,
                     "group_id": record.sample_id, "translator": "none", "ir_stats": ZERO_STATS})
    out.mkdir(parents=True)
    Dataset.from_list(rows, features=FUSIONRS_FEATURES).to_parquet(str(out / "floor.parquet"))
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True)
    parser.add_argument("--limit", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each; the median is reported")
    parser.add_argument("--translator", default="thermal-heuristic")
    args = parser.parse_args()
    disable_progress_bar()
    floor_times, full_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            config = BuildConfig(sources=[SourceSpec(args.source)], out_dir=f"{tmp}/full{repeat}",
                                 limit=args.limit, translator=args.translator)
            start = time.perf_counter()
            count = run_floor(config, Path(tmp) / f"floor{repeat}")
            floor_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            summary = build_dataset(config)
            full_times.append(time.perf_counter() - start)
            assert summary.written == count, (summary.written, count)
    floor_rate = count / statistics.median(floor_times)
    full_rate = count / statistics.median(full_times)
    print(f"images: {count}, repeats: {args.repeats}, translator: {args.translator}")
    print(f"floor (decode, encode, write):  {floor_rate:8.1f} images/s")
    print(f"full build:                     {full_rate:8.1f} images/s")
    print(f"full / floor throughput ratio:  {full_rate / floor_rate:8.2f}  (target >= 0.5)")


if __name__ == "__main__":
    main()
