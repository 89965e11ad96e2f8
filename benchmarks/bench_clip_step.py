"""Training-step time of FusionRSCLIPModel vs a plain transformers CLIPModel of the same size.

Both get the same towers (CLIP text + CLIP ViT configs) and do the same forward passes per step: the
FusionRS model (trimodal, shared tower) sees B RGB + B IR images and B scene + B IR captions; CLIPModel
sees 2B images and 2B captions. Steps alternate between the two models so machine noise hits both;
the ratio of medians is printed (target <= 1.10).

    .venv/bin/python benchmarks/bench_clip_step.py [--batch 32] [--steps 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import CLIPConfig, CLIPModel

from fusionrs_hf.models import FusionRSCLIPConfig, FusionRSCLIPModel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--seq", type=int, default=32)
    parser.add_argument("--mode", default="trimodal")
    args = parser.parse_args()

    text = {"vocab_size": 4096, "hidden_size": args.hidden, "intermediate_size": 4 * args.hidden,
            "num_hidden_layers": args.layers, "num_attention_heads": 4, "max_position_embeddings": args.seq,
            "bos_token_id": 2, "pad_token_id": 0, "eos_token_id": 3}
    vision = {"hidden_size": args.hidden, "intermediate_size": 4 * args.hidden, "num_hidden_layers": args.layers,
              "num_attention_heads": 4, "image_size": args.image_size, "patch_size": 8}
    torch.manual_seed(0)
    clip = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=args.hidden))
    ours = FusionRSCLIPModel(FusionRSCLIPConfig(
        text_config={"model_type": "clip_text_model", **text}, vision_config={"model_type": "clip_vision_model", **vision},
        projection_dim=args.hidden, mode=args.mode, image_size=args.image_size))
    n_clip = sum(p.numel() for p in clip.parameters())
    n_ours = sum(p.numel() for p in ours.parameters())

    b, s = args.batch, args.seq
    ids = torch.randint(4, 4096, (2 * b, s))
    ids[:, -1] = 3
    mask = torch.ones_like(ids)
    pixels = torch.randn(2 * b, 3, args.image_size, args.image_size)
    clip_inputs = {"input_ids": ids, "attention_mask": mask, "pixel_values": pixels, "return_loss": True}
    our_inputs = {"input_ids": ids[:b], "attention_mask": mask[:b], "ir_input_ids": ids[b:], "ir_attention_mask": mask[b:],
                  "pixel_values": pixels[:b], "ir_pixel_values": pixels[b:], "return_loss": True}
    runs = {"FusionRSCLIPModel": (ours, our_inputs), "CLIPModel": (clip, clip_inputs)}
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=1e-4) for name, (model, _) in runs.items()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for step in range(args.warmup + args.steps):
        for name, (model, inputs) in runs.items():
            start = time.perf_counter()
            model(**inputs).loss.backward()
            optimizers[name].step()
            optimizers[name].zero_grad(set_to_none=True)
            if step >= args.warmup:
                times[name].append(time.perf_counter() - start)

    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"batch {b} (x2 images, x2 captions per step), {args.steps} steps, torch threads {torch.get_num_threads()}")
    print(f"parameters: FusionRSCLIPModel {n_ours / 1e6:.2f} M, CLIPModel {n_clip / 1e6:.2f} M")
    for name, value in med.items():
        print(f"{name:>18}: {1000 * value:.1f} ms/step (median)")
    print(f"ratio FusionRSCLIPModel / CLIPModel: {med['FusionRSCLIPModel'] / med['CLIPModel']:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
