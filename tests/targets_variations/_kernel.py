"""The article's fake_tensor_quant in PyTorch, with one switch per deviation.

Forward only (no gradient), following the article's dtype rules.
"""

from __future__ import annotations

import torch

EPSILON = 2.0**-24


def make(*, half_away=False, always_narrow=False, off_by_one_code=None):
    """A ``fake_tensor_quant`` with the chosen deviation."""

    @torch.no_grad()  # forward only: the fingerprint then leaves the STE fields open
    def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        if unsigned and inputs.min() < 0:
            raise TypeError("Negative values encountered in unsigned quantization.")
        dtype = inputs.dtype
        x = inputs.float() if dtype == torch.half else inputs
        a = amax.float() if amax.dtype == torch.half else amax
        if a.min() < 0:
            raise ValueError("Negative values in amax")
        max_bound = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0)
        if unsigned:
            min_bound = 0
        elif narrow_range or always_narrow:
            min_bound = -max_bound
        else:
            min_bound = -max_bound - 1
        scale = max_bound / a
        zero = a <= EPSILON
        scale = torch.where(zero, torch.zeros_like(scale), scale)
        product = x * scale
        if half_away:
            magnitude = product.abs()
            rounded = torch.where(magnitude - magnitude.trunc() >= 0.5,
                                  product.trunc() + product.sign(), product.trunc())
        else:
            rounded = product.round()
        codes = torch.clamp(rounded, min_bound, max_bound)
        if off_by_one_code is not None:  # an unrelated bug: one code lands one step up
            codes = torch.where(codes == off_by_one_code, codes + 1, codes)
        scale = torch.where(zero, torch.ones_like(scale), scale)
        if dtype == torch.half:
            codes = codes.half()
        return codes / scale.to(dtype)

    return fake_tensor_quant
