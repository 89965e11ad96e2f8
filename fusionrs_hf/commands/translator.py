"""`fusionrs train-translator` and `fusionrs eval-translator`."""

from __future__ import annotations

import json


def register(subparsers) -> None:
    train = subparsers.add_parser("train-translator", help="train the learned RGB->IR translator on paired folders")
    train.add_argument("--pairs", required=True, help="folder with rgb/NAME and ir/NAME images of the same size")
    train.add_argument("--out", required=True, help="output folder (model, processor, card, metrics.json)")
    train.add_argument("--preset", default="small", choices=["tiny", "small", "base"])
    train.add_argument("--max-steps", type=int, help="override the preset's number of steps")
    train.add_argument("--adversarial-weight", type=float, help="add a PatchGAN adversarial loss with this weight")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--sheet", help="also write a contact sheet PNG of held-out pairs")
    train.add_argument("--push-to-hub", metavar="REPO_ID", help="push the trained model, processor, code and card")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("eval-translator", help="PSNR/SSIM against real IR, with baselines in one run")
    evaluate.add_argument("--model", required=True, help="translator folder, Hub id, or name (e.g. thermal-heuristic)")
    evaluate.add_argument("--pairs", required=True)
    evaluate.add_argument("--split", default="validation", choices=["train", "validation", "all"])
    evaluate.add_argument("--output", required=True, help="metrics JSON")
    evaluate.add_argument("--sheet", help="contact sheet PNG: RGB | real IR | each method")
    evaluate.add_argument("--aerial-images", nargs="+", help="images without real IR (e.g. UCM tiles) to show in ...")
    evaluate.add_argument("--aerial-sheet", help="... this contact sheet PNG: RGB, default translator, model")
    evaluate.set_defaults(func=run_eval)


def run_train(args) -> int:
    from ..training.translator import metrics_table, train_translator

    result = train_translator(args.pairs, args.out, preset=args.preset, max_steps=args.max_steps,
                              adversarial_weight=args.adversarial_weight, seed=args.seed, sheet=args.sheet)
    print(metrics_table(result.metrics))
    print(f"{result.steps} steps in {result.seconds} s; model, card and metrics.json in {args.out}")
    if args.push_to_hub:
        from ..hub import push_model_folder

        print(f"pushed to {push_model_folder(args.out, args.push_to_hub)}")
    return 0


def run_eval(args) -> int:
    from ..training.translator import evaluate_translators, metrics_table

    metrics = evaluate_translators(args.model, args.pairs, split=args.split, sheet=args.sheet)
    with open(args.output, "w") as handle:
        json.dump(metrics, handle, indent=2)
    print(metrics_table(metrics))
    print(f"{metrics['num_pairs']} pairs ({args.split}); written to {args.output}")
    if args.aerial_images and args.aerial_sheet:
        from ..training.translator import aerial_sheet

        aerial_sheet(args.model, args.aerial_images).save(args.aerial_sheet)
        print(f"aerial contact sheet: {args.aerial_sheet}")
    return 0
