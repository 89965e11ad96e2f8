"""Retrieval recall against values worked out by hand."""

from __future__ import annotations

import pytest
import torch

from fusionrs_hf.metrics.retrieval import recall_at_k, retrieval_metrics


def test_recall_by_hand():
    # 3 images, 5 captions: caption owners 0,0,1,2,2
    text_owner = torch.tensor([0, 0, 1, 2, 2])
    scores = torch.tensor([  # image x caption similarity
        [0.1, 0.9, 0.8, 0.0, 0.2],  # image 0: top caption 1 (own) -> hit@1
        [0.7, 0.1, 0.6, 0.0, 0.3],  # image 1: ranks 0, 2(own) -> hit@2
        [0.5, 0.4, 0.3, 0.2, 0.1],  # image 2: own captions at ranks 4 and 5 -> hit@4
    ])
    # embeddings whose dot products are these scores: images = scores, captions = identity
    img, txt = scores, torch.eye(5)
    got = recall_at_k(img, txt, torch.arange(3), text_owner, ks=(1, 2, 4))
    assert got == pytest.approx({"R@1": 100 / 3, "R@2": 200 / 3, "R@4": 100.0})
    # caption -> image: each caption retrieves its own image (columns of the same scores)
    # caption 0: images by score 1(.7),2(.5),0(.1) -> own (0) at rank 3; caption 1: 0 first -> rank 1;
    # caption 2: 0(.8),1(.6) -> rank 2; caption 3: 2(.2) first -> rank 1; caption 4: 1(.3),0(.2),2(.1) -> rank 3
    got = recall_at_k(txt, img, text_owner, torch.arange(3), ks=(1, 2, 3))
    assert got == pytest.approx({"R@1": 40.0, "R@2": 60.0, "R@3": 100.0})
    # chunking does not change anything
    assert recall_at_k(txt, img, text_owner, torch.arange(3), ks=(1, 2, 3), chunk_size=2) == got


def test_all_directions_and_means():
    n = 4
    rgb = torch.eye(n)
    ir = torch.eye(n)[[1, 0, 2, 3]]  # IR rows 0 and 1 are swapped: ir->rgb R@1 = 50
    text = torch.eye(n).repeat_interleave(2, dim=0)  # two perfect captions per image
    owner = torch.arange(n).repeat_interleave(2)
    m = retrieval_metrics({"rgb": rgb, "ir": ir, "fused": rgb, "text": text}, owner, ks=(1,))
    assert m["rgb_to_text"] == {"R@1": 100.0} and m["text_to_rgb"] == {"R@1": 100.0}
    assert m["ir_to_rgb"] == {"R@1": 50.0} and m["rgb_to_ir"] == {"R@1": 50.0}
    assert m["ir_to_text"] == {"R@1": 50.0} and m["text_to_ir"] == {"R@1": 50.0}
    assert m["mR"] == pytest.approx(50.0)
    assert m["mR_all"] == pytest.approx((100 * 4 + 50 * 4) / 8)
    assert m["rgb_text_mR"] == pytest.approx(100.0)
    assert "ir_to_scene_text" not in m  # only when separate IR captions are scored
