"""A small tensor_quant kernel with switches for the bugs the sweep tests plant.

Written from SPEC.md like the built-in ``torch`` target, but with the
rounding, the signed range and the zero-amax threshold selectable, so that
each broken target below differs from the article in exactly one place.
"""

from __future__ import annotations

import torch

_EPSILON = 2.0**-24


def _round_half_away(t):
    """Exact ties away from zero (no floor(x + 0.5) double rounding); keeps -0.0."""
    truncated = t.trunc()
    tie = (t - truncated).abs() == 0.5
    return torch.where(tie, truncated + torch.sign(t), t.round())


def make(*, rounding="half_even", always_narrow=False, zero_threshold="inclusive",
         check_unsigned=True):
    """``(fake_tensor_quant, tensor_quant)`` with the chosen behaviour."""

    def quantize(inputs, amax, num_bits, unsigned, narrow_range):
        if check_unsigned and unsigned and inputs.min() < 0.0:
            raise TypeError("Negative values encountered in unsigned quantization.")
        input_dtype = inputs.dtype
        if inputs.dtype == torch.half:
            inputs = inputs.float()
        if amax.dtype == torch.half:
            amax = amax.float()
        if amax.min() < 0:
            raise ValueError("Negative values in amax")
        max_bound = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0, device=amax.device)
        if unsigned:
            min_bound = 0
        elif narrow_range or always_narrow:
            min_bound = -max_bound
        else:
            min_bound = -max_bound - 1
        scale = max_bound / amax
        zero = amax <= _EPSILON if zero_threshold == "inclusive" else amax < _EPSILON
        scale = torch.where(zero, torch.zeros_like(scale), scale)
        product = inputs * scale
        rounded = _round_half_away(product) if rounding == "half_away" else product.round()
        # torch.where keeps an element equal to a bound (-0.0 stays -0.0) on every
        # device, as PyTorch's CPU clamp does; CUDA's clamp would return +0.
        outputs = torch.where(rounded < min_bound, min_bound, rounded)
        outputs = torch.where(outputs > max_bound, max_bound, outputs)
        scale = torch.where(zero, torch.ones_like(scale), scale)
        if input_dtype == torch.half:
            outputs = outputs.half()
        return outputs, scale

    def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        outputs, scale = quantize(inputs, amax, num_bits, unsigned, narrow_range)
        return outputs / scale.to(inputs.dtype)

    def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        outputs, scale = quantize(inputs, amax, num_bits, unsigned, narrow_range)
        if outputs.dtype == torch.half and scale.max() > 65504:
            raise ValueError(f"scale is too large for FP16 with amax={amax}")
        return outputs, scale.to(inputs.dtype)

    return fake_tensor_quant, tensor_quant
