"""`fusionrs quickstart`."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser("quickstart", help="build the dataset, train and evaluate every model, summarise")
    parser.add_argument("--source", required=True, help="a source for `fusionrs build` (path or Hub id)")
    parser.add_argument("--out", required=True, help="output folder: data/, clip/, vlm/, translator/, summary.json")
    parser.add_argument("--pairs", help="real rgb/ + ir/ pairs: also train and evaluate the learned translator")
    parser.add_argument("--image-root", help="image folder of a Karpathy/JSONL source")
    parser.add_argument("--preset", default="small", choices=["tiny", "small", "base"])
    parser.add_argument("--limit", type=int, help="at most N source records (for a quick look)")
    parser.add_argument("--num-proc", type=int, default=1)
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..quickstart import run_quickstart, summary_table

    summary = run_quickstart(args.source, args.out, pairs=args.pairs, preset=args.preset, limit=args.limit,
                             num_proc=args.num_proc, image_root=args.image_root)
    print(summary_table(summary))
    print(f"\nsummary: {args.out}/summary.json\nlaunch the Space on these models:\n"
          f"  fusionrs space --clip {args.out}/clip --vlm {args.out}/vlm --captions {args.out}/data")
    return 0
