"""IR-aware captions grounded in measurements of real IR views."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest
from PIL import Image

from fusionrs_hf.data.claims_filter import find_claims
from fusionrs_hf.data.ir_captions import TemplateIRCaptioner, describe_ir, scene_clause
from fusionrs_hf.data.records import measure_ir_view
from fusionrs_hf.data.translators import get_translator


def _measure(data_root, filename):
    rgb = np.asarray(Image.open(data_root / "ucm_captions" / "images" / filename).convert("RGB"))
    return measure_ir_view(rgb, get_translator().translate([rgb])[0])


@pytest.fixture(scope="module")
def ucm_entries(ucm_json):
    return json.loads(ucm_json.read_text())["images"]


def test_same_scene_caption_different_views_give_different_captions(data_root, ucm_entries):
    # UCM images 1 and 2 share all five scene captions ("There is a piece of farmland .")
    first, second = ucm_entries[0], ucm_entries[1]
    assert [s["raw"] for s in first["sentences"]] == [s["raw"] for s in second["sentences"]]
    caption = first["sentences"][0]["raw"]
    a = describe_ir(caption, _measure(data_root, first["filename"]), random.Random(0))
    b = describe_ir(caption, _measure(data_root, second["filename"]), random.Random(0))
    assert a != b


def test_captions_keep_scene_semantics_and_state_measured_facts(data_root, ucm_entries):
    entry = ucm_entries[850]  # a golf course with turf, bunkers and trees
    captions = [s["raw"] for s in entry["sentences"]]
    measurements = _measure(data_root, entry["filename"])
    ir_captions = TemplateIRCaptioner(seed=0).caption("ucm-850", captions, measurements)
    assert len(ir_captions) == len(captions)
    for scene, ir_caption in zip(captions, ir_captions):
        assert scene_clause(scene) in ir_caption
        assert find_claims(ir_caption, support=" ".join(captions)) == []
        assert 1 <= ir_caption.count(". ") + 1 <= 2
    # the vegetation the captions name measures darker than its surroundings, and every caption says so
    _, vegetation_delta = measurements.regions["vegetation"]
    assert vegetation_delta < -12
    for ir_caption in ir_captions:
        assert re.search(r"the (golf course|trees|turfs) (appears? darker|gives? a dark|stands? out dark)", ir_caption, re.I), ir_caption


def test_captions_are_deterministic_per_seed_and_vary_in_wording(data_root, ucm_entries):
    entry = ucm_entries[1500]
    captions = [s["raw"] for s in entry["sentences"]]
    measurements = _measure(data_root, entry["filename"])
    one = TemplateIRCaptioner(seed=3).caption("x", captions * 4, measurements)
    assert one == TemplateIRCaptioner(seed=3).caption("x", captions * 4, measurements)
    prefixes = {c.split(",")[0] for c in one}
    assert len(prefixes) > 1  # several phrasings across the record's captions


def test_scene_clause():
    assert scene_clause("A villa with grey roofs .") == "a villa with grey roofs"
    assert scene_clause("USGS tile shows a river.") == "USGS tile shows a river"
