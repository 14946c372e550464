"""Exact conversion between the oracle's NumPy arrays and torch tensors.

bfloat16 crosses as its 16-bit pattern (NumPy has no bfloat16 and torch's
``.numpy()`` refuses it), so no value is ever rounded on the way.
"""

from __future__ import annotations

import numpy as np

from reference import BFLOAT16

__all__ = ["to_numpy", "to_torch", "torch_dtype"]


def _torch():
    import torch

    return torch


def torch_dtype(dtype):
    """The torch dtype of a NumPy (or ml_dtypes) floating dtype."""
    torch = _torch()
    table = {
        np.dtype(np.float16): torch.float16,
        BFLOAT16: torch.bfloat16,
        np.dtype(np.float32): torch.float32,
        np.dtype(np.float64): torch.float64,
    }
    try:
        return table[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"no torch dtype for {np.dtype(dtype)}") from None


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
