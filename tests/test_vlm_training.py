"""Instruction mix, collator labels, a few SFTTrainer steps (with and without LoRA) on real UCM records, and the
train-vlm / eval-caption commands on a small real split."""

from __future__ import annotations

import json
from collections import Counter

import datasets
import pytest
import torch
from transformers import AutoModelForImageTextToText

from fusionrs_hf.training.vlm import (
    DEFAULT_MIX,
    TASKS,
    FusionRSVLMCollator,
    build_instruction_mix,
    load_fusionrs,
    new_model_and_processor,
    objects_named,
    train_vlm,
    train_vlm_tokenizer,
)


@pytest.fixture(scope="module")
def train_split(ucm_small_dataset):
    return load_fusionrs(str(ucm_small_dataset), "train")


def test_instruction_mix_covers_every_task(train_split):
    mix = build_instruction_mix(train_split, seed=0)
    counts = Counter(mix["task"])
    n = len(train_split)
    assert counts["rgb_caption"] == int(DEFAULT_MIX["rgb_caption"]) * n
    assert counts["dual_caption"] == n and counts["ir_caption"] == round(0.5 * n)
    assert set(counts) == set(DEFAULT_MIX)
    assert objects_named(["Many buildings and some green trees .", "a road"]) == ["building", "road", "tree"]
    with pytest.raises(ValueError, match="unknown tasks"):
        build_instruction_mix(train_split, {"translate": 1.0})


def test_collator_labels_only_the_answer(train_split):
    tokenizer = train_vlm_tokenizer(train_split, 512)
    _, processor = new_model_and_processor("tiny", tokenizer)
    mix = build_instruction_mix(train_split, {"dual_description": 1.0, "rgb_caption": 1.0}, seed=0)
    rows = [mix[i] for i in range(6)]
    batch = FusionRSVLMCollator(processor, augment=True, seed=0)(rows)
    ids, labels = batch["input_ids"], batch["labels"]
    n_rgb = sum("rgb" in TASKS[r["task"]].views for r in rows)
    n_ir = sum("ir" in TASKS[r["task"]].views for r in rows)
    assert batch["pixel_values"].shape[0] == n_rgb and batch["ir_pixel_values"].shape[0] == n_ir
    assistant = tokenizer.convert_tokens_to_ids("<|assistant|>")
    for i, row in enumerate(rows):
        start = int((ids[i] == assistant).nonzero()[0]) + 1
        assert (labels[i, :start] == -100).all()  # prompt and image placeholders
        answer = labels[i][labels[i] != -100]
        assert torch.equal(answer, ids[i, start:start + len(answer)])
        assert answer[-1] == tokenizer.eos_token_id
        text = tokenizer.decode(answer, skip_special_tokens=True).strip()
        assert text in [c.lower() for c in row[TASKS[row["task"]].answer]]
        assert (labels[i, start + len(answer):] == -100).all() and (ids[i, start + len(answer):] == tokenizer.pad_token_id).all()


def test_generation_never_writes_image_placeholders(train_split):
    tokenizer = train_vlm_tokenizer(train_split, 512)
    torch.manual_seed(0)
    model, processor = new_model_and_processor("tiny", tokenizer)
    placeholders = [model.config.rgb_token_id, model.config.ir_token_id]
    assert model.generation_config.num_beams == 3 and model.generation_config.suppress_tokens == placeholders
    # a random model puts weight on every token; without the suppression it writes placeholders and raises
    model.lm_head.weight.data[placeholders] += 1.0
    row = train_split[0]
    prompt = processor.apply_chat_template([{"role": "user", "content": [
        {"type": "image", "view": "rgb"}, {"type": "image", "view": "ir"}, {"type": "text", "text": "Describe."}]}],
        add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[prompt], rgb_images=[row["rgb"]], ir_images=[row["ir"]])
    output = model.eval().generate(**inputs, max_new_tokens=12, min_new_tokens=12)
    assert not any(t in output[0, inputs["input_ids"].shape[1]:].tolist() for t in placeholders)


@pytest.mark.parametrize("lora", [False, True])
def test_sft_trainer_loss_decreases(ucm_small_dataset, tmp_path, lora):
    summary = train_vlm(str(ucm_small_dataset), str(tmp_path), preset="tiny", lora=lora, max_steps=12,
                        batch_size=8, learning_rate=1e-2, logging_steps=4, eval_split=None,
                        save_checkpoints=False, text_root="")
    losses = summary["loss_history"]
    assert len(losses) == 3 and summary["steps"] == 12
    assert losses[0] > losses[1] > losses[2] and losses[-1] < 0.85 * losses[0], losses
    model = AutoModelForImageTextToText.from_pretrained(tmp_path)
    assert not any("lora" in name for name, _ in model.named_parameters())  # LoRA merged before saving
    assert (tmp_path / "README.md").is_file() and json.loads((tmp_path / "training_summary.json").read_text())["lora"] is lora


@pytest.mark.parametrize("freeze", [True, False])
def test_vision_from_clip_is_frozen_by_default(ucm_small_dataset, tmp_path, freeze):
    from vlm_helpers import save_tiny_clip

    clip = save_tiny_clip(tmp_path / "clip")
    summary = train_vlm(str(ucm_small_dataset), str(tmp_path / "vlm"), preset="tiny", vision_from=str(tmp_path / "clip"),
                        freeze_vision=None if freeze else False, max_steps=3, batch_size=8, learning_rate=1e-2,
                        eval_split=None, save_checkpoints=False, text_root="")
    assert summary["freeze_vision"] is freeze
    tower = AutoModelForImageTextToText.from_pretrained(tmp_path / "vlm").model.vision_tower.state_dict()
    # weights and BatchNorm running statistics alike: a frozen tower stays the CLIP's, a trained one moves
    unchanged = [torch.equal(tower[name], value) for name, value in clip.vision_model.state_dict().items()]
    assert all(unchanged) if freeze else not all(unchanged)
    assert any("running_mean" in name for name in tower)


def test_train_and_eval_caption_commands(ucm_small_dataset, tmp_path):
    from fusionrs_hf.cli import main
    from fusionrs_hf.training.vlm import write_model_card

    out = tmp_path / "model"
    assert main(["train-vlm", "--data", str(ucm_small_dataset), "--out", str(out), "--preset", "tiny",
                 "--max-steps", "8", "--eval-split", "", "--no-checkpoints", "--text-root", ""]) == 0
    metrics_path = tmp_path / "metrics.json"
    assert main(["eval-caption", "--model", str(out), "--data", str(ucm_small_dataset), "--split", "validation",
                 "--output", str(metrics_path), "--tasks", "rgb_caption", "ir_caption", "dual_caption"]) == 0
    metrics = json.loads(metrics_path.read_text())
    assert metrics["num_images"] == len(datasets.load_dataset(str(ucm_small_dataset), split="validation")) == 21
    for task in ("rgb_caption", "ir_caption", "dual_caption"):
        assert set(metrics[task]) == {"BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr"}
        assert all(0 <= v <= 1000 for v in metrics[task].values())
        assert metrics[task]["BLEU-1"] >= metrics[task]["BLEU-4"]
    check = metrics["modality_use"]["dual_caption"]
    assert set(check) >= {"ir_swapped", "rgb_swapped", "uses_ir", "uses_rgb", "ir_swapped_CIDEr_drop"}
    assert check["CIDEr"] == metrics["dual_caption"]["CIDEr"]
    # the card template renders the measured table
    summary = json.loads((out / "training_summary.json").read_text())
    card = write_model_card(str(out), {**summary, "metrics": metrics, "eval_split": "validation"}).read_text()
    assert f"{metrics['rgb_caption']['CIDEr']:.1f}" in card and "scene caption from RGB + IR" in card


def test_push_to_hub_uploads_the_folder_without_checkpoints(tmp_path, hub_calls):
    from fusionrs_hf import hub

    (tmp_path / "config.json").write_text("{}")
    assert hub.push_model_folder(str(tmp_path), "me/fusionrs-vlm") == "https://hub.example/me/fusionrs-vlm/commit/1"
    (_, create), (_, upload) = hub_calls
    assert create["repo_id"] == "me/fusionrs-vlm" and create["exist_ok"] is True
    assert upload["repo_id"] == "me/fusionrs-vlm" and upload["folder_path"] == str(tmp_path)
    assert "checkpoint-*/**" in upload["ignore_patterns"]
