"""A CORRECT implementation with no autograd.Function: the STE is built from detach().

The forward values are computed without autograd on detached tensors; the
gradient is attached as ``out - (gate.detach() - gate)`` where
``gate = where(|x| <= amax, x, 0)``. ``gate.detach() - gate`` is +0 for every
finite gate value, and subtracting +0 leaves every value unchanged (-0, NaN
and inf included), so the forward bits are exact, while d out / d x is 1
exactly where the clipped STE passes. (The common ``x + (q - x).detach()``
form is NOT bit-exact: ``x + (q - x)`` rounds, and turns -0 into +0.) An
infinite gate value occurs only where amax is inf, where the output is NaN
already. amax is used detached, so it never gets a gradient.
"""

import torch

from reference.descriptor import ScaledQuantDescriptor as QuantDescriptor

__all__ = ["QuantDescriptor", "fake_tensor_quant", "tensor_quant"]

CAUGHT_BY = frozenset()


def _forward(inputs, amax, num_bits, unsigned, narrow_range):
    """SPEC section 2 on detached tensors: ``(codes, multiplier, input dtype)``."""
    if unsigned and inputs.min() < 0.0:
        raise TypeError("Negative values encountered in unsigned quantization.")
    dtype = inputs.dtype
    x = inputs.detach()
    a = amax.detach()
    if dtype == torch.float16:
        x = x.float()
    if a.dtype == torch.float16:
        a = a.float()
    if a.min() < 0:
        raise ValueError("Negative values in amax")
    with torch.no_grad():
        hi = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0, device=a.device)
        lo = 0 if unsigned else (-hi if narrow_range else -hi - 1)
        zero_amax = a <= 2.0**-24
        multiplier = (hi / a).masked_fill(zero_amax, 0.0)
        codes = (x * multiplier).round().clamp(lo, hi)
        multiplier = multiplier.masked_fill(zero_amax, 1.0)
        if dtype == torch.float16:
            codes = codes.half()
    return codes, multiplier, dtype


def _attach_ste(values, inputs, amax):
    """``values`` with the clipped straight-through gradient to ``inputs``."""
    if not (torch.is_grad_enabled() and inputs.requires_grad):
        return values
    gate = torch.where(inputs.abs() <= amax.detach(), inputs, torch.zeros((), dtype=inputs.dtype))
    return values - (gate.detach() - gate)


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``(codes, scale)``; see SPEC sections 2 and 3."""
    codes, multiplier, dtype = _forward(inputs, amax, num_bits, unsigned, narrow_range)
    if codes.dtype == torch.float16 and multiplier.max() > 65504:
        raise ValueError(f"scale is too large for FP16 with amax={amax}")
    return _attach_ste(codes, inputs, amax), multiplier.to(dtype)


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``codes / scale`` in the inputs' dtype; see SPEC sections 2 and 3."""
    codes, multiplier, dtype = _forward(inputs, amax, num_bits, unsigned, narrow_range)
    return _attach_ste(codes / multiplier.to(dtype), inputs, amax)
