"""One correct kernel with a switch per planted deviation, for the small test targets.

The sweep, fingerprint and variation tests each need "the article's kernel
with one thing changed". They share this one, built on the zoo's step-by-step
kernel (``tests.zoo._base``), so a fix to the correct path reaches them all.
"""

from __future__ import annotations

import torch

from tests.zoo._base import EPSILON, Kernel, export

__all__ = ["Switchable", "make"]


def round_half_away(values):
    """Exact ties away from zero (no floor(x + 0.5) double rounding); keeps -0.0."""
    truncated = values.trunc()
    tie = (values - truncated).abs() == 0.5
    return torch.where(tie, truncated + torch.sign(values), values.round())


class Switchable(Kernel):
    """The article's kernel, except where a switch says otherwise."""

    def __init__(self, *, rounding="half_even", always_narrow=False, zero_threshold="inclusive",
                 check_unsigned=True, off_by_one_code=None):
        self.half_away = {"half_even": False, "half_away": True}[rounding]
        self.always_narrow = always_narrow
        self.strict_zero = {"inclusive": False, "strict": True}[zero_threshold]
        self.unsigned_checked = check_unsigned
        self.off_by_one_code = off_by_one_code

    def check_unsigned(self, inputs, unsigned):
        if self.unsigned_checked:
            super().check_unsigned(inputs, unsigned)

    def bounds(self, num_bits, unsigned, narrow_range, device):
        return super().bounds(num_bits, unsigned, narrow_range or self.always_narrow, device)

    def zero_amax(self, amax):
        return amax < EPSILON if self.strict_zero else super().zero_amax(amax)

    def round(self, values, input_dtype):
        return round_half_away(values) if self.half_away else super().round(values, input_dtype)

    def clamp(self, values, min_bound, max_bound):
        codes = super().clamp(values, min_bound, max_bound)
        if self.off_by_one_code is not None:  # an unrelated bug: one code lands one step up
            codes = torch.where(codes == self.off_by_one_code, codes + 1, codes)
        return codes


def make(**switches):
    """``(fake_tensor_quant, tensor_quant)`` of a :class:`Switchable` kernel."""
    return export(Switchable(**switches))
