"""Build, instruction-tune (TRL SFTTrainer) and evaluate FusionRSVLM on a FusionRS dataset.

The instruction mix is made from the records themselves: scene captioning from the RGB view, IR-aware captioning
from the IR view, scene captioning and the IR-aware description from both views, and short question-answer turns
derived from the captions (scene class, objects named). Loss is on the answer tokens only.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..hub import captioning_eval_results, push_model_folder, write_eval_results
from ..models import FusionRSVLMConfig, FusionRSVLMForConditionalGeneration, FusionRSVLMProcessor
from ..models.vlm.processing_fusionrs_vlm import VLM_SPECIAL_TOKENS
from ..tokenization import caption_text_files, train_caption_tokenizer
from .common import default_text_root, first_records, flip_rotate, make_image_processor, preset_hyperparameters

COLUMNS = ["rgb", "ir", "captions", "ir_captions", "class_name"]

# ---------------------------------------------------------------------------------------------------------------
# tasks: which views a prompt carries, the instruction, and where the answer comes from
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    views: tuple[str, ...]
    question: str
    answer: str  # "captions", "ir_captions", "class" or "objects"
    spatial: bool = False  # the answer names image positions: no flips/rotations for this task


TASKS: dict[str, Task] = {
    "rgb_caption": Task(("rgb",), "Describe the scene.", "captions"),
    "ir_caption": Task(("ir",), "Describe the infrared view.", "ir_captions", spatial=True),
    "dual_caption": Task(("rgb", "ir"), "Describe the scene.", "captions"),
    "dual_description": Task(("rgb", "ir"), "Describe the infrared view.", "ir_captions", spatial=True),
    "scene_qa": Task(("rgb", "ir"), "What kind of scene is this?", "class"),
    "object_qa": Task(("rgb",), "Which objects are mentioned?", "objects"),
}
# what eval-caption scores: the three tasks of the issue, plus the dual IR-aware description that the
# modality-use check needs (scene captions can be read from RGB alone; the IR-aware part cannot)
EVAL_TASKS = ("rgb_caption", "ir_caption", "dual_caption", "dual_description")
SWAP_TASKS = ("dual_caption", "dual_description")
SWAP_METRICS = ("BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "CIDEr")

# UCM-style class names written as words ("denseresidential" -> "dense residential")
CLASS_WORDS = {
    "baseballdiamond": "baseball diamond", "denseresidential": "dense residential", "golfcourse": "golf course",
    "mediumresidential": "medium residential", "mobilehomepark": "mobile home park", "parkinglot": "parking lot",
    "sparseresidential": "sparse residential", "storagetanks": "storage tanks", "tenniscourt": "tennis court",
}
# objects remote-sensing captions name (singular form); a QA answer lists those a record's captions mention
OBJECT_WORDS = ("airplane", "plane", "building", "house", "road", "car", "tree", "river", "bridge", "ship", "boat",
                "tank", "court", "runway", "field", "farmland", "beach", "sea", "lake", "pool", "parking lot",
                "freeway", "highway", "intersection", "overpass", "forest", "grass", "lawn", "meadow", "sand",
                "trailer", "truck", "harbor", "pond", "playground", "bush", "chaparral", "golf course", "baseball field")


def class_words(class_name: str | None) -> str | None:
    if not class_name:
        return None
    return CLASS_WORDS.get(class_name, re.sub(r"[_\-]+", " ", class_name))


def objects_named(captions: list[str]) -> list[str]:
    """Objects from OBJECT_WORDS named (singular or plural) in any of the captions, in lexicon order."""
    text = " " + " ".join(c.lower() for c in captions) + " "
    return [w for w in OBJECT_WORDS if re.search(rf"\b{re.escape(w)}(s|es)?\b", text)]


def join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def task_answers(task: Task, row: dict) -> list[str]:
    """Every acceptable answer of `task` for a record (training picks one at random)."""
    if task.answer in ("captions", "ir_captions"):
        return [c for c in row[task.answer] if c and c.strip()]
    if task.answer == "class":
        words = class_words(row.get("class_name"))
        return [f"It is a {words} scene."] if words else []
    if task.answer == "objects":
        found = objects_named(row["captions"])
        return [f"The captions mention {join_words(found)}."] if found else []
    raise ValueError(f"unknown answer source {task.answer!r}")


def answer_words(task: Task, row: dict) -> int:
    return max(len(a.split()) for a in task_answers(task, row))


def task_messages(task: Task) -> list[dict]:
    content = [{"type": "image", "view": view} for view in task.views]
    return [{"role": "user", "content": content + [{"type": "text", "text": task.question}]}]


# Instruction mix per training preset: copies of each task per record and epoch (fractions: that share of the
# records). Scene captioning from RGB is what the targets measure, so it gets the most weight.
# IR-aware answers are ~4x longer than scene captions, so their rows cost the most.
DEFAULT_MIX = {"rgb_caption": 3.0, "ir_caption": 0.5, "dual_caption": 1.0, "dual_description": 0.5,
               "scene_qa": 0.25, "object_qa": 0.25}


def build_instruction_mix(dataset, mix: dict[str, float] | None = None, seed: int = 0):
    """One row per (record, task) with the record's columns and a `task` column; image columns are carried as
    they are in Arrow (nothing is decoded or re-encoded). Rows a task cannot answer are left out."""
    import datasets

    mix = DEFAULT_MIX if mix is None else mix
    unknown = set(mix) - set(TASKS)
    if unknown:
        raise ValueError(f"unknown tasks {sorted(unknown)}; known: {sorted(TASKS)}")
    rng = random.Random(seed)
    text_columns = [c for c in ("captions", "ir_captions", "class_name") if c in dataset.column_names]
    texts = dataset.select_columns(text_columns).to_list()
    parts = []
    for name, weight in mix.items():
        answerable = [i for i, row in enumerate(texts) if task_answers(TASKS[name], row)]
        indices = answerable * int(weight)
        fraction = weight - int(weight)
        if fraction > 0:
            indices += rng.sample(answerable, round(fraction * len(answerable)))
        if indices:
            part = dataset.select(sorted(indices))
            # a rough token count (image tokens + answer words) lets the Trainer batch IR-aware rows (long
            # answers) together instead of padding every short caption row to their length
            lengths = [16 * len(TASKS[name].views) + answer_words(TASKS[name], texts[i]) for i in sorted(indices)]
            parts.append(part.add_column("task", [name] * len(part)).add_column("length", lengths))
    if not parts:
        raise ValueError("the instruction mix is empty")
    return datasets.concatenate_datasets(parts).shuffle(seed=seed)


@dataclass
class FusionRSVLMCollator:
    """Instruction-mix rows -> model inputs with `labels` (-100 on the prompt, image placeholders and padding).

    The prompt comes from the processor's chat template; the answer (a random caption of the record, drawn anew
    each epoch) follows it with the eos token. Flips/rotations, the same for both views, are applied to tasks whose
    answer names no image positions."""

    processor: FusionRSVLMProcessor
    max_length: int = 160
    augment: bool = True
    seed: int = 0
    rng: random.Random = field(init=False, repr=False)
    _prompt_ids: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def prompt_ids(self, task_name: str) -> list[int]:
        if task_name not in self._prompt_ids:
            prompt = self.processor.apply_chat_template(task_messages(TASKS[task_name]), add_generation_prompt=True,
                                                        tokenize=False)
            self._prompt_ids[task_name] = self.processor.tokenizer(
                self.processor.expand_placeholders(prompt), add_special_tokens=False)["input_ids"]
        return self._prompt_ids[task_name]

    def __call__(self, rows: list[dict]) -> dict:
        tokenizer = self.processor.tokenizer
        sequences, label_rows, rgb_images, ir_images, transforms = [], [], [], [], []
        for row in rows:
            task = TASKS[row["task"]]
            answer = self.rng.choice(task_answers(task, row))
            prompt = self.prompt_ids(row["task"])
            answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
            ids = (prompt + answer_ids)[: self.max_length]
            labels = ([-100] * len(prompt) + answer_ids)[: self.max_length]
            if len(prompt) >= self.max_length:
                raise ValueError(f"max_length {self.max_length} leaves no room for an answer after the prompt")
            sequences.append(ids)
            label_rows.append(labels)
            transform = (self.rng.randrange(4), self.rng.random() < 0.5) if self.augment and not task.spatial else None
            if "rgb" in task.views:
                rgb_images.append(row["rgb"])
                transforms.append(("rgb", transform))
            if "ir" in task.views:
                ir_images.append(row["ir"])
                transforms.append(("ir", transform))
        width = max(map(len, sequences))
        pad = tokenizer.pad_token_id
        batch = {
            "input_ids": torch.tensor([s + [pad] * (width - len(s)) for s in sequences]),
            "attention_mask": torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in sequences]),
            "labels": torch.tensor([l + [-100] * (width - len(l)) for l in label_rows]),
        }
        images = self.processor(rgb_images=rgb_images or None, ir_images=ir_images or None)
        counters = {"rgb": 0, "ir": 0}
        for view, transform in transforms:
            key = "pixel_values" if view == "rgb" else "ir_pixel_values"
            i = counters[view]
            counters[view] += 1
            if transform is not None:
                images[key][i] = flip_rotate(images[key][i], *transform)
        batch.update({k: v for k, v in images.items() if k in ("pixel_values", "ir_pixel_values")})
        return batch


# ---------------------------------------------------------------------------------------------------------------
# model + processor
# ---------------------------------------------------------------------------------------------------------------

# SFT settings per preset. `small` is sized for 2 CPU cores in under 20 minutes.
TRAIN_PRESETS = {
    "tiny": {"epochs": 1, "batch_size": 8, "learning_rate": 3e-3, "vocab_size": 1024},
    # batch 16 / lr 1e-3 beat batch 32 / lr 2e-3 (unstable, loss spikes) at equal CPU time. With a frozen
    # FusionRSCLIP tower (3 beams, UCM validation): 2.5 epochs RGB CIDEr 203, 3.5 epochs 270 / 277 (seeds 0 / 1).
    "small": {"epochs": 3.5, "batch_size": 16, "learning_rate": 1e-3, "vocab_size": 2048},
    "base": {"epochs": 10, "batch_size": 64, "learning_rate": 3e-4, "vocab_size": 16384},
}


def add_vlm_tokens(tokenizer):
    """The image placeholders and role tokens as special tokens (never split, skipped when decoding)."""
    tokenizer.add_special_tokens({"additional_special_tokens": VLM_SPECIAL_TOKENS})
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def train_vlm_tokenizer(train_split, vocab_size: int, text_root: str | Path | None = None):
    """BPE on the extra caption text plus the training split's scene and IR-aware captions, with the VLM tokens."""
    texts = caption_text_files(text_root) if text_root and Path(text_root).is_dir() else []
    for row in train_split.select_columns(["captions", "ir_captions"]):
        texts += row["captions"] + row["ir_captions"]
    return add_vlm_tokens(train_caption_tokenizer(texts, vocab_size=vocab_size, model_max_length=256))


def make_processor(tokenizer, image_processor, num_image_tokens: int) -> FusionRSVLMProcessor:
    return FusionRSVLMProcessor(image_processor=image_processor, tokenizer=tokenizer, num_image_tokens=num_image_tokens)


def token_ids(tokenizer) -> dict:
    return {"rgb_token_id": tokenizer.convert_tokens_to_ids("<rgb>"),
            "ir_token_id": tokenizer.convert_tokens_to_ids("<ir>")}


# beam search: +13 CIDEr over greedy on the small model (the small decoder's greedy captions drift)
NUM_BEAMS = 3


def set_generation_defaults(model, tokenizer) -> None:
    """Beam search that stops at eos, pads with the pad token and never writes an image placeholder; saved as
    generation_config.json."""
    generation = model.generation_config
    generation.eos_token_id = tokenizer.eos_token_id
    generation.pad_token_id = tokenizer.pad_token_id
    generation.bos_token_id = tokenizer.bos_token_id
    generation.max_new_tokens = 64
    generation.do_sample = False
    generation.num_beams = NUM_BEAMS
    # a generated image placeholder would have no image to fill it (the model raises): never emit one
    generation.suppress_tokens = [model.config.rgb_token_id, model.config.ir_token_id]


def new_model_and_processor(preset: str, tokenizer, vision_from: str | None = None, language_from: str | None = None,
                            **config_kwargs):
    """A FusionRSVLM of `preset` sized to `tokenizer`, and its processor.

    `vision_from`: a FusionRSCLIPModel folder (or Hub id) whose vision tower, modality embedding, image size and
    image processor the VLM starts from. `language_from`: a causal-LM folder (or Hub id); the VLM takes its
    config, weights and tokenizer (the VLM tokens are added and the embeddings resized), and `tokenizer` is unused.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    causal_lm = None
    if language_from:
        tokenizer = add_vlm_tokens(AutoTokenizer.from_pretrained(language_from))
        causal_lm = AutoModelForCausalLM.from_pretrained(language_from)
        causal_lm.resize_token_embeddings(len(tokenizer))
        config_kwargs["text_config"] = causal_lm.config
    else:
        config_kwargs["text_config"] = {"vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id,
                                        "bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                                        **config_kwargs.get("text_config", {})}
    clip = None
    if vision_from:
        from transformers import AutoModel

        clip = AutoModel.from_pretrained(vision_from)
        config_kwargs["vision_config"] = clip.config.vision_config
        config_kwargs["image_size"] = clip.config.image_size
    config = FusionRSVLMConfig.from_preset(preset, **token_ids(tokenizer), **config_kwargs)
    model = FusionRSVLMForConditionalGeneration(config)
    image_processor = None
    if clip is not None:
        model.model.vision_tower.load_state_dict(clip.vision_model.state_dict())
        if getattr(clip, "modality_embedding", None) is not None:
            model.model.modality_embedding.load_state_dict(clip.modality_embedding.state_dict())
        try:
            from transformers import AutoProcessor

            image_processor = AutoProcessor.from_pretrained(vision_from).image_processor
        except (OSError, ValueError, AttributeError):
            image_processor = None
    if causal_lm is not None:
        model.model.language_model.load_state_dict(causal_lm.base_model.state_dict())
        model.lm_head.load_state_dict(causal_lm.get_output_embeddings().state_dict())
    set_generation_defaults(model, tokenizer)
    processor = make_processor(tokenizer, image_processor or make_image_processor(config.image_size),
                               config.num_image_tokens)
    return model, processor


def load_fusionrs(data: str, split: str):
    """A split of a FusionRS dataset (local folder or Hub id) with the columns the VLM needs."""
    import datasets

    dataset = datasets.load_dataset(data, split=split)
    return dataset.select_columns([c for c in COLUMNS if c in dataset.column_names])


# ---------------------------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------------------------


def lora_config(r: int = 16, alpha: int = 32, train_vision: bool = True):
    """LoRA on the language model's attention and MLP linears; the projector and modality embedding (new
    modules), the LM head and, unless frozen, the vision tower (a CNN: no LoRA targets) train fully."""
    from peft import LoraConfig

    full = ["multi_modal_projector", "modality_embedding", "lm_head"] + (["vision_tower"] if train_vision else [])
    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules=r".*language_model\..*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)$",
                      modules_to_save=full)


def freeze_vision_tower(model) -> None:
    """Keep a pretrained vision tower exactly as it is: no gradients, and its BatchNorm layers on their trained
    statistics even when the Trainer puts the model in train mode (in train mode they would normalise each
    batch of mixed RGB and IR views by its own statistics and drift the running ones)."""
    tower = model.model.vision_tower
    tower.requires_grad_(False)
    tower.eval()
    tower.train = lambda mode=True: tower  # what Module.train(mode) calls on each child


def train_vlm(data: str, out_dir: str, preset: str = "small", vision_from: str | None = None,
              language_from: str | None = None, lora: bool = False, freeze_vision: bool | None = None,
              epochs: float | None = None, max_steps: int = -1,
              batch_size: int | None = None, learning_rate: float | None = None, seed: int = 0,
              mix: dict[str, float] | None = None, max_train_samples: int | None = None,
              text_root: str | None = None, augment: bool = True, logging_steps: int = 10,
              eval_split: str | None = "validation", eval_batch_size: int = 64, save_checkpoints: bool = True,
              push_to_hub: str | None = None) -> dict:
    """Instruction-tune with TRL's SFTTrainer, save model + processor + card to `out_dir`, then score captioning on
    `eval_split`; returns a summary (also written to training_summary.json).

    `freeze_vision` (default: frozen when `vision_from` gives a trained tower) keeps the vision tower as it is:
    a FusionRSCLIP tower already maps both views onto caption meaning, and the language model learns to read
    it faster than it learns to read a tower that moves under it."""
    from transformers import set_seed
    from trl import SFTConfig, SFTTrainer

    hp = preset_hyperparameters(TRAIN_PRESETS, preset, epochs=epochs, batch_size=batch_size,
                                learning_rate=learning_rate)
    set_seed(seed)
    train_split = first_records(load_fusionrs(data, "train"), max_train_samples)
    tokenizer = None if language_from else train_vlm_tokenizer(
        train_split, hp["vocab_size"], text_root if text_root is not None else default_text_root())
    model, processor = new_model_and_processor(preset, tokenizer, vision_from=vision_from, language_from=language_from)
    if freeze_vision is None:
        freeze_vision = vision_from is not None
    if freeze_vision:
        freeze_vision_tower(model)
    mix = dict(DEFAULT_MIX if mix is None else mix)
    train_mix = build_instruction_mix(train_split, mix, seed=seed)

    on_gpu = torch.cuda.is_available()
    args = SFTConfig(
        output_dir=out_dir, per_device_train_batch_size=hp["batch_size"], num_train_epochs=hp["epochs"],
        max_steps=max_steps, learning_rate=hp["learning_rate"], weight_decay=0.05, warmup_steps=0.05,
        lr_scheduler_type="cosine", logging_steps=logging_steps,
        save_strategy="epoch" if save_checkpoints else "no", save_total_limit=1, report_to="none", seed=seed,
        use_cpu=not on_gpu, bf16=on_gpu and torch.cuda.is_bf16_supported(),
        # our collator tokenizes and builds the labels; TRL must not re-process the image rows
        remove_unused_columns=False, dataset_kwargs={"skip_prepare_dataset": True}, max_length=None,
        dataloader_num_workers=0, train_sampling_strategy="group_by_length", length_column_name="length",
    )
    collator = FusionRSVLMCollator(processor, augment=augment, seed=seed)
    peft_config = lora_config(train_vision=not freeze_vision) if lora else None
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_mix, data_collator=collator,
                         processing_class=processor, peft_config=peft_config)
    start = time.perf_counter()
    result = trainer.train()
    train_seconds = time.perf_counter() - start
    model = trainer.model
    if lora:
        model = model.merge_and_unload()
    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)

    summary = {
        "preset": preset, "data": data, "lora": lora, "vision_from": vision_from, "freeze_vision": freeze_vision,
        "language_from": language_from, "seed": seed, "train_records": len(train_split), "mix": mix,
        "train_rows_per_epoch": len(train_mix),
        "epochs": hp["epochs"], "steps": result.global_step, "batch_size": hp["batch_size"],
        "learning_rate": hp["learning_rate"], "augment": augment, "on_gpu": on_gpu, "train_seconds": round(train_seconds, 1),
        "train_loss": result.training_loss, "num_parameters": model.num_parameters(),
        "loss_history": [h["loss"] for h in trainer.state.log_history if "loss" in h],
    }
    if eval_split:
        metrics = evaluate_captioning(model, processor, load_fusionrs(data, eval_split), batch_size=eval_batch_size)
        summary.update(eval_split=eval_split, num_beams=NUM_BEAMS, metrics=metrics)
        Path(out_dir, "caption_metrics.json").write_text(json.dumps(metrics, indent=2))
    Path(out_dir, "training_summary.json").write_text(json.dumps(summary, indent=2))
    write_model_card(out_dir, summary)
    if push_to_hub:
        summary["pushed_to"] = push_model_folder(out_dir, push_to_hub, commit_message="Upload FusionRSVLM")
    return summary


# ---------------------------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------------------------


def max_new_tokens_for(task: Task) -> int:
    return 72 if task.answer == "ir_captions" else 32


@torch.inference_mode()
def generate_answers(model, processor, dataset, task_name: str, batch_size: int = 64,
                     rgb_order: list[int] | None = None, ir_order: list[int] | None = None,
                     max_new_tokens: int | None = None, num_beams: int = NUM_BEAMS,
                     no_repeat_ngram_size: int = 0) -> list[str]:
    """Beam-search (greedy with `num_beams=1`) answers of `task_name` for every record, batched with the KV
    cache. `rgb_order` / `ir_order` take each record's RGB / IR view from another record (the modality-use
    check)."""
    task = TASKS[task_name]
    model.eval()
    device = next(model.parameters()).device
    prompt = processor.apply_chat_template(task_messages(task), add_generation_prompt=True, tokenize=False)
    n = len(dataset)
    rgb_order = list(range(n)) if rgb_order is None else rgb_order
    ir_order = list(range(n)) if ir_order is None else ir_order
    columns = [c for c in ("rgb", "ir") if c in task.views]
    images = dataset.select_columns(columns)
    answers: list[str] = []
    for start in range(0, n, batch_size):
        rows = range(start, min(start + batch_size, n))
        kwargs = {}
        if "rgb" in task.views:
            kwargs["rgb_images"] = list(images.select([rgb_order[i] for i in rows])["rgb"])
        if "ir" in task.views:
            kwargs["ir_images"] = list(images.select([ir_order[i] for i in rows])["ir"])
        # left padding: every prompt ends where generation starts (all prompts of one task are equal anyway)
        inputs = processor(text=[prompt] * len(rows), padding_side="left", **kwargs).to(device)
        output = model.generate(**inputs, max_new_tokens=max_new_tokens or max_new_tokens_for(task),
                                do_sample=False, num_beams=num_beams, use_cache=True,
                                no_repeat_ngram_size=no_repeat_ngram_size)
        answers += [a.strip() for a in processor.batch_decode(output[:, inputs["input_ids"].shape[1]:],
                                                              skip_special_tokens=True)]
    return answers


def references_for(task: Task, dataset) -> list[list[str]]:
    return list(dataset[task.answer]) if task.answer in ("captions", "ir_captions") else [
        task_answers(task, row) for row in dataset.select_columns(["captions", "class_name"])]


def other_record_order(n: int) -> list[int]:
    """Each record's partner for the view swap: the record half the split away (sorted FusionRS splits put it in
    another class), never itself."""
    if n < 2:
        raise ValueError("the modality-use check needs at least two records")
    return [(i + n // 2) % n for i in range(n)]


def evaluate_captioning(model, processor, dataset, tasks=EVAL_TASKS, batch_size: int = 64,
                        modality_check: bool = True, num_beams: int = NUM_BEAMS, min_drop: float = 0.05,
                        examples: int = 3, no_repeat_ngram_size: int = 0) -> dict:
    unknown = set(tasks) - set(TASK_LABELS)
    if unknown:
        raise ValueError(f"cannot score tasks {sorted(unknown)}; captioning tasks: {sorted(TASK_LABELS)}")
    """{task: {BLEU-1..4, METEOR, ROUGE-L, CIDEr}} on `dataset`, plus `modality_use`: the dual tasks scored again
    with the IR view (then the RGB view) of each record replaced by another record's. A view counts as used when
    replacing it lowers CIDEr by at least `min_drop` (relative)."""
    from ..metrics.captioning import caption_metrics

    results: dict = {}
    predictions: dict[str, list[str]] = {}
    for name in tasks:
        task = TASKS[name]
        predictions[name] = generate_answers(model, processor, dataset, name, batch_size, num_beams=num_beams,
                                             no_repeat_ngram_size=no_repeat_ngram_size)
        results[name] = caption_metrics(predictions[name], references_for(task, dataset))
    if modality_check:
        partner = other_record_order(len(dataset))
        check = {}
        for name in (t for t in SWAP_TASKS if t in tasks):
            refs = references_for(TASKS[name], dataset)
            base = results[name]["CIDEr"]
            entry = {"CIDEr": base}
            for view, kwargs in (("ir", {"ir_order": partner}), ("rgb", {"rgb_order": partner})):
                # BLEU and CIDEr only: METEOR's Java start-up would double the check's time for no extra signal
                swapped = caption_metrics(generate_answers(model, processor, dataset, name, batch_size,
                                                           num_beams=num_beams,
                                                           no_repeat_ngram_size=no_repeat_ngram_size, **kwargs), refs,
                                          metrics=SWAP_METRICS)
                drop = base - swapped["CIDEr"]
                entry[f"{view}_swapped"] = swapped
                entry[f"{view}_swapped_CIDEr_drop"] = round(drop, 2)
                entry[f"uses_{view}"] = bool(base > 0 and drop >= min_drop * base)
            check[name] = entry
        results["modality_use"] = check
    results["examples"] = {name: [{"prediction": predictions[name][i],
                                   "reference": references_for(TASKS[name], dataset.select([i]))[0][0]}
                                  for i in range(min(examples, len(dataset)))] for name in tasks}
    results["num_images"] = len(dataset)
    return results


def evaluate_checkpoint(model_name_or_path: str, data: str, split: str = "validation", batch_size: int = 64,
                        modality_check: bool = True, num_beams: int = NUM_BEAMS, max_samples: int | None = None,
                        tasks=EVAL_TASKS, no_repeat_ngram_size: int = 0) -> dict:
    """Captioning metrics of a saved FusionRSVLM (folder or Hub id) on a FusionRS dataset split."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(model_name_or_path)
    processor = AutoProcessor.from_pretrained(model_name_or_path)
    if torch.cuda.is_available():
        model = model.cuda()
    dataset = load_fusionrs(data, split)
    if max_samples:
        dataset = dataset.select(range(min(max_samples, len(dataset))))
    return evaluate_captioning(model, processor, dataset, tasks=tuple(tasks), batch_size=batch_size,
                               modality_check=modality_check, num_beams=num_beams,
                               no_repeat_ngram_size=no_repeat_ngram_size)


# ---------------------------------------------------------------------------------------------------------------
# card and Hub
# ---------------------------------------------------------------------------------------------------------------

CARD_TEMPLATE = Path(__file__).resolve().parents[2] / "model_cards" / "vlm.md"
TASK_LABELS = {"rgb_caption": "scene caption from RGB", "ir_caption": "IR-aware caption from IR",
               "dual_caption": "scene caption from RGB + IR", "dual_description": "IR-aware caption from RGB + IR"}


def metrics_table(metrics: dict) -> str:
    from ..metrics.captioning import METRIC_NAMES

    lines = ["| task | " + " | ".join(METRIC_NAMES) + " |", "|---" * (len(METRIC_NAMES) + 1) + "|"]
    for name, label in TASK_LABELS.items():
        if name in metrics:
            lines.append(f"| {label} (`{name}`) | " + " | ".join(f"{metrics[name][m]:.1f}" for m in METRIC_NAMES)
                         + " |")
    return "\n".join(lines)


def modality_table(metrics: dict) -> str:
    check = metrics.get("modality_use")
    if not check:
        return "Not run."
    lines = ["| task | CIDEr | IR view swapped | RGB view swapped |", "|---|---|---|---|"]
    for name, entry in check.items():
        lines.append(f"| {TASK_LABELS.get(name, name)} | {entry['CIDEr']:.1f} | "
                     f"{entry['ir_swapped']['CIDEr']:.1f} ({-entry['ir_swapped_CIDEr_drop']:+.1f}) | "
                     f"{entry['rgb_swapped']['CIDEr']:.1f} ({-entry['rgb_swapped_CIDEr_drop']:+.1f}) |")
    return "\n".join(lines)


def write_model_card(out_dir: str, summary: dict, template: Path = CARD_TEMPLATE) -> Path:
    """Fill `model_cards/vlm.md` with how the model was trained and what it measured."""
    from jinja2 import Template

    metrics = summary.get("metrics")
    card = Template(template.read_text(encoding="utf-8")).render(
        s=summary, config=json.loads(Path(out_dir, "config.json").read_text()),
        table=metrics_table(metrics) if metrics else "Not evaluated.",
        modality=modality_table(metrics) if metrics else "Not evaluated.")
    path = Path(out_dir, "README.md")
    path.write_text(card, encoding="utf-8")
    if metrics:  # the measured numbers also go into the metadata, as the Hub's evaluation results
        write_eval_results(path, f"FusionRS-VLM ({summary['preset']} preset)",
                           captioning_eval_results(metrics, summary["data"], summary.get("eval_split")))
    return path


__all__ = ["TASKS", "EVAL_TASKS", "DEFAULT_MIX", "TRAIN_PRESETS", "FusionRSVLMCollator", "build_instruction_mix",
           "new_model_and_processor", "train_vlm", "evaluate_captioning", "evaluate_checkpoint", "generate_answers",
           "write_model_card", "metrics_table", "train_vlm_tokenizer"]
