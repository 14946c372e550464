"""Moving tensors between torch and a framework that computes in float32, exactly.

TensorFlow's fake-quant ops (and the adapters built like them) take float32
only. float16, bfloat16 and float32 values are all float32 values, so the
cast in is exact for them; float64 is rounded once, and amax with it. The
adapters that use this declare ``compute_float32``, so the suite judges them
by that rule instead of the cast staying hidden; the result goes back in the
input's own dtype, and the gradient in the dtype autograd expects.
"""

from __future__ import annotations

import numpy as np
import torch

from . import Unsupported

__all__ = ["as_float32", "from_float32", "require_cpu", "sum_to_shape"]


def require_cpu(adapter: str, *tensors) -> None:
    """The framework runs on the CPU here: a CUDA tensor is a call it cannot take."""
    for t in tensors:
        if t.device.type != "cpu":
            raise Unsupported(f"the {adapter} adapter runs on CPU tensors, got one on {t.device}")


def as_float32(t: torch.Tensor) -> np.ndarray:
    """A C-contiguous float32 copy (exact except for float64, see the module docstring)."""
    return np.ascontiguousarray(t.detach().to(torch.float32).numpy())


def from_float32(values, like_dtype: torch.dtype, shape=None) -> torch.Tensor:
    """The framework's float32 result as a new torch tensor of ``like_dtype``."""
    out = torch.from_numpy(np.array(values, dtype=np.float32, copy=True))
    if shape is not None:
        out = out.reshape(shape)
    return out.to(like_dtype)


def sum_to_shape(grad: torch.Tensor, shape) -> torch.Tensor:
    """A gradient of the broadcast shape summed back onto the argument's ``shape``.

    Only where it was broadcast: ``sum_to_size`` to the shape a tensor already
    has still sums a 0-d tensor, and a sum starts from +0, so the framework's
    -0 gradient would arrive as +0 (the adapter's doing, not the framework's).
    """
    return grad if tuple(grad.shape) == tuple(shape) else grad.sum_to_size(shape)
