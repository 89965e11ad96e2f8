"""The optional language-model IR captioner: prompt, JSON parsing, claims filter, fallback counts."""

from __future__ import annotations

import json

import pytest

from fusionrs_hf.data import BuildConfig, build_dataset
from fusionrs_hf.data.build import SourceSpec
from fusionrs_hf.data.captioners import LanguageModelIRCaptioner, build_prompt, parse_answer
from fusionrs_hf.data.claims_filter import ClaimsFilter
from fusionrs_hf.data.records import measure_ir_view
from fusionrs_hf.data.translators import get_translator


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory, data_root):
    """A 2-layer Llama built from a config, with a BPE tokenizer trained on real caption text."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from fusionrs_hf.tokenization import caption_text_files, train_caption_tokenizer

    tokenizer = train_caption_tokenizer(caption_text_files(data_root / "text")[:5000], vocab_size=512,
                                        model_max_length=512)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    folder = tmp_path_factory.mktemp("tiny-lm")
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def test_parse_answer():
    assert parse_answer('sure: {"ir_caption": "The  road is bright."} done') == "The road is bright."
    assert parse_answer('{"other": 1} {"ir_caption": "Dark trees."}') == "Dark trees."
    assert parse_answer("no json here") is None
    assert parse_answer('{"ir_caption": ""}') is None


def test_prompt_carries_rules_caption_and_measurements(data_root):
    from PIL import Image
    import numpy as np

    rgb = np.asarray(Image.open(data_root / "ucm_captions" / "images" / "1205.jpg").convert("RGB"))
    prompt = build_prompt("A freeway with cars .", measure_ir_view(rgb, get_translator().translate([rgb])[0]))
    assert "NO physical claims" in prompt and "A freeway with cars ." in prompt
    facts = json.loads(prompt.split("(0-255): ")[1].split("\n")[0])
    assert {"mean", "edge_density", "brightest_cell", "regions_minus_surroundings"} <= set(facts)


def test_language_model_answers_are_parsed_filtered_or_replaced(tiny_lm, data_root, monkeypatch):
    from PIL import Image
    import numpy as np

    captioner = LanguageModelIRCaptioner(tiny_lm, max_new_tokens=8)
    rgb = np.asarray(Image.open(data_root / "ucm_captions" / "images" / "1205.jpg").convert("RGB"))
    measurements = measure_ir_view(rgb, get_translator().translate([rgb])[0])
    # a random tiny model writes no JSON: every caption falls back to the template, counted
    captions = captioner.caption("ucm-1204", ["A freeway .", "Some cars ."], measurements)
    assert len(captions) == 2 and all(c.startswith(("In the infrared", "Seen in infrared")) for c in captions)
    assert captioner.fallbacks["unparsable_answer"] == 2
    # a parsable answer is used, and the builder's filter still blocks a heat claim in it
    monkeypatch.setattr(captioner, "generate", lambda prompts: ['{"ir_caption": "The freeway looks hot."}'] * len(prompts))
    answer = captioner.caption("ucm-1204", ["A freeway ."], measurements)
    assert answer == ["The freeway looks hot."]
    assert not ClaimsFilter().check(answer[0]).passed


def test_build_with_language_model_captioner(tiny_lm, tmp_path, ucm_small_json, ucm_json):
    spec = SourceSpec(str(ucm_small_json), image_root=str(ucm_json.parent / "images"))
    summary = build_dataset(BuildConfig(sources=[spec], out_dir=str(tmp_path), captioner=tiny_lm, limit=2))
    assert summary.written == 2 and summary.captioner.startswith("language-model:")
    assert summary.caption_fallbacks == {"unparsable_answer": 10}  # 2 records x 5 captions, all replaced
    assert "10 captions (unparsable_answer)" in (tmp_path / "README.md").read_text()
