"""Train and evaluate the learned RGB -> infrared translator on paired folders (`rgb/NAME`, `ir/NAME`)."""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from transformers import Trainer, TrainingArguments

from ..data.translators import get_translator
from ..metrics.image_quality import psnr, ssim
from ..models import FusionRSTranslatorConfig, FusionRSTranslatorImageProcessor, FusionRSTranslatorModel
from ..models.translator import FusionRSPatchDiscriminator

VALIDATION_FRACTION = 0.15
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"}
CARD_TEMPLATE = Path(__file__).resolve().parents[2] / "model_cards" / "translator.md"
BASELINES = ("default", "luminance", "constant_mean")

# Trainer settings per preset; `small` is sized for 2 CPU cores in under 15 minutes.
TRAIN_PRESETS = {
    "tiny": {"max_steps": 8, "batch_size": 4, "crop": (64, 64), "learning_rate": 3e-3},
    "small": {"max_steps": 1000, "batch_size": 8, "crop": (96, 160), "learning_rate": 1e-3},
    "base": {"max_steps": 20000, "batch_size": 16, "crop": (320, 448), "learning_rate": 5e-4},
}


# ---------------------------------------------------------------- pairs
def list_pairs(pairs_dir: str | Path) -> list[str]:
    """Names present in both `rgb/` and `ir/`; a name in only one of them is an error naming it."""
    root = Path(pairs_dir)
    folders = {kind: root / kind for kind in ("rgb", "ir")}
    for kind, folder in folders.items():
        if not folder.is_dir():
            raise FileNotFoundError(f"{root}: no {kind}/ folder (expected rgb/NAME and ir/NAME pairs)")
    names = {kind: {p.name for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
             for kind, folder in folders.items()}
    unpaired = sorted(names["rgb"] ^ names["ir"])
    if unpaired:
        raise ValueError(f"{root}: {len(unpaired)} image(s) without a partner, e.g. {unpaired[:3]}")
    if not names["rgb"]:
        raise ValueError(f"{root}: no image pairs found")
    return sorted(names["rgb"])


def is_validation(name: str, fraction: float = VALIDATION_FRACTION) -> bool:
    """Held out by name: a stable hash, so the split never depends on listing order or on new files."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 0x1_0000_0000 < fraction


def split_pairs(names: list[str], fraction: float = VALIDATION_FRACTION) -> dict[str, list[str]]:
    return {"train": [n for n in names if not is_validation(n, fraction)],
            "validation": [n for n in names if is_validation(n, fraction)]}


def load_pair(pairs_dir: str | Path, name: str) -> tuple[Image.Image, Image.Image]:
    root = Path(pairs_dir)
    rgb, ir = Image.open(root / "rgb" / name), Image.open(root / "ir" / name)
    if rgb.size != ir.size:
        raise ValueError(f"{root}/rgb/{name} is {rgb.size} but {root}/ir/{name} is {ir.size}")
    return rgb.convert("RGB"), ir.convert("L")


class PairCropDataset(torch.utils.data.Dataset):
    """Pairs at working resolution, cached in memory; each item is a random crop with a random horizontal
    flip applied identically to RGB and IR (vertical flips and rotations would put the sky under the road)."""

    def __init__(self, pairs_dir, names, processor: FusionRSTranslatorImageProcessor, crop: tuple[int, int],
                 repeats: int = 1):
        self.crop, self.repeats = crop, repeats
        self.items = []
        for name in names:
            rgb, ir = load_pair(pairs_dir, name)
            pixels = processor.to_tensor(rgb)
            target = ir.resize((pixels.shape[2], pixels.shape[1]), Image.Resampling.BICUBIC)
            self.items.append((pixels, torch.from_numpy(np.asarray(target, dtype=np.float32) / 255.0)[None]))

    def __len__(self) -> int:
        return len(self.items) * self.repeats

    def __getitem__(self, index: int) -> dict:
        pixels, target = self.items[index % len(self.items)]
        height, width = self.crop
        pad_h, pad_w = max(0, height - pixels.shape[1]), max(0, width - pixels.shape[2])
        if pad_h or pad_w:
            pixels = F.pad(pixels[None], (0, pad_w, 0, pad_h), mode="replicate")[0]
            target = F.pad(target[None], (0, pad_w, 0, pad_h), mode="replicate")[0]
        top = random.randint(0, pixels.shape[1] - height)
        left = random.randint(0, pixels.shape[2] - width)
        pixels = pixels[:, top:top + height, left:left + width]
        target = target[:, top:top + height, left:left + width]
        if random.random() < 0.5:
            pixels, target = pixels.flip(-1), target.flip(-1)
        return {"pixel_values": pixels.contiguous(), "labels": target.contiguous()}


# ---------------------------------------------------------------- training
class FusionRSTranslatorTrainer(Trainer):
    """Trainer that, when the config asks for an adversarial loss, also trains a PatchGAN discriminator
    (its own Adam, one step per generator step) and adds the generator's adversarial term."""

    def __init__(self, *args, discriminator: FusionRSPatchDiscriminator | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.discriminator = discriminator
        if discriminator is not None:
            self.discriminator_optimizer = torch.optim.Adam(discriminator.parameters(), lr=self.args.learning_rate,
                                                            betas=(0.5, 0.999))

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        outputs = model(**inputs)
        loss = outputs.loss
        if self.discriminator is not None and model.training:
            rgb, real, fake = inputs["pixel_values"], inputs["labels"], outputs.ir_values
            bce = F.binary_cross_entropy_with_logits
            real_logits, fake_logits = self.discriminator(rgb, real), self.discriminator(rgb, fake.detach())
            discriminator_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
            self.discriminator_optimizer.zero_grad()
            discriminator_loss.backward()
            self.discriminator_optimizer.step()
            judged = self.discriminator(rgb, fake)
            loss = loss + model.config.adversarial_weight * bce(judged, torch.ones_like(judged))
        return (loss, outputs) if return_outputs else loss


@dataclass
class TranslatorTrainingResult:
    out_dir: str
    metrics: dict
    train_pairs: int
    validation_pairs: int
    steps: int
    seconds: float
    losses: list[float]  # the Trainer's logged training losses, in order

    @property
    def first_loss(self) -> float:
        return self.losses[0]

    @property
    def final_loss(self) -> float:
        return self.losses[-1]


def train_translator(pairs: str, out_dir: str, preset: str = "small", max_steps: int | None = None,
                     adversarial_weight: float | None = None, seed: int = 0, sheet: str | None = None,
                     **config_overrides) -> TranslatorTrainingResult:
    if preset not in TRAIN_PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(TRAIN_PRESETS)}")
    settings = TRAIN_PRESETS[preset]
    if adversarial_weight is not None:
        config_overrides["adversarial_weight"] = adversarial_weight
    config = FusionRSTranslatorConfig.from_preset(preset, **config_overrides)
    processor = FusionRSTranslatorImageProcessor(working_size=config.working_size, size_multiple=2**config.depth)
    splits = split_pairs(list_pairs(pairs))
    torch.manual_seed(seed)
    model = FusionRSTranslatorModel(config)
    steps = max_steps or settings["max_steps"]
    train_set = PairCropDataset(pairs, splits["train"], processor, settings["crop"], repeats=1000)
    args = TrainingArguments(
        output_dir=out_dir, max_steps=steps, per_device_train_batch_size=settings["batch_size"],
        learning_rate=settings["learning_rate"], lr_scheduler_type="cosine", warmup_steps=min(50, steps // 10),
        weight_decay=1e-4, logging_steps=max(1, steps // 40), save_strategy="steps", save_steps=max(1, steps // 2),
        save_total_limit=1, report_to="none", seed=seed, dataloader_num_workers=0, remove_unused_columns=False,
        use_cpu=not torch.cuda.is_available(), disable_tqdm=False,
    )
    discriminator = FusionRSPatchDiscriminator() if config.adversarial_weight > 0 else None
    trainer = FusionRSTranslatorTrainer(model=model, args=args, train_dataset=train_set, discriminator=discriminator)
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    trainer.save_model(out_dir)
    processor.save_pretrained(out_dir)
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    metrics = evaluate_translators(out_dir, pairs, split="validation", sheet=sheet)
    (Path(out_dir) / "metrics.json").write_text(json.dumps(metrics, indent=2))
    result = TranslatorTrainingResult(out_dir, metrics, len(splits["train"]), len(splits["validation"]), steps,
                                      round(seconds, 1), losses)
    write_model_card(out_dir, result, preset=preset, config=config)
    return result


# ---------------------------------------------------------------- evaluation
def constant_mean_level(pairs: str, names: list[str]) -> int:
    """The mean infrared intensity of the training pairs: the constant-image baseline."""
    total = count = 0
    for name in names:
        ir = np.asarray(Image.open(Path(pairs) / "ir" / name).convert("L"), dtype=np.float64)
        total, count = total + ir.sum(), count + ir.size
    return int(round(total / count))


def evaluate_translators(model: str, pairs: str, split: str = "validation", sheet: str | None = None,
                         sheet_rows: int = 6) -> dict:
    """PSNR/SSIM against the real IR at native size for `model` (a translator name, folder or Hub id) and, in
    the same run, the builder's default translator, plain luminance and the constant mean image."""
    splits = split_pairs(list_pairs(pairs))
    names = splits[split] if split in splits else list_pairs(pairs)
    level = constant_mean_level(pairs, splits["train"])
    translators = {"model": get_translator(model), "default": get_translator(), "luminance": get_translator("luminance")}
    scores = {method: {"psnr": [], "ssim": []} for method in ("model", *BASELINES)}
    rows = []
    for name in names:
        rgb, ir = load_pair(pairs, name)
        target, rgb_array = np.asarray(ir), np.asarray(rgb)
        predictions = {method: t.translate([rgb_array])[0] for method, t in translators.items()}
        predictions["constant_mean"] = np.full_like(target, level)
        for method, prediction in predictions.items():
            scores[method]["psnr"].append(psnr(prediction, target))
            scores[method]["ssim"].append(ssim(prediction, target))
        if sheet and len(rows) < sheet_rows:
            rows.append([rgb_array, target] + [predictions[m] for m in ("model", *BASELINES)])
    metrics = {method: {k: round(float(np.mean(v)), 4) for k, v in values.items()} for method, values in scores.items()}
    metrics.update(num_pairs=len(names), split=split, model_id=translators["model"].id, constant_mean_level=level)
    if sheet:
        contact_sheet(rows, ["RGB", "real IR", "model", *BASELINES]).save(sheet)
    return metrics


def aerial_sheet(model: str, image_paths: list[str | Path]) -> Image.Image:
    """RGB | default translator | `model` on images without real IR (aerial tiles), to judge transfer by eye."""
    translators = [get_translator(), get_translator(model)]
    rows = []
    for path in image_paths:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        rows.append([rgb] + [t.translate([rgb])[0] for t in translators])
    return contact_sheet(rows, ["RGB", "default", "model"])


def contact_sheet(rows: list[list[np.ndarray]], titles: list[str], height: int = 160) -> Image.Image:
    """One row per pair: RGB | real IR | each method, every tile scaled to `height` pixels."""
    from PIL import ImageDraw

    tiles = []
    for row in rows:
        scaled = []
        for array in row:
            image = Image.fromarray(array).convert("RGB")
            scaled.append(image.resize((round(image.width * height / image.height), height)))
        tiles.append(scaled)
    width = max(sum(t.width for t in row) for row in tiles)
    sheet = Image.new("RGB", (width, 16 + height * len(tiles)), "white")
    draw = ImageDraw.Draw(sheet)
    x = 0
    for title, tile in zip(titles, tiles[0]):
        draw.text((x + 4, 2), title, fill="black")
        x += tile.width
    for r, row in enumerate(tiles):
        x = 0
        for tile in row:
            sheet.paste(tile, (x, 16 + r * height))
            x += tile.width
    return sheet


def metrics_table(metrics: dict) -> str:
    lines = ["| method | PSNR (dB) | SSIM |", "|---|---|---|"]
    for method in ("model", *BASELINES):
        lines.append(f"| {method} | {metrics[method]['psnr']:.2f} | {metrics[method]['ssim']:.3f} |")
    return "\n".join(lines)


def write_model_card(out_dir: str, result: TranslatorTrainingResult, preset: str, config, template: Path = CARD_TEMPLATE):
    from huggingface_hub import ModelCard, ModelCardData

    metrics = result.metrics
    card_data = ModelCardData(
        license="apache-2.0", library_name="transformers", pipeline_tag="image-to-image",
        tags=["remote-sensing", "infrared", "image-to-image", "fusionrs"], datasets=["roadscene"],
        model_name=f"FusionRS translator ({preset})",
        eval_results=_eval_results(metrics),
    )
    card = ModelCard.from_template(card_data, template_path=str(template), preset=preset, steps=result.steps,
                                   seconds=result.seconds, train_pairs=result.train_pairs,
                                   validation_pairs=result.validation_pairs, table=metrics_table(metrics),
                                   config=config, repo_id=out_dir, first_loss=result.first_loss,
                                   final_loss=result.final_loss)
    card.save(str(Path(out_dir) / "README.md"))


def _eval_results(metrics: dict):
    from huggingface_hub import EvalResult

    return [EvalResult(task_type="image-to-image", dataset_type="roadscene", dataset_name="RoadScene (held-out pairs)",
                       metric_type=key, metric_value=metrics["model"][key]) for key in ("psnr", "ssim")]
