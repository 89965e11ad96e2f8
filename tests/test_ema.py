"""The weight-averaging callback: the moving average it keeps, and what the trainer saves with it."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerState

from fusionrs_hf.training.ema import EMACallback


def test_ema_follows_its_definition_and_ends_in_the_model():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    callback, state = EMACallback(decay=0.5), TrainerState()
    callback.on_train_begin(None, state, None, model=model)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    expected = {k: v.clone() for k, v in start.items() if v.dtype.is_floating_point}
    for step in (1, 2, 3):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
        model.train()(torch.randn(4, 3))  # moves the BatchNorm statistics too
        state.global_step = step
        callback.on_step_end(None, state, None, model=model)
        decay = min(0.5, (1 + step) / (10 + step))
        for k, v in model.state_dict().items():
            if k in expected:
                expected[k] = decay * expected[k] + (1 - decay) * v
    callback.on_train_end(None, state, None, model=model)
    for k, v in model.state_dict().items():
        if k in expected:
            torch.testing.assert_close(v, expected[k])
    assert model.state_dict()["1.num_batches_tracked"].item() == 3  # integer buffers are left alone
    with pytest.raises(ValueError, match="decay"):
        EMACallback(decay=1.0)


def test_trainer_saves_the_average_and_checkpoints_the_raw_weights(ucm_small_dataset, tmp_path):
    from fusionrs_hf.training.clip import train_clip

    summary = train_clip(str(ucm_small_dataset), str(tmp_path), preset="tiny", max_steps=4, batch_size=16,
                         eval_split=None, ema_decay=0.9)
    assert summary["ema_decay"] == 0.9
    saved = load_file(tmp_path / "model.safetensors")
    raw = load_file(next(tmp_path.glob("checkpoint-*")) / "model.safetensors")
    assert saved.keys() == raw.keys()
    assert any(not torch.equal(saved[k], raw[k]) for k in saved)
