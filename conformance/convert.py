"""Exact conversion between the oracle's NumPy arrays and torch tensors.

bfloat16 crosses as its 16-bit pattern (NumPy has no bfloat16 and torch's
``.numpy()`` refuses it), so no value is ever rounded on the way.
"""

from __future__ import annotations

import numpy as np

from reference import BFLOAT16

__all__ = ["to_numpy", "to_torch"]


def _torch():
    import torch

    return torch


def to_torch(array, device="cpu", *, requires_grad=False):
    """A new tensor holding exactly ``array``'s bits, dtype and shape."""
    torch = _torch()
    array = np.asarray(array)
    if array.dtype == BFLOAT16:
        tensor = torch.from_numpy(array.view(np.int16).copy()).view(torch.bfloat16)
    else:
        tensor = torch.from_numpy(array.copy())
    tensor = tensor.to(device)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def to_numpy(tensor):
    """The exact bits of ``tensor`` as a NumPy array (bfloat16 via ml_dtypes)."""
    torch = _torch()
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.contiguous().view(torch.int16).numpy().copy().view(BFLOAT16)
    return tensor.contiguous().numpy().copy()
