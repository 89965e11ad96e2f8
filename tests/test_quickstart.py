"""`fusionrs quickstart` end to end with the tiny presets on real UCM records and RoadScene pairs."""

from __future__ import annotations

import json

import datasets


def test_quickstart_tiny_end_to_end(tmp_path, ucm_small_json, ucm_json, data_root, capsys):
    from fusionrs_hf.cli import main

    out = tmp_path / "quickstart"
    assert main(["quickstart", "--source", str(ucm_small_json), "--image-root", str(ucm_json.parent / "images"),
                 "--out", str(out), "--pairs", str(data_root / "rgb_ir_pairs" / "roadscene"), "--preset", "tiny"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dataset"]["written_by_split"] == {"train": 42, "validation": 21}
    assert set(summary["seconds"]) == {"dataset", "translator", "clip", "vlm"}
    assert {"mR", "rgb_to_ir"} <= set(summary["clip"]) and "rgb_caption" in summary["vlm"]
    assert {"model", "default", "luminance", "constant_mean"} <= set(summary["translator"])
    for part in ("clip", "vlm", "translator"):
        assert (out / part / "config.json").is_file() and (out / part / "README.md").is_file()
    assert len(datasets.load_dataset(str(out / "data"))["validation"]) == 21
    printed = capsys.readouterr().out
    assert "| clip | mR" in printed and f"fusionrs space --clip {out}/clip" in printed
