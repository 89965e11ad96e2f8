"""Bad input: clear errors naming the file, or a counted skip with its reason; nothing is lost."""

from __future__ import annotations

import io
import json
import shutil

import datasets
import numpy as np
import pytest
from PIL import Image

from fusionrs_hf.data import BuildConfig, build_dataset
from fusionrs_hf.data.build import SourceSpec
from fusionrs_hf.data.sources import SourceError, open_source


@pytest.fixture
def messy_source(tmp_path, data_root):
    """A JSONL source mixing real UCM images with every kind of bad or unusual input."""
    folder = tmp_path / "messy"
    folder.mkdir()
    real = data_root / "ucm_captions" / "images"
    rgb = Image.open(real / "1205.jpg").convert("RGB")
    shutil.copy(real / "1205.jpg", folder / "good.jpg")  # a copy in a temp folder, never in the repo
    rgb.convert("L").save(folder / "grey.png")
    rgba = rgb.convert("RGBA")
    rgba.putalpha(128)
    rgba.save(folder / "rgba.png")
    rgb.convert("P", palette=Image.Palette.ADAPTIVE).save(folder / "palette.png")
    deep = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
    Image.fromarray(deep).save(folder / "sixteen.png")
    Image.new("RGB", (300, 300)).save(folder / "huge.png")
    (folder / "corrupt.jpg").write_bytes(b"definitely not an image")
    buffer = io.BytesIO()
    rgb.save(buffer, format="JPEG")
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    captions = ["There are some buildings and a road ."]
    rows = [
        {"image": "good.jpg", "captions": captions},
        {"image": "grey.png", "captions": captions},
        {"image": "rgba.png", "captions": captions},
        {"image": "palette.png", "captions": captions},
        {"image": "sixteen.png", "captions": captions},
        {"image": "huge.png", "captions": captions},
        {"image": "corrupt.jpg", "captions": captions},
        {"image": "truncated.jpg", "captions": captions},
        {"image": "missing.jpg", "captions": captions},
        {"image": "good.jpg", "id": "empty", "captions": []},
        {"image": "good.jpg", "id": "blank", "captions": ["   "]},
        {"image": "good.jpg", "id": "nocaptions"},
        {"image": "good.jpg", "id": "hot", "captions": ["The roofs are hot in the sun ."]},
        {"image": "good.jpg", "id": "mixed", "captions": ["A hot road .", "A road beside some buildings ."]},
    ]
    lines = [json.dumps(row) for row in rows] + ["{this line is broken", json.dumps(["not", "an", "object"])]
    jsonl = folder / "captions.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    return jsonl


def test_every_record_is_written_or_rejected_with_its_reason(messy_source, tmp_path):
    out = tmp_path / "out"
    summary = build_dataset(BuildConfig(sources=[SourceSpec(str(messy_source))], out_dir=str(out),
                                        max_pixels=256 * 256))
    assert summary.records_in == 16
    assert summary.records_in == summary.written + summary.rejected
    assert summary.rejected_by_reason == {
        "no_captions": 3, "malformed_entry": 2, "corrupt_image": 2, "too_large": 1, "missing_file": 1,
        "all_captions_blocked": 1,
    }
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == summary.rejected
    by_origin = {r["origin"].rsplit("/", 1)[-1]: r for r in rejects}
    assert "missing.jpg" in by_origin["missing.jpg"]["detail"]
    assert "300x300" in by_origin["huge.png"]["detail"]
    assert any(r["origin"].endswith("captions.jsonl:15") for r in rejects)  # the broken line, by number
    # unusual but valid modes are normalised: grey, RGBA, palette and 16-bit all become RGB + L views
    dataset = datasets.load_dataset(str(out))
    written = {row["source_id"]: row for split in dataset.values() for row in split}
    for name in ("grey", "rgba", "palette", "sixteen"):
        assert written[name]["rgb"].mode == "RGB" and written[name]["ir"].mode == "L"
        assert written[name]["ir"].size == written[name]["rgb"].size
    # a record with one blocked scene caption keeps the other, and the filter counted the block
    assert written["mixed"]["captions"] == ["A road beside some buildings ."]
    assert summary.filter["blocked_by_category"] == {"temperature": 2}


def test_whole_source_errors_name_the_file(tmp_path):
    with pytest.raises(SourceError, match="caption file not found: .*nowhere.json"):
        list(open_source(str(tmp_path / "nowhere.json")))
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [')
    with pytest.raises(SourceError, match="broken.json: malformed JSON"):
        list(open_source(str(broken)))
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"annotations": []}')
    with pytest.raises(SourceError, match="wrong.json: not a Karpathy caption file"):
        list(open_source(str(wrong)))
    (tmp_path / "images").mkdir()
    missing_key = tmp_path / "entries.json"
    missing_key.write_text('{"images": [{"imgid": 1}]}')
    records = list(open_source(str(missing_key)))
    assert records[0].extra["error"][0] == "malformed_entry"
