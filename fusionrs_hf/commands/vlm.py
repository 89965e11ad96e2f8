"""`fusionrs train-vlm` and `fusionrs eval-caption`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers) -> None:
    train = subparsers.add_parser(
        "train-vlm", help="instruction-tune FusionRSVLM on a FusionRS dataset (TRL SFTTrainer)",
        description="Instruction-tune FusionRSVLM with TRL's SFTTrainer, save it with its processor and card, and "
                    "score captioning on --eval-split. On a CPU shared with other jobs, OMP_NUM_THREADS=1 can be "
                    "several times faster than the default (oversubscribed threads stall every small matmul).")
    train.add_argument("--data", required=True, help="FusionRS dataset folder or Hub id")
    train.add_argument("--out", required=True, help="output folder: model, processor, card, metrics, checkpoints")
    train.add_argument("--preset", default="small", choices=["tiny", "small", "base"])
    train.add_argument("--vision-from", metavar="CLIP_DIR", help="start the vision tower from a FusionRSCLIPModel")
    train.add_argument("--language-from", metavar="LM", help="start the language model from a causal-LM folder or Hub id")
    train.add_argument("--freeze-vision", action=argparse.BooleanOptionalAction, default=None,
                       help="keep the vision tower as loaded (default: frozen with --vision-from, trained otherwise)")
    train.add_argument("--lora", action="store_true", help="LoRA on the language model (merged on save)")
    train.add_argument("--epochs", type=float)
    train.add_argument("--max-steps", type=int, default=-1)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--max-train-samples", type=int)
    train.add_argument("--mix", type=json.loads, metavar="JSON",
                       help='task weights, e.g. \'{"rgb_caption": 2, "ir_caption": 1}\' (default: the built-in mix)')
    train.add_argument("--no-augment", action="store_true", help="no flips/rotations on scene-caption tasks")
    train.add_argument("--eval-split", default="validation", help="split to score after training ('' to skip)")
    train.add_argument("--text-root", help="extra caption text for the tokenizer (default $FUSIONRS_DATA/text)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--no-checkpoints", action="store_true", help="skip the per-epoch Trainer checkpoints")
    train.add_argument("--push-to-hub", metavar="REPO_ID")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("eval-caption", help="captioning metrics of a FusionRSVLM on a FusionRS split")
    evaluate.add_argument("--model", required=True, help="model folder or Hub id")
    evaluate.add_argument("--data", required=True, help="FusionRS dataset folder or Hub id")
    evaluate.add_argument("--split", default="validation")
    evaluate.add_argument("--output", help="write the metrics JSON here")
    evaluate.add_argument("--batch-size", type=int, default=64)
    evaluate.add_argument("--num-beams", type=int, default=3, help="1: greedy")
    evaluate.add_argument("--no-repeat-ngram-size", type=int, default=0,
                          help="forbid repeating any n-gram of this size (greedy decoding of small models loops)")
    evaluate.add_argument("--max-samples", type=int)
    evaluate.add_argument("--tasks", nargs="+", default=["rgb_caption", "ir_caption", "dual_caption", "dual_description"],
                          help="captioning tasks to score (the modality check runs on the dual ones among them)")
    evaluate.add_argument("--no-modality-check", action="store_true", help="skip the view-swap check")
    evaluate.set_defaults(func=run_eval)


def run_train(args) -> int:
    from ..training.vlm import metrics_table, modality_table, train_vlm

    summary = train_vlm(
        args.data, args.out, preset=args.preset, vision_from=args.vision_from, language_from=args.language_from,
        lora=args.lora, freeze_vision=args.freeze_vision, epochs=args.epochs, max_steps=args.max_steps,
        batch_size=args.batch_size, learning_rate=args.learning_rate, seed=args.seed, mix=args.mix,
        max_train_samples=args.max_train_samples,
        text_root=args.text_root, augment=not args.no_augment, eval_split=args.eval_split or None,
        save_checkpoints=not args.no_checkpoints, push_to_hub=args.push_to_hub)
    print(f"trained {summary['steps']} steps in {summary['train_seconds']} s; saved to {args.out}")
    if "metrics" in summary:
        print(metrics_table(summary["metrics"]))
        print(modality_table(summary["metrics"]))
    return 0


def run_eval(args) -> int:
    from ..training.vlm import evaluate_checkpoint, metrics_table, modality_table

    metrics = evaluate_checkpoint(args.model, args.data, args.split, batch_size=args.batch_size,
                                  modality_check=not args.no_modality_check, num_beams=args.num_beams,
                                  max_samples=args.max_samples, tasks=args.tasks,
                                  no_repeat_ngram_size=args.no_repeat_ngram_size)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(metrics, indent=2))
    print(metrics_table(metrics))
    print(modality_table(metrics))
    return 0
