"""A CORRECT implementation, written apart from the built-in one: explicit masks and torch.where.

No in-place index assignment and no torch.clamp: the zero-amax multiplier,
the clamp to the bounds and the reported scale are each a ``torch.where`` on
an explicit mask, the bounds come from ``math.ldexp``, and the autograd
function uses the ``setup_context`` style. It reproduces PyTorch's CPU
promotion because every operation is the same elementwise PyTorch operation
the article uses (a 0-d float32 multiplier keeps a bfloat16 tensor in
bfloat16, read at full float32 precision). It must pass every property.
"""

import math

import numpy as np
import torch

from reference.descriptor import ScaledQuantDescriptor as QuantDescriptor

__all__ = ["QuantDescriptor", "fake_tensor_quant", "tensor_quant"]

CAUGHT_BY = frozenset()

_TINY_AMAX = 2.0**-24
_HALF_MAX = float(np.finfo(np.float16).max)


def _quantize(inputs, amax, num_bits, unsigned, narrow_range):
    """``(codes, multiplier)`` per SPEC section 2, without mutating anything."""
    if unsigned and bool(inputs.min() < 0):
        raise TypeError("Negative values encountered in unsigned quantization.")
    half_inputs = inputs.dtype == torch.float16
    work = inputs.to(torch.float32) if half_inputs else inputs
    amax = amax.to(torch.float32) if amax.dtype == torch.float16 else amax
    if bool(amax.min() < 0):
        raise ValueError("Negative values in amax")

    top = torch.tensor(math.ldexp(1.0, num_bits - 1 + int(unsigned)) - 1.0, device=amax.device)
    if unsigned:
        bottom = torch.zeros((), device=amax.device)
    else:
        bottom = -top if narrow_range else -top - 1

    # One test on the whole amax gates the mask: min() is NaN when amax holds a NaN, and
    # then no amax is treated as zero (a zero channel keeps top / 0 = inf).
    treated_as_zero = (amax <= _TINY_AMAX) & (amax.min() <= _TINY_AMAX)
    multiplier = torch.where(treated_as_zero, torch.zeros((), dtype=amax.dtype), top / amax)
    rounded = torch.round(work * multiplier)
    # The lower bound first, then the upper, as clamp does: when bottom > top (num_bits=0)
    # every code is top. Comparisons are False for NaN, so NaN codes fall through.
    raised = torch.where(rounded < bottom, bottom, rounded)
    codes = torch.where(raised > top, top, raised)
    multiplier = torch.where(treated_as_zero, torch.ones((), dtype=amax.dtype), multiplier)
    if half_inputs:
        codes = codes.to(torch.float16)
    return codes, multiplier


def _clipped(inputs, amax, grad):
    inside = inputs.abs() <= amax  # inclusive, on the raw inputs; False for NaN
    # The zero has one dimension, as the article's new_zeros(1): a 0-d input's gradient
    # is summed back to (), so a passed -0 arrives as +0 there.
    zero = torch.zeros(1, dtype=grad.dtype, device=grad.device)
    return torch.where(inside, grad, zero).sum_to_size(inputs.shape)


class _TensorQuant(torch.autograd.Function):
    @staticmethod
    def forward(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        codes, multiplier = _quantize(inputs, amax, num_bits, unsigned, narrow_range)
        if codes.dtype == torch.float16 and bool(multiplier.max() > _HALF_MAX):
            raise ValueError(f"scale is too large for FP16 with amax={amax}")
        return codes, multiplier.to(inputs.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], inputs[1])

    @staticmethod
    def backward(ctx, grad_codes, grad_scale):
        x, amax = ctx.saved_tensors
        return _clipped(x, amax, grad_codes), None, None, None, None


class _FakeTensorQuant(torch.autograd.Function):
    @staticmethod
    def forward(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        codes, multiplier = _quantize(inputs, amax, num_bits, unsigned, narrow_range)
        return codes / multiplier.to(inputs.dtype)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], inputs[1])

    @staticmethod
    def backward(ctx, grad_outputs):
        x, amax = ctx.saved_tensors
        return _clipped(x, amax, grad_outputs), None, None, None, None


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``(codes, scale)``; see SPEC sections 2 and 3."""
    return _TensorQuant.apply(inputs, amax, num_bits, unsigned, narrow_range)


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``codes / scale`` in the inputs' dtype; see SPEC sections 2 and 3."""
    return _FakeTensorQuant.apply(inputs, amax, num_bits, unsigned, narrow_range)
