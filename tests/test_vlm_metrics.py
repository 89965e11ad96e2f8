"""Captioning metrics (pycocoevalcap) against values worked out by hand."""

from __future__ import annotations

import pytest

from fusionrs_hf.metrics.captioning import METRIC_NAMES, caption_metrics


def test_known_values_and_perfect_match():
    # one image, hypothesis "a b c d" vs reference "a b e f": unigram precision 2/4, bigram 1/3, no trigram;
    # equal lengths (no brevity penalty); longest common subsequence 2 of 4 words on both sides
    scores = caption_metrics(["a b c d"], [["a b e f"]])
    assert scores["BLEU-1"] == pytest.approx(50.0, abs=0.01)
    assert scores["BLEU-2"] == pytest.approx(100 * (0.5 * 1 / 3) ** 0.5, abs=0.01)  # 40.82
    assert scores["BLEU-3"] == pytest.approx(0.0, abs=0.01)
    assert scores["ROUGE-L"] == pytest.approx(50.0, abs=0.01)
    assert 0 < scores["METEOR"] < 50
    # two images each predicted exactly, no n-gram shared between them (so every idf is log 2 > 0): CIDEr-D is
    # 10 x the mean over n = 1..4 of cosine similarity 1, except that "two planes parked" has no 4-gram
    # (cosine 0 there): (10 + 10 * 3/4) / 2 = 8.75 -> 875 on the x100 scale
    perfect = caption_metrics(["There is a red house .", "two planes parked"],
                              [["there is a red house"], ["Two planes parked ."]])
    assert perfect["CIDEr"] == pytest.approx(875.0, abs=0.01)
    for name in ("BLEU-1", "BLEU-4", "METEOR", "ROUGE-L"):
        assert perfect[name] == pytest.approx(100.0, abs=0.01), name
    assert tuple(perfect) == METRIC_NAMES


def test_subset_empty_prediction_and_input_errors():
    partial = caption_metrics([".", "two planes"], [["a red house"], ["two planes parked"]], metrics=("BLEU-1", "CIDEr"))
    assert set(partial) == {"BLEU-1", "CIDEr"} and partial["BLEU-1"] < 100
    with pytest.raises(ValueError, match="2 predictions but 1 reference"):
        caption_metrics(["a", "b"], [["a"]])
    with pytest.raises(ValueError, match="unknown metrics"):
        caption_metrics(["a"], [["a"]], metrics=("SPICE",))
    with pytest.raises(ValueError, match="at least one reference"):
        caption_metrics(["a"], [[]])
