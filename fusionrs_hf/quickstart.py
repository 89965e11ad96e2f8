"""`fusionrs quickstart`: the whole mission in one command. Build the FusionRS dataset from a source, train
and evaluate FusionRSCLIP and FusionRSVLM (and the learned translator when real RGB/IR pairs are given),
write their cards, and summarise the measured results in DIR/summary.json."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .data import BuildConfig, build_dataset
from .data.build import SourceSpec


def run_quickstart(source: str, out_dir: str, pairs: str | None = None, preset: str = "small",
                   limit: int | None = None, num_proc: int = 1, image_root: str | None = None) -> dict:
    from .training.clip import train_clip
    from .training.translator import train_translator
    from .training.vlm import train_vlm

    out = Path(out_dir)
    timings, summary = {}, {"source": source, "preset": preset}

    def timed(name, function, *args, **kwargs):
        print(f"\n== {name} ==", flush=True)
        start = time.perf_counter()
        result = function(*args, **kwargs)
        timings[name] = round(time.perf_counter() - start, 1)
        return result

    data = str(out / "data")
    built = timed("dataset", build_dataset, BuildConfig(sources=[SourceSpec(source, image_root)], out_dir=data,
                                                         limit=limit, num_proc=num_proc))
    summary["dataset"] = {"path": data, "written_by_split": built.written_by_split, "rejected": built.rejected,
                          "translator": built.translator}
    if pairs:
        translator = timed("translator", train_translator, pairs, str(out / "translator"), preset=preset)
        summary["translator"] = {"path": str(out / "translator"), **translator.metrics}
    clip = timed("clip", train_clip, data, str(out / "clip"), preset=preset, mode="trimodal")
    summary["clip"] = {"path": str(out / "clip"), "steps": clip["steps"], **clip.get("metrics", {})}
    # the VLM starts from the CLIP's vision tower, as the paper's VLM starts from a CLIP encoder
    vlm = timed("vlm", train_vlm, data, str(out / "vlm"), preset=preset, vision_from=str(out / "clip"))
    summary["vlm"] = {"path": str(out / "vlm"), "steps": vlm["steps"], **vlm.get("metrics", {})}
    summary["seconds"] = timings
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def summary_table(summary: dict) -> str:
    lines = ["| part | result |", "|---|---|"]
    dataset = summary["dataset"]
    lines.append(f"| dataset | {dataset['written_by_split']} ({dataset['rejected']} rejected), {dataset['translator']} |")
    if "translator" in summary:
        t = summary["translator"]
        lines.append(f"| translator | PSNR {t['model']['psnr']:.2f} dB / SSIM {t['model']['ssim']:.3f} "
                     f"(default {t['default']['psnr']:.2f} / {t['default']['ssim']:.3f}) |")
    clip = summary["clip"]
    if "mR" in clip:
        lines.append(f"| clip | mR {clip['mR']:.1f}, RGB<->text mR {clip.get('rgb_text_mR', float('nan')):.1f}, "
                     f"RGB->IR R@1 {clip['rgb_to_ir']['R@1']:.1f} |")
    vlm = summary["vlm"]
    for task in ("rgb_caption", "ir_caption", "dual_caption"):
        if task in vlm:
            lines.append(f"| vlm {task} | CIDEr {vlm[task]['CIDEr']:.1f}, BLEU-4 {vlm[task]['BLEU-4']:.1f} |")
    lines.append(f"| time (s) | {summary['seconds']} |")
    return "\n".join(lines)
