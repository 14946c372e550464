"""SPEC.md section 6.1: ``fake_affine_tensor_quant`` and its straight-through gradient.

gemmlowp-style asymmetric fake quantization between ``min_range`` and
``max_range`` (tensors). Unlike the symmetric path it quantizes by DIVIDING
by the step, upcasts nothing (every dtype computes under PyTorch's promotion
rules, float16 included) and checks no argument: a degenerate, reversed or
non-finite range simply flows through the arithmetic. Each rule is marked
``# SPEC 6.1``; the arithmetic is PyTorch's, emulated in ``_torch_ops``.
"""

from __future__ import annotations

import numpy as np

from . import _torch_ops as ops
from ._xp import array_namespace, cast
from .quantize import _as_array

__all__ = ["affine_ste_gradient", "fake_affine_tensor_quant"]


def _arrays(xp, inputs, min_range, max_range):
    return (_as_array(xp, inputs, "inputs"), _as_array(xp, min_range, "min_range"),
            _as_array(xp, max_range, "max_range"))


def _broadcast_or_raise(*shapes):
    """PyTorch raises RuntimeError for shapes that do not broadcast; so does the oracle."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            f"shapes {', '.join(map(str, shapes))} do not broadcast (PyTorch rules: trailing "
            "dimensions align)") from None


def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8):
    """Quantize to ``2**num_bits`` levels between the two ranges, then dequantize.

    Raises ``OverflowError`` where the article's Python ``2.0**num_bits``
    overflows (num_bits >= 1024) and ``RuntimeError`` where a clamp bound does
    not fit the codes' dtype (float16 codes from num_bits 17, float32 and
    bfloat16 from 129), as PyTorch's ``torch.clamp`` does.
    """
    xp = array_namespace(inputs, min_range, max_range)
    inputs, min_range, max_range = _arrays(xp, inputs, min_range, max_range)
    # In the article's order: max - min (shapes), then 2.0**num_bits, then x / step.
    _broadcast_or_raise(max_range.shape, min_range.shape)
    # SPEC 6.1: Python floats (OverflowError past 2**1023, as in the article).
    levels = 2.0**num_bits - 1
    min_bound = -(2.0 ** (num_bits - 1))
    max_bound = 2.0 ** (num_bits - 1) - 1
    # SPEC 6.1: step = (max - min) / (2**num_bits - 1), a tensor divided by a number.
    step = ops.div_number(ops.sub(max_range, min_range), levels)
    _broadcast_or_raise(inputs.shape, step.shape)
    # SPEC 6.1: quant_zero = round(min / step) - min_bound; round is half to even.
    quant_zero = ops.sub_number(ops.round_half_even(ops.div(min_range, step)), min_bound)
    # SPEC 6.1: q = clamp(round(x / step) - quant_zero, min_bound, max_bound).
    shifted = ops.sub(ops.round_half_even(ops.div(inputs, step)), quant_zero)
    quantized = ops.clamp_number(shifted, min_bound, max_bound)
    # SPEC 6.1: outputs = (q + quant_zero) * step.
    return ops.mul(ops.add(quantized, quant_zero), step)


def affine_ste_gradient(inputs, min_range, max_range, grad_output):
    """The input gradient: ``grad_output`` where ``min_range <= x <= max_range``, else 0.

    SPEC 6.1: inclusive at both ends, on the raw inputs, each comparison under
    PyTorch promotion (a 0-d float32 range meets bfloat16 inputs rounded to
    bfloat16); NaN inputs or a NaN range get 0. The result has the inputs'
    dtype and shape, as autograd casts it; no gradient reaches the ranges.
    """
    xp = array_namespace(inputs, min_range, max_range, grad_output)
    inputs, min_range, max_range = _arrays(xp, inputs, min_range, max_range)
    grad_output = _as_array(xp, grad_output, "grad_output")
    if _broadcast_or_raise(inputs.shape, min_range.shape, max_range.shape,
                           grad_output.shape) != inputs.shape:
        raise ValueError(
            f"the gradient is defined here only when the ranges {min_range.shape}, "
            f"{max_range.shape} and grad_output {grad_output.shape} broadcast to inputs "
            f"{inputs.shape}.")
    # SPEC 6.1: (x <= max_range) * (x >= min_range), then where(mask, grad, 0).
    with np.errstate(invalid="ignore"):  # NaN compares False: gradient 0
        mask = ops.le(inputs, max_range) & ops.le(min_range, inputs)
    grad = xp.where(mask, grad_output, xp.zeros((), grad_output.dtype))
    return cast(xp.broadcast_to(grad, inputs.shape), inputs.dtype)
