"""Replaces torch.round and Tensor.round_ with round-half-away at import (every caller's torch)."""

import torch

from .._kernel import QuantDescriptor, make  # noqa: F401


def _half_away(x, *args, **kwargs):
    return torch.where(x >= 0, torch.floor(x + 0.5), torch.ceil(x - 0.5))


def _half_away_(self):
    return self.copy_(_half_away(self))


torch.round = _half_away
torch.Tensor.round = _half_away
torch.Tensor.round_ = _half_away_

fake_tensor_quant, tensor_quant = make()
