"""Train and evaluate FusionRSCLIPModel on a FusionRS dataset with the transformers Trainer."""

from __future__ import annotations

import json
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import Trainer, TrainingArguments

from ..hub import push_model_folder, retrieval_eval_results, write_eval_results
from ..models import FusionRSCLIPConfig, FusionRSCLIPModel, FusionRSProcessor
from ..models.clip.configuration_fusionrs_clip import LOSS_TERMS, MODE_LOSS_WEIGHTS, PRESETS
from ..tokenization import caption_text_files, train_caption_tokenizer
from .common import default_text_root, first_records, flip_rotate, make_image_processor, preset_hyperparameters
from .ema import EMACallback

logger = logging.getLogger(__name__)

MODES = tuple(MODE_LOSS_WEIGHTS)
COLUMNS = ["rgb", "ir", "captions", "ir_captions"]

# Trainer settings per preset. `small` is sized for 2 CPU cores in under 15 minutes (845 s alone for 390 steps on
# a slow day). Its recipe (issue #3; UCM validation): 30 epochs of batch 128, lr 3e-3, RGB<->IR weighted 3 with its
# own temperature, a SupCon class term (0.5) and the weights' moving average (0.98). Seeds 0-5 give RGB<->text mR
# 40.8/40.2/39.97/40.3/41.8/40.7 (mean 40.6) and RGB->IR R@1 81.0/85.2/82.9/84.8/85.7/82.4. The class term at 0.25
# with RGB<->IR at 2 gave 40.7/38.8/41.7/39.3/40.7/39.0 on the same seeds (mean 40.0; seed 6: 38.9); the class term at
# 0.5 with RGB<->IR at 2 gave 40.1/42.6/40.0/40.0 but cost RGB->IR about 5 points (77.1/81.4/75.2/78.6), which
# the RGB<->IR weight of 3 wins back.
# CPU runs are not bit-reproducible (a rerun of one seed moved RGB<->text mR by 1.7).
# Presets may carry `loss_weights` (re-weighting only the mode's terms), `separate_rgb_ir_temperature`,
# `class_loss_weight` (skipped with a warning on data without class labels) and `ema_decay`.
TRAIN_PRESETS = {
    "tiny": {"epochs": 1, "batch_size": 16, "learning_rate": 2e-3, "vocab_size": 1024},
    "small": {"epochs": 30, "batch_size": 128, "learning_rate": 3e-3, "vocab_size": 4096,
              "loss_weights": {"rgb_ir": 3.0}, "separate_rgb_ir_temperature": True, "class_loss_weight": 0.5,
              "ema_decay": 0.98},
    "base": {"epochs": 10, "batch_size": 256, "learning_rate": 1e-4, "vocab_size": 16384},
}


def preset_loss_weights(hp: dict, mode: str) -> dict:
    """A trainer preset's loss weights restricted to the terms `mode` trains: they re-weight those terms and
    never switch one on (rgb_only stays RGB<->text only)."""
    return {k: float(v) for k, v in (hp.get("loss_weights") or {}).items() if MODE_LOSS_WEIGHTS[mode][k] > 0}


def train_tokenizer_for(train_split, vocab_size: int, model_max_length: int, text_root: str | Path | None = None):
    """BPE on the extra caption text plus the training split's scene and IR-aware captions."""
    texts = caption_text_files(text_root) if text_root and Path(text_root).is_dir() else []
    for row in train_split.select_columns(["captions", "ir_captions"]):
        texts += row["captions"] + row["ir_captions"]
    return train_caption_tokenizer(texts, vocab_size=vocab_size, model_max_length=model_max_length)


def new_model_and_processor(preset: str, tokenizer, **config_kwargs):
    """A from-scratch FusionRSCLIPModel of `preset` sized to `tokenizer`, and its processor."""
    text_config = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
                   "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                   **config_kwargs.pop("text_config", {})}
    config = FusionRSCLIPConfig.from_preset(preset, text_config=text_config, **config_kwargs)
    tokenizer.model_max_length = config.max_text_length
    processor = FusionRSProcessor(image_processor=make_image_processor(config.image_size), tokenizer=tokenizer)
    return FusionRSCLIPModel(config), processor


def model_and_processor_from_clip(clip_name_or_path: str, **config_kwargs):
    """FusionRSCLIPModel initialised from a transformers CLIPModel, with the checkpoint's tokenizer and
    image processor when it has them."""
    from transformers import AutoImageProcessor, AutoTokenizer

    model = FusionRSCLIPModel.from_clip(clip_name_or_path, **config_kwargs)
    tokenizer = AutoTokenizer.from_pretrained(clip_name_or_path)
    try:
        image_processor = AutoImageProcessor.from_pretrained(clip_name_or_path)
    except (OSError, ValueError):
        image_processor = make_image_processor(model.config.image_size)
    return model, FusionRSProcessor(image_processor=image_processor, tokenizer=tokenizer)


# ---------------------------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class FusionRSCLIPCollator:
    """FusionRS records -> model inputs. Picks one scene caption and one IR caption per record (at random
    when `random_caption`), processes both views, and applies the same flip/rotation to RGB and IR."""

    processor: FusionRSProcessor
    mode: str = "trimodal"
    ir_text: str = "ir_captions"
    augment: bool = False
    random_caption: bool = True
    class_ids: dict[str, int] | None = None
    seed: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def _pick(self, captions: list[str]) -> str:
        return self.rng.choice(captions) if self.random_caption else captions[0]

    def __call__(self, records: list[dict]) -> dict:
        weights = MODE_LOSS_WEIGHTS[self.mode]
        use_ir = weights["ir_text"] > 0 or weights["rgb_ir"] > 0
        processed = "pixel_values" in records[0]  # from ProcessedViews: the images are tensors already
        kwargs = {"text": [self._pick(r["captions"]) for r in records]}
        if not processed:
            kwargs["rgb_images"] = [r["rgb"] for r in records]
            if use_ir:
                kwargs["ir_images"] = [r["ir"] for r in records]
        if use_ir and weights["ir_text"] > 0:
            kwargs["ir_text"] = [self._pick(r[self.ir_text]) for r in records]
        batch = dict(self.processor(**kwargs))
        if processed:
            batch["pixel_values"] = torch.stack([r["pixel_values"] for r in records]).float()
            if use_ir:
                batch["ir_pixel_values"] = torch.stack([r["ir_pixel_values"] for r in records]).float()
        if self.augment:
            for i in range(len(records)):
                k, flip = self.rng.randrange(4), self.rng.random() < 0.5
                batch["pixel_values"][i] = flip_rotate(batch["pixel_values"][i], k, flip)
                if "ir_pixel_values" in batch:
                    batch["ir_pixel_values"][i] = flip_rotate(batch["ir_pixel_values"][i], k, flip)
        if self.class_ids is not None:
            # -1: a record without a class takes no part in the class loss
            batch["class_labels"] = torch.tensor([self.class_ids.get(r.get("class_name"), -1) for r in records])
        batch["return_loss"] = True
        return batch


class ProcessedViews(torch.utils.data.Dataset):
    """A split with both views processed once and kept in memory (float16), so epochs skip image decoding
    and resizing (a quarter of a small-preset step on CPU). For splits that fit in RAM; larger ones
    stream through the collator instead."""

    def __init__(self, split, processor: FusionRSProcessor, batch_size: int = 256):
        rgb, ir = [], []
        for start in range(0, len(split), batch_size):
            rows = split[start:start + batch_size]
            pixels = processor(rgb_images=rows["rgb"], ir_images=rows["ir"])
            rgb.append(pixels["pixel_values"].half())
            ir.append(pixels["ir_pixel_values"].half())
        self.rgb, self.ir = torch.cat(rgb), torch.cat(ir)
        self.captions, self.ir_captions = split["captions"], split["ir_captions"]
        self.class_names = split["class_name"] if "class_name" in split.column_names else None

    def __len__(self) -> int:
        return len(self.captions)

    def __getitem__(self, i: int) -> dict:
        record = {"pixel_values": self.rgb[i], "ir_pixel_values": self.ir[i], "captions": self.captions[i],
                  "ir_captions": self.ir_captions[i]}
        if self.class_names is not None:
            record["class_name"] = self.class_names[i]
        return record


# keep processed views in memory up to this many records (about 2 x 100 kB each at 128 px, float16)
MAX_CACHED_RECORDS = 20_000


def load_fusionrs(data: str, split: str):
    """A split of a FusionRS dataset (local folder or Hub id) with only the columns CLIP needs."""
    import datasets

    dataset = datasets.load_dataset(data, split=split)
    return dataset.select_columns([c for c in COLUMNS + ["class_name"] if c in dataset.column_names])


# ---------------------------------------------------------------------------------------------------------------
# trainer
# ---------------------------------------------------------------------------------------------------------------


class FusionRSCLIPTrainer(Trainer):
    """Trainer that also logs each loss term (averaged over the logging window) and the temperature."""

    def __init__(self, *args, class_loss_weight: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_loss_weight = class_loss_weight
        self._term_sums: dict[str, float] = defaultdict(float)
        self._term_counts: dict[str, int] = defaultdict(int)

    def get_decay_parameter_names(self, model) -> list[str]:
        # as open_clip: no weight decay on gains, biases, BatchNorm/LayerNorm, the temperature (decay would
        # pull it to 0) or the modality embedding; only matrices and kernels decay
        return [n for n, p in model.named_parameters() if p.ndim >= 2 and "modality_embedding" not in n]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        class_labels = inputs.pop("class_labels", None)
        outputs = model(**inputs)
        terms = {name: outputs.get(f"loss_{name}") for name in LOSS_TERMS}
        loss = outputs["loss"]
        if class_labels is not None and self.class_loss_weight > 0:
            views = [v for v in (outputs.get("rgb_embeds"), outputs.get("ir_embeds")) if v is not None]
            terms["class"] = supervised_contrastive_loss(torch.cat(views), class_labels.repeat(len(views)))
            loss = loss + self.class_loss_weight * terms["class"]
        for name, term in terms.items():
            if term is not None:
                self._term_sums[name] += term.detach().float().item()
                self._term_counts[name] += 1
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict, *args, **kwargs) -> None:
        if "loss" in logs and self._term_counts:
            logs.update({f"loss_{n}": round(self._term_sums[n] / c, 4) for n, c in self._term_counts.items()})
            model = _unwrap(self.model)
            logs["logit_scale"] = round(model.logit_scale.exp().item(), 3)
            if model.rgb_ir_logit_scale is not None:
                logs["rgb_ir_logit_scale"] = round(model.rgb_ir_logit_scale.exp().item(), 3)
            self._term_sums.clear()
            self._term_counts.clear()
        super().log(logs, *args, **kwargs)


def supervised_contrastive_loss(embeds: torch.Tensor, labels: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """SupCon (Khosla et al. 2020) over normalised image embeddings: each view is pulled towards the other
    views of its class in the batch and pushed from the rest. Rows labelled -1 are left out, anchors without
    a positive are skipped. Local to the batch (not gathered across ranks)."""
    embeds, labels = embeds[labels >= 0], labels[labels >= 0]
    logits = embeds @ embeds.t() / temperature
    self_mask = torch.eye(len(labels), dtype=torch.bool, device=embeds.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    positives = (labels[:, None] == labels[None, :]) & ~self_mask
    log_prob = logits.log_softmax(dim=1).masked_fill(~positives, 0.0)
    has_positive = positives.any(1)
    if not has_positive.any():
        return embeds.sum() * 0.0  # keeps the graph (and DDP) happy when a batch has no pair of one class
    return -(log_prob.sum(1)[has_positive] / positives.sum(1)[has_positive]).mean()


def _unwrap(model):
    base = getattr(model, "get_base_model", None)
    model = base() if base else model
    return getattr(model, "module", model)


def apply_lora(model, r: int = 16, alpha: int = 32):
    """LoRA on the towers' attention and MLP linears; the projections, modality embedding and fusion head
    train fully, and so does the temperature. Convolutional towers keep their weights frozen."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=0.0,
        target_modules=r".*(text_model|vision_model)\..*\.(q_proj|k_proj|v_proj|out_proj|fc1|fc2)$",
        modules_to_save=[m for m in ("visual_projection", "text_projection", "ir_projection", "modality_embedding",
                                     "fusion") if getattr(model, m, None) is not None])
    peft_model = get_peft_model(model, config)
    peft_model.get_base_model().logit_scale.requires_grad_(True)
    if peft_model.get_base_model().rgb_ir_logit_scale is not None:
        peft_model.get_base_model().rgb_ir_logit_scale.requires_grad_(True)
    return peft_model


def class_label_ids(train_split, data: str, required: bool) -> dict[str, int] | None:
    """Class name -> id over the training split's `class_name` labels, for the class loss. Without labels:
    an error when the loss was asked for, else (a preset's default) a warning and None."""
    names = set(train_split["class_name"]) - {None} if "class_name" in train_split.column_names else set()
    if not names:
        message = f"the class loss needs `class_name` labels and the train split of {data} has none"
        if required:
            raise ValueError(message)
        logger.warning("%s: training without it", message)
        return None
    return {name: i for i, name in enumerate(sorted(names))}


def train_clip(data: str, out_dir: str, preset: str = "small", mode: str = "trimodal", ir_text: str = "ir_captions",
               init_from_clip: str | None = None, lora: bool = False, epochs: float | None = None,
               max_steps: int = -1, batch_size: int | None = None, learning_rate: float | None = None,
               seed: int = 0, eval_split: str | None = "validation", text_root: str | None = None,
               max_train_samples: int | None = None, separate_ir_tower: bool = False, loss_type: str = "infonce",
               augment: bool = True, logging_steps: int = 10, push_to_hub: str | None = None,
               dedupe_text_negatives: bool | None = None, separate_rgb_ir_temperature: bool | None = None,
               loss_weights: dict | None = None, image_size: int | None = None,
               vision_hidden_sizes: list[int] | None = None,
               class_loss_weight: float | None = None, ema_decay: float | None = None) -> dict:
    """Train, save (model + processor + card) to `out_dir`, evaluate retrieval on `eval_split`; returns a summary."""
    from transformers import set_seed

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    explicit_class_loss = class_loss_weight is not None  # a preset's class loss may fall back, an asked-for one not
    hp = preset_hyperparameters(TRAIN_PRESETS, preset, epochs=epochs, batch_size=batch_size,
                                learning_rate=learning_rate, dedupe_text_negatives=dedupe_text_negatives,
                                separate_rgb_ir_temperature=separate_rgb_ir_temperature,
                                class_loss_weight=class_loss_weight, ema_decay=ema_decay)
    set_seed(seed)
    train_split = first_records(load_fusionrs(data, "train"), max_train_samples)

    config_kwargs = {"mode": mode, "ir_text": ir_text, "separate_ir_tower": separate_ir_tower, "loss_type": loss_type,
                     "dedupe_text_negatives": hp.get("dedupe_text_negatives", False),
                     "separate_rgb_ir_temperature": hp.get("separate_rgb_ir_temperature", False)}
    if loss_weights is None:
        loss_weights = preset_loss_weights(hp, mode)
    if loss_weights:
        config_kwargs["loss_weights"] = dict(loss_weights)
    if image_size and not init_from_clip:
        config_kwargs["image_size"] = image_size
    if vision_hidden_sizes:
        if init_from_clip:
            raise ValueError("vision_hidden_sizes applies to from-scratch ResNet towers, not --init-from-clip")
        config_kwargs["vision_config"] = {"hidden_sizes": list(vision_hidden_sizes),
                                          "depths": [1] * len(vision_hidden_sizes)}
    if init_from_clip:
        model, processor = model_and_processor_from_clip(init_from_clip, **config_kwargs)
    else:
        tokenizer = train_tokenizer_for(train_split, hp["vocab_size"], PRESETS[preset]["max_text_length"],
                                        text_root if text_root is not None else default_text_root())
        model, processor = new_model_and_processor(preset, tokenizer, **config_kwargs)
    train_model = apply_lora(model) if lora else model

    args = TrainingArguments(
        output_dir=out_dir, per_device_train_batch_size=hp["batch_size"], num_train_epochs=hp["epochs"],
        max_steps=max_steps, learning_rate=hp["learning_rate"], weight_decay=0.1, warmup_steps=0.05,
        lr_scheduler_type="cosine", logging_steps=logging_steps, save_strategy="epoch", save_total_limit=1,
        eval_strategy="no", report_to="none", seed=seed, remove_unused_columns=False,
        # equal per-rank batches: the cross-rank feature gather needs them
        dataloader_drop_last=True, use_cpu=not torch.cuda.is_available(),
        bf16=torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
    )
    class_loss_weight = hp.get("class_loss_weight", 0.0)
    class_ids = class_label_ids(train_split, data, required=explicit_class_loss) if class_loss_weight > 0 else None
    if class_ids is None:
        class_loss_weight = 0.0
    collator = FusionRSCLIPCollator(processor, mode=mode, ir_text=ir_text, augment=augment, seed=seed,
                                    class_ids=class_ids)
    train_data = ProcessedViews(train_split, processor) if len(train_split) <= MAX_CACHED_RECORDS else train_split
    trainer = FusionRSCLIPTrainer(model=train_model, args=args, train_dataset=train_data, data_collator=collator,
                                  processing_class=processor, class_loss_weight=class_loss_weight,
                                  callbacks=[EMACallback(hp["ema_decay"])] if hp.get("ema_decay") else None)
    start = time.perf_counter()
    result = trainer.train()
    train_seconds = time.perf_counter() - start
    if lora:
        model = train_model.merge_and_unload()
    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)

    summary = {"preset": preset, "mode": mode, "ir_text": ir_text, "lora": lora, "init_from_clip": init_from_clip,
               "data": data, "train_records": len(train_split), "epochs": hp["epochs"], "steps": result.global_step,
               "batch_size": hp["batch_size"], "learning_rate": hp["learning_rate"], "seed": seed,
               "loss_weights": model.config.loss_weights,
               "dedupe_text_negatives": model.config.dedupe_text_negatives,
               "separate_rgb_ir_temperature": model.config.separate_rgb_ir_temperature,
               "class_loss_weight": class_loss_weight, "ema_decay": hp.get("ema_decay"),
               "train_seconds": round(train_seconds, 1), "train_loss": result.training_loss,
               "loss_history": [h["loss"] for h in trainer.state.log_history if "loss" in h]}
    if eval_split:
        metrics = evaluate_clip_retrieval(model, processor, load_fusionrs(data, eval_split))
        summary["eval_split"] = eval_split
        summary["metrics"] = metrics
        Path(out_dir, "retrieval_metrics.json").write_text(json.dumps(metrics, indent=2))
    Path(out_dir, "training_summary.json").write_text(json.dumps(summary, indent=2))
    write_model_card(out_dir, summary)
    if push_to_hub:
        summary["pushed_to"] = push_model_folder(out_dir, push_to_hub, commit_message="Upload FusionRSCLIPModel")
    return summary


# ---------------------------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------------------------


@torch.inference_mode()
def encode_for_retrieval(model: FusionRSCLIPModel, processor: FusionRSProcessor, dataset, batch_size: int = 128) -> dict:
    """Normalised embeddings of every record's RGB, IR and fused view, of all its scene captions (`text`) and
    IR-aware captions (`ir_text`, when the dataset has them), with the image index of each caption row."""
    model.eval()
    device = next(model.parameters()).device
    out = defaultdict(list)
    owners = defaultdict(list)
    for start in range(0, len(dataset), batch_size):
        rows = dataset[start:start + batch_size]
        images = processor(rgb_images=rows["rgb"], ir_images=rows["ir"]).to(device)
        rgb, ir = model._encode_images(images["pixel_values"], images["ir_pixel_values"])
        out["rgb"].append(torch.nn.functional.normalize(rgb, dim=-1))
        out["ir"].append(torch.nn.functional.normalize(ir, dim=-1))
        out["fused"].append(torch.nn.functional.normalize(model.fusion(rgb, ir), dim=-1))
        for column, key in (("captions", "text"), ("ir_captions", "ir_text")):
            if column not in rows:
                continue
            texts = [c for caps in rows[column] for c in caps]
            owners[key] += [start + i for i, caps in enumerate(rows[column]) for _ in caps]
            encoded = processor(text=texts).to(device)
            out[key].append(model.get_text_features(encoded["input_ids"], encoded["attention_mask"]))
    embeds = {k: torch.cat(v).float().cpu() for k, v in out.items()}
    embeds["text_owner"] = torch.tensor(owners["text"])
    if "ir_text" in owners:
        embeds["ir_text_owner"] = torch.tensor(owners["ir_text"])
    return embeds


def evaluate_clip_retrieval(model, processor, dataset, batch_size: int = 128, by_class: bool = False) -> dict:
    """Retrieval metrics; with `by_class`, also how much of the RGB<->text error is class confusion
    (`class_diagnostics`, from the split's `class_name`)."""
    from ..metrics.retrieval import class_diagnostics, retrieval_metrics

    embeds = encode_for_retrieval(model, processor, dataset, batch_size)
    metrics = retrieval_metrics(embeds, embeds["text_owner"], embeds.get("ir_text_owner"))
    if by_class:
        classes = dataset["class_name"] if "class_name" in dataset.column_names else []
        if None in classes or not classes:
            raise ValueError("--by-class needs a `class_name` label on every record of the split")
        names = sorted(set(classes))
        image_class = torch.tensor([names.index(c) for c in classes])
        metrics["rgb_text_by_class"] = class_diagnostics(embeds["rgb"], embeds["text"], embeds["text_owner"],
                                                         image_class)
    return metrics


def evaluate_checkpoint(model_name_or_path: str, data: str, split: str = "validation", batch_size: int = 128,
                        by_class: bool = False) -> dict:
    """Retrieval metrics of a saved FusionRSCLIPModel (folder or Hub id) on a FusionRS dataset split."""
    from transformers import AutoModel, AutoProcessor

    model = AutoModel.from_pretrained(model_name_or_path)
    processor = AutoProcessor.from_pretrained(model_name_or_path)
    if torch.cuda.is_available():
        model = model.cuda()
    return evaluate_clip_retrieval(model, processor, load_fusionrs(data, split), batch_size, by_class)


# ---------------------------------------------------------------------------------------------------------------
# card and Hub
# ---------------------------------------------------------------------------------------------------------------

CARD_TEMPLATE = Path(__file__).resolve().parents[2] / "model_cards" / "clip.md"
TABLE_ROWS = (("rgb_to_text", "RGB -> text"), ("text_to_rgb", "text -> RGB"), ("ir_to_text", "IR -> IR-aware text"),
              ("text_to_ir", "IR-aware text -> IR"), ("rgb_to_ir", "RGB -> IR"), ("ir_to_rgb", "IR -> RGB"),
              ("fused_to_text", "fused -> text"), ("text_to_fused", "text -> fused"),
              ("ir_to_scene_text", "IR -> scene text"), ("scene_text_to_ir", "scene text -> IR"))


def metrics_table(metrics: dict) -> str:
    lines = ["| direction | R@1 | R@5 | R@10 |", "|---|---|---|---|"]
    for key, label in TABLE_ROWS:
        if key in metrics:
            m = metrics[key]
            lines.append(f"| {label} | {m['R@1']:.1f} | {m['R@5']:.1f} | {m['R@10']:.1f} |")
    for key, label in (("mR", "mR (IR->text, text->IR, RGB->IR, IR->RGB)"), ("rgb_text_mR", "RGB<->text mR"),
                       ("mR_all", "mR, all eight directions")):
        if metrics.get(key) is not None:
            lines.append(f"| **{label}** | | | **{metrics[key]:.1f}** |")
    return "\n".join(lines)


def write_model_card(out_dir: str, summary: dict, template: Path = CARD_TEMPLATE) -> Path:
    """Fill `model_cards/clip.md` with how the model was trained and what it measured."""
    from jinja2 import Template

    metrics = summary.get("metrics")
    card = Template(template.read_text(encoding="utf-8")).render(
        s=summary, table=metrics_table(metrics) if metrics else "Not evaluated.",
        config=json.loads(Path(out_dir, "config.json").read_text()))
    path = Path(out_dir, "README.md")
    path.write_text(card, encoding="utf-8")
    if metrics:  # the measured numbers also go into the metadata, as the Hub's evaluation results
        write_eval_results(path, f"FusionRS-CLIP ({summary['mode']}, {summary['preset']} preset)",
                           retrieval_eval_results(metrics, summary["data"], summary.get("eval_split")))
    return path


def ablation_table(run_dirs: list[str | Path]) -> str:
    """Markdown table of the headline numbers of several train-clip output folders (one row per run)."""
    header = ("| run | mode | IR text | steps | train s | RGB<->text mR | IR->text R@1/5/10 | IR->scene text R@1/5/10 "
              "| RGB->IR R@1 | IR->RGB R@1 | mR | mR_all |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for run in map(Path, run_dirs):
        s = json.loads((run / "training_summary.json").read_text())
        m = s["metrics"]

        def r3(name):
            return "/".join(f"{m[name][k]:.1f}" for k in ("R@1", "R@5", "R@10")) if name in m else "-"

        lines.append(f"| {run.name} | {s['mode']} | {s['ir_text']} | {s['steps']} | {s['train_seconds']:.0f} "
                     f"| {m['rgb_text_mR']:.1f} | {r3('ir_to_text')} | {r3('ir_to_scene_text')} "
                     f"| {m['rgb_to_ir']['R@1']:.1f} | {m['ir_to_rgb']['R@1']:.1f} | {m['mR']:.1f} | {m['mR_all']:.1f} |")
    return "\n".join(lines)
