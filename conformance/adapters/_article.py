"""The article's own arithmetic around a real kernel, as a user porting SPEC section 6 writes it.

A kernel replaces the core of ``fake_affine_tensor_quant`` (the clamp of the
rounded codes) or of ``scaled_e4m3`` (the E4M3 conversion); what surrounds it
stays the article's code, written here once for every adapter: the affine
step and zero point computed from the ranges with torch, and the E4M3 zero
mask. So a deviation an adapter shows is the kernel's, not the port's.
"""

from __future__ import annotations

import dataclasses

import torch

from . import Unsupported

__all__ = ["AffineParams", "E4M3_MAX", "affine_params", "apply_e4m3_zero_mask"]

#: The largest finite E4M3 value; ``s = E4M3_MAX / amax`` in the article.
E4M3_MAX = 448.0
#: Inputs below this magnitude become +0 (SPEC 6.3's zero mask).
_E4M3_ZERO = 2.0**-24


@dataclasses.dataclass(frozen=True)
class AffineParams:
    """``step`` (the ranges' dtype), ``zero_point = min_bound - round(min_range / step)``
    (the kernel's convention: ``q = round(x / step) + zero_point``, still a float tensor),
    the article's integer bounds, and the dtype PyTorch promotion gives ``inputs / step``."""

    step: torch.Tensor
    zero_point: torch.Tensor
    min_bound: int
    max_bound: int
    dtype: torch.dtype


def affine_params(inputs, min_range, max_range, num_bits, *, max_bits: int,
                  kernel: str) -> AffineParams:
    """SPEC 6.1's step and zero point, computed from the ranges as the article does.

    The kernel's zero point is the article's ``-quant_zero``. ``max_bits``: the
    widest integer the kernel's bounds take; wider (and num_bits < 1) is
    Unsupported, naming ``kernel``. The ranges are detached: the article gives
    them no gradient.
    """
    if not 1 <= num_bits <= max_bits:
        raise Unsupported(f"num_bits={num_bits}: {kernel} takes integer bounds and an "
                          f"integer zero point, 1 to {max_bits} bits")
    min_range, max_range = min_range.detach(), max_range.detach()
    step = (max_range - min_range) / (2.0**num_bits - 1)
    min_bound = -(2 ** (num_bits - 1))
    zero_point = min_bound - torch.round(min_range / step)
    return AffineParams(step, zero_point, min_bound, 2 ** (num_bits - 1) - 1,
                        torch.result_type(inputs, step))


def apply_e4m3_zero_mask(inputs, outputs):
    """``outputs[|inputs| < 2**-24] = 0`` in place, as the article writes it (a boolean index
    selects along the leading dimensions, so where amax widens the inputs whole rows go)."""
    outputs[inputs.detach().abs() < _E4M3_ZERO] = 0
    return outputs
