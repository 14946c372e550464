"""The fingerprint tests' kernels: forward-only ``tests.targets._switchable`` functions.

Forward only (under no_grad, so no gradient), so the fingerprint leaves the
straight-through fields open.
"""

from __future__ import annotations

import torch

from .._switchable import make as _make


def make(*, half_away=False, always_narrow=False, off_by_one_code=None):
    """A forward-only ``fake_tensor_quant`` with the chosen deviation."""
    fake_tensor_quant, _ = _make(rounding="half_away" if half_away else "half_even",
                                 always_narrow=always_narrow, off_by_one_code=off_by_one_code)
    return torch.no_grad()(fake_tensor_quant)
