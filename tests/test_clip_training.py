"""Training FusionRSCLIP on real UCM records (tiny preset), the collator, and the CLI round trip."""

from __future__ import annotations

import json

import datasets
import pytest
import torch
from transformers import AutoModel

from fusionrs_hf.cli import main
from fusionrs_hf.training.clip import FusionRSCLIPCollator, flip_rotate, train_clip


@pytest.fixture(scope="module")
def tiny_run(ucm_small_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("clip-tiny")
    summary = train_clip(str(ucm_small_dataset), str(out), preset="tiny", mode="trimodal_fused", max_steps=12,
                         batch_size=16, learning_rate=3e-3, logging_steps=1, eval_split=None,
                         dedupe_text_negatives=True, separate_rgb_ir_temperature=True, class_loss_weight=0.5)
    return out, summary


def test_loss_decreases_on_real_records(tiny_run):
    _, summary = tiny_run
    losses = summary["loss_history"]
    assert len(losses) == 12 and summary["steps"] == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.1, losses


def test_run_saves_model_processor_and_card(tiny_run):
    out, summary = tiny_run
    model = AutoModel.from_pretrained(out)
    assert model.config.mode == "trimodal_fused" and model.config.text_config.vocab_size == 1024
    assert model.config.dedupe_text_negatives and model.config.separate_rgb_ir_temperature
    assert model.rgb_ir_logit_scale is not None
    assert (out / "tokenizer.json").is_file() and (out / "processor_config.json").is_file()
    card = (out / "README.md").read_text()
    assert "trimodal_fused" in card and "12 steps" in card
    assert summary["class_loss_weight"] == 0.5 and "supervised contrastive" in card


def test_eval_retrieval_cli(tiny_run, ucm_small_dataset, tmp_path):
    out, _ = tiny_run
    metrics_path = tmp_path / "metrics.json"
    assert main(["eval-retrieval", "--model", str(out), "--data", str(ucm_small_dataset), "--split", "train",
                 "--output", str(metrics_path), "--batch-size", "32"]) == 0
    metrics = json.loads(metrics_path.read_text())
    for direction in ("rgb_to_text", "text_to_rgb", "ir_to_text", "text_to_ir", "rgb_to_ir", "ir_to_rgb",
                      "fused_to_text", "text_to_fused"):
        assert set(metrics[direction]) == {"R@1", "R@5", "R@10"}
        assert all(0 <= v <= 100 for v in metrics[direction].values())
    ir_dirs = ("ir_to_text", "text_to_ir", "rgb_to_ir", "ir_to_rgb")
    assert metrics["mR"] == pytest.approx(sum(v for d in ir_dirs for v in metrics[d].values()) / 12)
    # chance R@10 for RGB->IR is 10/n (n = 42 train images here: 24 %); 12 steps learn the aligned views beyond it
    n = datasets.load_dataset(str(ucm_small_dataset), split="train").num_rows
    assert metrics["rgb_to_ir"]["R@10"] > 100 * 10 / n + 15


def _records(ucm_small_dataset, n=4):
    split = datasets.load_dataset(str(ucm_small_dataset), split="train")
    return [split[i] for i in range(0, len(split), len(split) // n)][:n]


def test_augmentation_moves_rgb_and_ir_together(tiny_run, ucm_small_dataset):
    out, _ = tiny_run
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(out)
    records = _records(ucm_small_dataset)
    plain = FusionRSCLIPCollator(processor, augment=False, random_caption=False)(records)
    augmented = FusionRSCLIPCollator(processor, augment=True, random_caption=False, seed=3)(records)
    moved = 0
    for i in range(len(records)):
        (k, flip), = [(k, f) for k in range(4) for f in (False, True)
                      if torch.equal(flip_rotate(plain["pixel_values"][i], k, f), augmented["pixel_values"][i])]
        assert torch.equal(flip_rotate(plain["ir_pixel_values"][i], k, flip), augmented["ir_pixel_values"][i])
        moved += (k, flip) != (0, False)
    assert moved > 0


def test_supervised_contrastive_loss_matches_its_definition():
    from fusionrs_hf.training.clip import supervised_contrastive_loss

    torch.manual_seed(0)
    embeds = torch.nn.functional.normalize(torch.randn(7, 8), dim=-1)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 0])  # class 2 has one member: that anchor has no positive
    terms = []
    for i in range(7):
        positives = [j for j in range(7) if j != i and labels[j] == labels[i]]
        if not positives:
            continue
        logits = torch.stack([embeds[i] @ embeds[j] / 0.1 for j in range(7) if j != i])
        others = [j for j in range(7) if j != i]
        log_prob = logits - logits.logsumexp(0)
        terms.append(-sum(log_prob[others.index(j)] for j in positives) / len(positives))
    torch.testing.assert_close(supervised_contrastive_loss(embeds, labels), torch.stack(terms).mean())
    # clustering the classes lowers it
    clustered = torch.nn.functional.normalize(torch.eye(8)[labels] + 0.05 * torch.randn(7, 8), dim=-1)
    assert supervised_contrastive_loss(clustered, labels) < supervised_contrastive_loss(embeds, labels)


def test_collator_labels_classes_and_leaves_unlabelled_records_out(tiny_run, ucm_small_dataset):
    from transformers import AutoProcessor

    from fusionrs_hf.training.clip import supervised_contrastive_loss

    processor = AutoProcessor.from_pretrained(tiny_run[0])
    records = _records(ucm_small_dataset)
    records[1] = {**records[1], "class_name": None}
    class_ids = {name: i for i, name in enumerate(sorted({r["class_name"] for r in records} - {None}))}
    batch = FusionRSCLIPCollator(processor, class_ids=class_ids)(records)
    expected = [class_ids[r["class_name"]] if r["class_name"] else -1 for r in records]
    assert batch["class_labels"].tolist() == expected and expected[1] == -1
    # an unlabelled row changes nothing
    embeds = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    labels = torch.tensor([0, 0, 1, 1])
    with_unlabelled = supervised_contrastive_loss(torch.cat([embeds, torch.randn(1, 8)]), torch.tensor([0, 0, 1, 1, -1]))
    torch.testing.assert_close(with_unlabelled, supervised_contrastive_loss(embeds, labels))


def test_collator_pairs_ir_with_the_chosen_caption_set(tiny_run, ucm_small_dataset):
    out, _ = tiny_run
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(out)
    records = _records(ucm_small_dataset)
    decode = lambda ids: [processor.decode(x, skip_special_tokens=True).strip() for x in ids]  # noqa: E731
    for ir_text, column in (("ir_captions", "ir_captions"), ("captions", "captions")):
        batch = FusionRSCLIPCollator(processor, ir_text=ir_text, random_caption=False)(records)
        assert decode(batch["ir_input_ids"]) == [r[column][0].lower() for r in records]
    rgb_only = FusionRSCLIPCollator(processor, mode="rgb_only")(records)
    assert "ir_pixel_values" not in rgb_only and "ir_input_ids" not in rgb_only


def test_processed_views_collate_like_raw_records(tiny_run, ucm_small_dataset):
    from transformers import AutoProcessor

    from fusionrs_hf.training.clip import ProcessedViews

    processor = AutoProcessor.from_pretrained(tiny_run[0])
    split = datasets.load_dataset(str(ucm_small_dataset), split="train")
    split = split.select(range(0, len(split), len(split) // 4)).select(range(4))
    cached = ProcessedViews(split, processor, batch_size=3)
    collate = FusionRSCLIPCollator(processor, random_caption=False)
    raw, fast = collate([split[i] for i in range(4)]), collate([cached[i] for i in range(4)])
    assert raw.keys() == fast.keys()
    for key in ("pixel_values", "ir_pixel_values"):
        torch.testing.assert_close(fast[key], raw[key], atol=2e-3, rtol=0)  # float16 storage
    assert torch.equal(fast["input_ids"], raw["input_ids"])


def test_preset_loss_weights_reweight_only_the_modes_terms():
    from fusionrs_hf.commands.clip import _loss_weights
    from fusionrs_hf.training.clip import preset_loss_weights

    hp = {"loss_weights": {"rgb_text": 2.0, "rgb_ir": 2.0}}
    assert preset_loss_weights(hp, "rgb_only") == {"rgb_text": 2.0}
    assert preset_loss_weights(hp, "dual_text") == {"rgb_text": 2.0}
    assert preset_loss_weights(hp, "trimodal") == {"rgb_text": 2.0, "rgb_ir": 2.0}
    assert preset_loss_weights({}, "trimodal") == {}
    assert _loss_weights("rgb_text=2, rgb_ir=1.5") == {"rgb_text": 2.0, "rgb_ir": 1.5}


def test_class_loss_without_labels_is_an_error_only_when_asked_for(caplog):
    from fusionrs_hf.training.clip import class_label_ids

    unlabelled = datasets.Dataset.from_dict({"captions": [["a"], ["b"]], "class_name": [None, None]})
    with pytest.raises(ValueError, match="class_name.*my-data"):
        class_label_ids(unlabelled, "my-data", required=True)
    assert class_label_ids(unlabelled.remove_columns("class_name"), "my-data", required=False) is None
    assert "training without it" in caplog.text
    labelled = datasets.Dataset.from_dict({"class_name": ["port", None, "airport", "port"]})
    assert class_label_ids(labelled, "d", required=True) == {"airport": 0, "port": 1}


def test_eval_retrieval_by_class_on_real_records(tiny_run, ucm_small_dataset, tmp_path):
    out, _ = tiny_run
    metrics_path = tmp_path / "metrics.json"
    assert main(["eval-retrieval", "--model", str(out), "--data", str(ucm_small_dataset), "--split", "train",
                 "--output", str(metrics_path), "--by-class"]) == 0
    metrics = json.loads(metrics_path.read_text())
    by_class = metrics["rgb_text_by_class"]
    assert all(0 <= by_class[k] <= 100 for k in ("image_to_text_top1_same_class", "text_to_image_top1_same_class"))
    # ranking every cross-class pair last can only move a record's own captions up
    assert by_class["class_oracle_mR"] >= metrics["rgb_text_mR"]


def test_class_diagnostics_separate_class_from_instance_errors():
    from fusionrs_hf.metrics.retrieval import class_diagnostics

    # 4 images in 2 classes, one caption each; each caption sits closest to the *other* image of its class
    image = torch.eye(4)
    text = torch.eye(4)[[1, 0, 3, 2]]
    result = class_diagnostics(image, text, torch.arange(4), torch.tensor([0, 0, 1, 1]))
    assert result["image_to_text_top1_same_class"] == 100 and result["text_to_image_top1_same_class"] == 100
    # within its class each query's own item comes second: R@1 0, R@5 and R@10 100 in both directions
    assert result["class_oracle_mR"] == pytest.approx(200 / 3)
