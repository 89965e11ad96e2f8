"""Training-step time of the `small` FusionRSCLIP preset with its ResNet tower fed channels-last images (the
model's default for convolutional towers) against the same model on plain NCHW images.

One model, the same weights and inputs (a real-size batch: B RGB + B IR images at 128 px, B scene captions of
24 tokens and B IR-aware captions of 80); steps alternate between the two layouts so machine noise hits
both; the ratio of medians is printed.

    .venv/bin/python benchmarks/bench_channels_last.py [--batch 128] [--steps 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from fusionrs_hf.models import FusionRSCLIPConfig, FusionRSCLIPModel
from fusionrs_hf.training.clip import TRAIN_PRESETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(0)
    config = FusionRSCLIPConfig.from_preset(
        "small", text_config={"vocab_size": 4096, "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 3},
        loss_weights=TRAIN_PRESETS["small"]["loss_weights"],
        separate_rgb_ir_temperature=TRAIN_PRESETS["small"]["separate_rgb_ir_temperature"])
    model = FusionRSCLIPModel(config).train()
    b, size = args.batch, config.image_size
    inputs = {"input_ids": torch.randint(4, 4096, (b, 24)), "ir_input_ids": torch.randint(4, 4096, (b, 80)),
              "pixel_values": torch.randn(b, 3, size, size), "ir_pixel_values": torch.randn(b, 3, size, size),
              "return_loss": True}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times: dict[str, list[float]] = {"channels-last": [], "NCHW": []}
    for step in range(args.warmup + args.steps):
        for name in times:
            model.vision_channels_last = name == "channels-last"
            start = time.perf_counter()
            model(**inputs).loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if step >= args.warmup:
                times[name].append(time.perf_counter() - start)

    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"small preset, batch {b} (x2 images at {size} px), {args.steps} steps, torch threads "
          f"{torch.get_num_threads()}")
    for name, value in med.items():
        print(f"{name:>14}: {1000 * value:.1f} ms/step (median)")
    print(f"speed-up channels-last over NCHW: {med['NCHW'] / med['channels-last']:.2f}x")


if __name__ == "__main__":
    main()
