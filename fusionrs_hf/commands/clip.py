"""`fusionrs train-clip` and `fusionrs eval-retrieval`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers) -> None:
    train = subparsers.add_parser("train-clip", help="train FusionRSCLIPModel on a FusionRS dataset (Trainer)")
    train.add_argument("--data", required=True, help="FusionRS dataset folder or Hub id")
    train.add_argument("--out", required=True, help="output folder: model, processor, card, metrics, checkpoints")
    train.add_argument("--preset", default="small", choices=["tiny", "small", "base"])
    train.add_argument("--mode", default="trimodal", choices=["rgb_only", "dual_text", "trimodal", "trimodal_fused"])
    train.add_argument("--ir-text", default="ir_captions", choices=["ir_captions", "captions"],
                       help="captions paired with the IR view: IR-aware (default) or scene")
    train.add_argument("--init-from-clip", metavar="CLIP", help="start from a transformers CLIPModel folder or Hub id")
    train.add_argument("--lora", action="store_true", help="train LoRA adapters on the towers (merged on save)")
    train.add_argument("--separate-ir-tower", action="store_true")
    train.add_argument("--loss", default="infonce", choices=["infonce", "siglip"])
    train.add_argument("--dedupe-text-negatives", action=argparse.BooleanOptionalAction, default=None,
                       help="records with identical captions are left out of each other's negatives "
                            "(default: the preset's)")
    train.add_argument("--separate-rgb-ir-temperature", action=argparse.BooleanOptionalAction, default=None,
                       help="the RGB<->IR term learns its own temperature (default: the preset's)")
    train.add_argument("--loss-weights", type=_loss_weights, metavar="TERM=W,...",
                       help="override the mode's loss weights, e.g. rgb_text=2,rgb_ir=1 "
                            "(replaces the preset's weights)")
    train.add_argument("--image-size", type=int,
                       help="input resolution of a from-scratch model (default: the preset's)")
    train.add_argument("--vision-hidden-sizes", type=_int_list, metavar="N,N,...",
                       help="ResNet stage widths of a from-scratch model (one block per stage)")
    train.add_argument("--class-loss-weight", type=float, metavar="W",
                       help="add W x a supervised contrastive loss over the image embeddings with the dataset's "
                            "class_name labels (0: off)")
    train.add_argument("--ema-decay", type=float, metavar="D",
                       help="save the exponential moving average of the weights (decay D, e.g. 0.98; 0: off)")
    train.add_argument("--epochs", type=float)
    train.add_argument("--max-steps", type=int, default=-1)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--max-train-samples", type=int)
    train.add_argument("--no-augment", action="store_true", help="turn off flips and 90-degree rotations")
    train.add_argument("--eval-split", default="validation", help="split to score after training ('' to skip)")
    train.add_argument("--text-root", help="extra caption text for the tokenizer (default $FUSIONRS_DATA/text)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--push-to-hub", metavar="REPO_ID")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("eval-retrieval", help="R@1/5/10 of a FusionRSCLIPModel on a FusionRS split")
    evaluate.add_argument("--model", required=True, help="model folder or Hub id")
    evaluate.add_argument("--data", required=True, help="FusionRS dataset folder or Hub id")
    evaluate.add_argument("--split", default="validation")
    evaluate.add_argument("--output", help="write the metrics JSON here")
    evaluate.add_argument("--batch-size", type=int, default=128)
    evaluate.add_argument("--by-class", action="store_true",
                          help="also report how much of the RGB<->text error is class confusion (needs class_name)")
    evaluate.set_defaults(func=run_eval)


def _loss_weights(text: str) -> dict[str, float]:
    weights = {}
    for item in filter(None, text.split(",")):
        name, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected TERM=WEIGHT, got {item!r}")
        weights[name.strip()] = float(value)
    return weights


def _int_list(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def run_train(args) -> int:
    from ..training.clip import metrics_table, train_clip

    summary = train_clip(
        args.data, args.out, preset=args.preset, mode=args.mode, ir_text=args.ir_text,
        init_from_clip=args.init_from_clip, lora=args.lora, epochs=args.epochs, max_steps=args.max_steps,
        batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed,
        eval_split=args.eval_split or None, text_root=args.text_root, max_train_samples=args.max_train_samples,
        separate_ir_tower=args.separate_ir_tower, loss_type=args.loss, augment=not args.no_augment,
        push_to_hub=args.push_to_hub, dedupe_text_negatives=args.dedupe_text_negatives,
        separate_rgb_ir_temperature=args.separate_rgb_ir_temperature,
        loss_weights=args.loss_weights, image_size=args.image_size, vision_hidden_sizes=args.vision_hidden_sizes,
        class_loss_weight=args.class_loss_weight, ema_decay=args.ema_decay)
    print(f"trained {summary['steps']} steps in {summary['train_seconds']} s; saved to {args.out}")
    if "metrics" in summary:
        print(metrics_table(summary["metrics"]))
    return 0


def run_eval(args) -> int:
    from ..training.clip import evaluate_checkpoint, metrics_table

    metrics = evaluate_checkpoint(args.model, args.data, args.split, args.batch_size, by_class=args.by_class)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(metrics, indent=2))
    print(metrics_table(metrics))
    if "rgb_text_by_class" in metrics:
        print(json.dumps(metrics["rgb_text_by_class"], indent=2))
    return 0
