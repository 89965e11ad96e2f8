"""Leakage groups and split assignment."""

from __future__ import annotations

from fusionrs_hf.data.splits import assign_splits, group_records, normalise_caption_set


def test_near_duplicate_hashes_and_shared_caption_sets_merge():
    base = 0x0F0F_F0F0_1234_ABCD
    ids = ["a", "b", "c", "d", "e"]
    hashes = [base, base ^ 0b1011, 0xFFFF_0000_FFFF_0000, 0x1357_9BDF_2468_ACE0, 0x0000_FFFF_0000_FFFF]
    keys = [normalise_caption_set(["x"]), normalise_caption_set(["y"]), normalise_caption_set(["A tree ."]),
            normalise_caption_set(["a  tree"]), normalise_caption_set(["z"])]
    groups, report = group_records(ids, hashes, keys, max_distance=4)
    assert groups == ["a", "a", "c", "c", "e"]  # 3-bit hash distance; same caption set up to case/punctuation
    assert (report.merges_by_phash, report.merges_by_caption_set, report.groups) == (1, 1, 3)
    far = group_records(["a", "b"], [base, base ^ 0b11111], ["k1", "k2"], max_distance=4)[0]
    assert far == ["a", "b"]  # 5 bits apart is not a near duplicate


def test_groups_without_source_splits_never_straddle():
    ids = [f"r{i}" for i in range(400)]
    groups = [f"g{i // 4}" for i in range(400)]
    splits = assign_splits(groups, [None] * 400, group_records(ids[:1], [0], ["k"])[1], seed=1)
    by_group = {}
    for group, split in zip(groups, splits):
        assert by_group.setdefault(group, split) == split
    assert {"train", "validation", "test"} == set(splits)
    assert splits.count("train") > splits.count("validation")


def test_source_splits_are_kept_and_crossings_reported():
    _, report = group_records(["a"], [0], ["k"])
    splits = assign_splits(["g1", "g1", "g2", "g2"], ["train", "validation", "train", None], report)
    assert splits == ["train", "validation", "train", "train"]  # the unsplit record follows its group
    assert report.groups_crossing_source_splits == 1 and report.records_in_crossing_groups == 2
