"""Global negatives across ranks: 2 gloo processes give the loss and gradients of 1 process on both halves."""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from clip_helpers import tiny_inputs, tiny_model

WORLD, PER_RANK = 2, 3
# (loss type, dedupe_text_negatives)
LOSSES = (("infonce", False), ("siglip", False), ("infonce", True), ("siglip", True))
TEXT_KEYS = ("input_ids", "attention_mask", "ir_input_ids", "ir_attention_mask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _loss_and_grads(model, inputs):
    out = model(**inputs, return_loss=True)
    out.loss.backward()
    terms = torch.stack([out.loss_rgb_text, out.loss_ir_text, out.loss_rgb_ir, out.loss_fused_text])
    return out.loss.detach(), terms.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def _worker(rank: int, port: int, inputs: dict, result_path: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        local = _trim_padding({k: v[rank * PER_RANK:(rank + 1) * PER_RANK] for k, v in inputs.items()})
        results = {}
        for loss, dedupe in LOSSES:
            # eval(): BatchNorm on running statistics, so the towers do not depend on how the batch is split
            model = tiny_model(seed=0, mode="trimodal_fused", loss_type=loss, dedupe_text_negatives=dedupe).eval()
            value, terms, grads = _loss_and_grads(model, local)
            # what DDP does with the gradients (average over ranks), and the mean of the per-rank losses
            for tensor in [value, terms, *grads.values()]:
                dist.all_reduce(tensor)
                tensor /= WORLD
            results[loss, dedupe] = (value, terms, grads)
        if rank == 0:
            torch.save(results, result_path)
    finally:
        dist.destroy_process_group()


def _trim_padding(local: dict) -> dict:
    """Pad each rank's captions only to its own longest, as the collator does: ranks then differ in length."""
    width = int(local["attention_mask"].sum(1).max().item())
    ir_width = int(local["ir_attention_mask"].sum(1).max().item())
    width = max(width, ir_width)  # scene and IR captions share one padded length (the processor's)
    return {k: (v[:, :width] if k in TEXT_KEYS else v) for k, v in local.items()}


def _set_length(inputs: dict, row: int, length: int) -> None:
    for ids, mask in (("input_ids", "attention_mask"), ("ir_input_ids", "ir_attention_mask")):
        inputs[ids][row, length - 1] = 3  # eos
        inputs[ids][row, 1:length - 1] = inputs[ids][row, 1:length - 1].clamp(min=4)
        inputs[ids][row, length:] = 0
        inputs[mask][row] = (torch.arange(inputs[mask].shape[1]) < length).long()


def _inputs_with_repeated_captions() -> dict:
    """Rows 0 (rank 0) and 4 (rank 1) share a scene caption, rows 1 and 2 (both rank 0) too; rank 0's
    captions run to the full length, rank 1's to 4 tokens."""
    inputs = tiny_inputs(batch=WORLD * PER_RANK, seed=3)
    for row, length in ((0, 4), (1, 7), (3, 4), (5, 3)):
        _set_length(inputs, row, length)
    for src, dst in ((0, 4), (1, 2)):
        inputs["input_ids"][dst] = inputs["input_ids"][src]
        inputs["attention_mask"][dst] = inputs["attention_mask"][src]
    return inputs


def test_two_gloo_ranks_equal_one_process_on_the_combined_batch(tmp_path):
    inputs = _inputs_with_repeated_captions()
    # the ranks pad to different lengths: the caption comparison must not depend on it
    assert len({_trim_padding({k: v[r * PER_RANK:(r + 1) * PER_RANK] for k, v in inputs.items()})["input_ids"].shape[1]
                for r in range(WORLD)}) == 2
    result_path = str(tmp_path / "ranks.pt")
    mp.spawn(_worker, args=(_free_port(), inputs, result_path), nprocs=WORLD, join=True)
    ranks = torch.load(result_path)
    for loss, dedupe in LOSSES:
        model = tiny_model(seed=0, mode="trimodal_fused", loss_type=loss, dedupe_text_negatives=dedupe).eval()
        expected = _loss_and_grads(model, inputs)
        value, terms, grads = ranks[loss, dedupe]
        torch.testing.assert_close(value, expected[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(terms, expected[1], atol=1e-5, rtol=1e-5)
        assert grads.keys() == expected[2].keys() and "logit_scale" in grads
        for name, grad in grads.items():
            torch.testing.assert_close(grad, expected[2][name], atol=1e-5, rtol=1e-4, msg=name)
    # the option changes the text terms on this batch, so the checks above cover the deduplicated path
    for loss in ("infonce", "siglip"):
        assert not torch.allclose(ranks[loss, True][1][0], ranks[loss, False][1][0])


def test_without_the_gather_ranks_see_only_local_negatives():
    # guards the test above against passing trivially: local-only losses differ from the global one
    inputs = tiny_inputs(batch=WORLD * PER_RANK, seed=3)
    model = tiny_model(seed=0, mode="trimodal_fused").eval()
    with torch.no_grad():
        full = model(**inputs, return_loss=True).loss
        halves = [model(**{k: v[r * PER_RANK:(r + 1) * PER_RANK] for k, v in inputs.items()}, return_loss=True).loss
                  for r in range(WORLD)]
    assert abs((sum(halves) / WORLD - full).item()) > 1e-3
