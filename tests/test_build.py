"""The builder end to end on real UCM records: output format, card, sources, shards and resume."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest
import yaml
from PIL import Image

from fusionrs_hf.data import BuildConfig, build_dataset
from fusionrs_hf.data import build as build_module
from fusionrs_hf.data.build import BuildError, SourceSpec


def _config(source, out, **kwargs) -> BuildConfig:
    sources = [source] if isinstance(source, SourceSpec) else [SourceSpec(str(source))]
    return BuildConfig(sources=sources, out_dir=str(out), **kwargs)


def test_load_dataset_gives_both_views_as_images(ucm_small_dataset):
    dataset = datasets.load_dataset(str(ucm_small_dataset))
    assert set(dataset) == {"train", "validation"}
    assert (len(dataset["train"]), len(dataset["validation"])) == (42, 21)
    assert len(set(dataset["train"]["class_name"])) == 21
    record = dataset["train"][0]
    assert isinstance(record["rgb"], Image.Image) and record["rgb"].mode == "RGB"
    assert isinstance(record["ir"], Image.Image) and record["ir"].mode == "L"
    assert record["rgb"].size == record["ir"].size == (256, 256)
    assert len(record["captions"]) == 5 and len(record["ir_captions"]) == 5
    assert record["class_name"] == "agricultural"  # UCM image 1
    assert record["translator"] == "thermal-heuristic@1.0"
    assert record["sample_id"] == f"ucm-{record['source_id']}"
    # every record of a group lies in one split unless the source's own splits say otherwise
    for split in dataset.values():
        assert set(split["split"]) == {split.split._name}


def test_dataset_card_metadata_and_report(ucm_small_dataset):
    text = (ucm_small_dataset / "README.md").read_text()
    metadata = yaml.safe_load(text.split("---")[1])
    fingerprint = json.loads((ucm_small_dataset / "_build" / "plan.json").read_text())["fingerprint"]
    assert metadata["configs"][0]["data_files"] == [
        {"split": "train", "path": f"data/train-{fingerprint}-*.parquet"},
        {"split": "validation", "path": f"data/validation-{fingerprint}-*.parquet"},
    ]
    assert [f["name"] for f in metadata["dataset_info"]["features"]][:6] == [
        "sample_id", "source_dataset", "source_id", "split", "rgb", "ir"]
    assert metadata["license"] and metadata["task_categories"] and metadata["size_categories"] == ["n<1K"]
    assert metadata["source_datasets"] == ["ucm"]
    summary = json.loads((ucm_small_dataset / "build_summary.json").read_text())
    assert summary["records_in"] == summary["written"] + summary["rejected"] == 63
    for needle in ("thermal-heuristic@1.0", "not calibrated thermal measurements", "captions checked | 630",
                   f"groups | {summary['splits']['groups']}", "public domain", "@article"):
        assert needle in text, needle


def test_sharded_job_array_and_resume(tmp_path, ucm_json, monkeypatch):
    out = tmp_path / "out"
    # a job array: each shard built by its own invocation; the card appears with the last one
    for index in (2, 0):
        summary = build_dataset(_config(ucm_json, out, limit=30, num_shards=3, shard_index=index))
        assert not summary.complete and not (out / "README.md").exists()
    assert summary.shards_done == 2

    # a build killed part-way through the last shard...
    calls = {"n": 0}
    real = build_module.process_batch

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(build_module, "process_batch", dying)
    with pytest.raises(KeyboardInterrupt):
        build_dataset(_config(ucm_json, out, limit=30, num_shards=3))
    # ...reruns without redoing finished shards (only shard 1 is processed) or duplicating rows
    calls["n"] = 1
    markers = {p: p.stat().st_mtime_ns for p in (out / "_build").glob("shard-*.json")}
    summary = build_dataset(_config(ucm_json, out, limit=30, num_shards=3))
    assert summary.complete and summary.written == 30
    assert all(p.stat().st_mtime_ns == t for p, t in markers.items())
    assert calls["n"] == 2  # one batch: the 10 records of shard 1
    dataset = datasets.load_dataset(str(out))
    ids = [i for split in dataset.values() for i in split["sample_id"]]
    assert len(ids) == len(set(ids)) == 30


def test_changed_settings_are_refused(tmp_path, ucm_json):
    build_dataset(_config(ucm_json, tmp_path, limit=4))
    with pytest.raises(BuildError, match="other settings"):
        build_dataset(_config(ucm_json, tmp_path, limit=4, translator="luminance"))


def test_num_proc_matches_single_process(tmp_path, ucm_json):
    one = build_dataset(_config(ucm_json, tmp_path / "one", limit=24))
    two = build_dataset(_config(ucm_json, tmp_path / "two", limit=24, num_proc=2, batch_size=4))
    assert one.written == two.written == 24
    a = datasets.load_dataset(str(tmp_path / "one"))["train"]
    b = datasets.load_dataset(str(tmp_path / "two"))["train"]
    assert a["ir_captions"] == b["ir_captions"] and a["group_id"] == b["group_id"]
    assert a[0]["ir"].tobytes() == b[0]["ir"].tobytes()


def test_jsonl_folder_source_without_splits_gets_group_splits(tmp_path, ucm_json):
    entries = json.loads(ucm_json.read_text())["images"][::9][:120]
    lines = [{"image": e["filename"], "captions": [s["raw"] for s in e["sentences"]]} for e in entries]
    jsonl = tmp_path / "captions.jsonl"
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines))
    spec = SourceSpec(str(jsonl), image_root=str(ucm_json.parent / "images"))
    summary = build_dataset(_config(spec, tmp_path / "out"))
    assert summary.written == 120 and not summary.splits["source_splits_kept"]
    dataset = datasets.load_dataset(str(tmp_path / "out"))
    assert set(dataset) == {"train", "validation", "test"}
    split_of_group = {}
    for name, split in dataset.items():
        for group in split["group_id"]:
            assert split_of_group.setdefault(group, name) == name  # no group straddles two splits
    assert summary.splits["multi_record_groups"] > 0


def test_datasets_source_keeps_its_splits(tmp_path, ucm_json):
    entries = json.loads(ucm_json.read_text())["images"]
    images = ucm_json.parent / "images"
    parquet_dir = tmp_path / "hf_source"
    for split, chosen in (("train", entries[:6]), ("test", entries[300:303])):
        rows = {"image": [str(images / e["filename"]) for e in chosen],
                "text": [[s["raw"] for s in e["sentences"]] for e in chosen]}
        dataset = datasets.Dataset.from_dict(rows).cast_column("image", datasets.Image())
        (parquet_dir / "data").mkdir(parents=True, exist_ok=True)
        dataset.to_parquet(str(parquet_dir / "data" / f"{split}-00000.parquet"))
    spec = SourceSpec(str(parquet_dir), caption_column="text")
    summary = build_dataset(_config(spec, tmp_path / "out"))
    assert summary.written_by_split == {"train": 6, "test": 3}
    built = datasets.load_dataset(str(tmp_path / "out"))
    assert built["test"][0]["ir"].mode == "L"


def test_cli_build_and_errors(tmp_path, ucm_json, capsys):
    from fusionrs_hf.cli import main

    assert main(["build", "--source", str(ucm_json), "--out", str(tmp_path / "cli"), "--limit", "5"]) == 0
    assert "records in 5 = written 5 + rejected 0" in capsys.readouterr().out
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    assert main(["build", "--source", str(bad), "--out", str(tmp_path / "bad")]) == 2
    assert f"{bad}: malformed JSON" in capsys.readouterr().err
    assert main(["build", "--source", str(ucm_json), "--out", str(tmp_path / "t"), "--translator", "nope"]) == 2
    assert "unknown translator 'nope'" in capsys.readouterr().err
    assert main(["build", "--source", "no-org/no-dataset", "--out", str(tmp_path / "hub")]) == 2  # offline here
    assert "no-org/no-dataset: not a local folder or file, and the Hub cannot be reached" in capsys.readouterr().err


def test_push_to_hub_uploads_data_and_card(tmp_path, ucm_json, hub_calls):
    """`fusionrs build --push-to-hub`: the create and upload calls the Hub would receive."""
    from fusionrs_hf.cli import main

    out = tmp_path / "out"
    assert main(["build", "--source", str(ucm_json), "--out", str(out), "--limit", "3", "--push-to-hub",
                 "me/fusionrs-ucm"]) == 0
    (_, create), (_, upload) = hub_calls
    assert create == {"repo_id": "me/fusionrs-ucm", "repo_type": "dataset", "private": False, "exist_ok": True}
    assert Path(upload["folder_path"]) == out and upload["repo_type"] == "dataset"
    assert "_build/**" in upload["ignore_patterns"]
    assert 'load_dataset("me/fusionrs-ucm")' in (out / "README.md").read_text()
