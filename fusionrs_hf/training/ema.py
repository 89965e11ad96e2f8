"""Exponential moving average of the weights (Polyak averaging) as a Trainer callback."""

from __future__ import annotations

import torch
from transformers import TrainerCallback


class EMACallback(TrainerCallback):
    """Keeps an exponential moving average of every floating-point weight and buffer (BatchNorm statistics
    too) and loads it into the model when training ends, so the saved model is the average. On small data
    the last steps' weights are noisy (on UCM it halved the seed-to-seed spread of the small CLIP).
    The decay is warmed up as in timm (`min(decay, (1 + step) / (10 + step))`) so the average does not
    remember the random init. Checkpoints hold the raw weights and not the average: a resumed run starts
    the average afresh."""

    def __init__(self, decay: float = 0.98):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.shadow: dict[str, torch.Tensor] = {}

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.shadow = {name: value.detach().clone() for name, value in model.state_dict().items()
                       if value.dtype.is_floating_point}

    @torch.no_grad()
    def on_step_end(self, args, state, control, model=None, **kwargs):
        decay = min(self.decay, (1 + state.global_step) / (10 + state.global_step))
        for name, value in model.state_dict().items():
            if name in self.shadow:
                self.shadow[name].lerp_(value.detach(), 1.0 - decay)

    def on_train_end(self, args, state, control, model=None, **kwargs):
        model.load_state_dict(self.shadow, strict=False)
