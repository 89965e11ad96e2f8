"""`fusionrs build`."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    from ..data.images import DEFAULT_MAX_PIXELS
    from ..data.translators import DEFAULT_TRANSLATOR

    parser = subparsers.add_parser("build", help="build a FusionRS dataset (RGB + IR-style view + captions)")
    parser.add_argument("--source", action="append", required=True,
                        help="Karpathy caption JSON, JSONL of captions beside an image folder, or a dataset folder / "
                             "Hub id that datasets.load_dataset opens; repeat for several sources")
    parser.add_argument("--out", required=True, help="output folder (Parquet shards + README.md dataset card)")
    parser.add_argument("--image-root", help="image folder of a Karpathy/JSONL source (default: images/ beside the JSON)")
    parser.add_argument("--image-column", default="image", help="image column of a datasets source")
    parser.add_argument("--caption-column", default="captions", help="caption column of a datasets source")
    parser.add_argument("--translator", default=DEFAULT_TRANSLATOR, help="translator name or model path / Hub id")
    parser.add_argument("--captioner", default="template",
                        help="'template' (measured templates) or a text-generation model path / Hub id")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="at most N records per source")
    parser.add_argument("--num-proc", type=int, default=1, help="worker processes")
    parser.add_argument("--num-shards", type=int, help="total shards (default: one per --records-per-shard)")
    parser.add_argument("--shard-index", type=int, help="build only this shard (for job arrays)")
    parser.add_argument("--records-per-shard", type=int, default=500)
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="reject larger images")
    parser.add_argument("--card-template", help="dataset card template (default: dataset_card/template.md)")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="push the finished dataset and card to this Hub repo")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..data.build import BuildConfig, SourceSpec, build_dataset
    from ..data.card import write_dataset_card
    from ..hub import push_dataset_folder

    config = BuildConfig(
        sources=[SourceSpec(s, args.image_root, args.image_column, args.caption_column) for s in args.source],
        out_dir=args.out, translator=args.translator, captioner=args.captioner, seed=args.seed, limit=args.limit,
        num_proc=args.num_proc, num_shards=args.num_shards, shard_index=args.shard_index,
        records_per_shard=args.records_per_shard, max_pixels=args.max_pixels, card_template=args.card_template,
    )
    summary = build_dataset(config)
    print(json.dumps(summary.as_dict(), indent=2))
    if not summary.complete:
        print(f"{summary.shards_done}/{summary.num_shards} shards done; the card is written when all are in.")
        return 0
    print(f"records in {summary.records_in} = written {summary.written} + rejected {summary.rejected} "
          f"({args.out}/rejects.jsonl); {summary.images_per_second} images/s")
    if args.push_to_hub:
        write_dataset_card(config, summary, repo_id=args.push_to_hub)  # the card's snippets name the repo
        url = push_dataset_folder(args.out, args.push_to_hub)
        print(f"pushed to {url}")
    return 0
