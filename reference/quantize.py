"""SPEC.md section 2: ``_tensor_quant``, the body shared by both functions.

Each numbered rule of SPEC.md section 2 appears once below, marked
``# SPEC 2.N``. The ``semantics`` argument selects a named variation
(``reference.semantics``); with ``ARTICLE`` the code is the article's.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import _torch_ops as ops
from ._xp import FLOAT16, FLOAT32, REDUCED_DTYPES, array_namespace, check_float_dtype
from .semantics import ARTICLE, Semantics

__all__ = ["EMPTY_MIN_MESSAGE", "EPSILON", "Quantized", "bounds", "quantize",
           "tensor_min"]

#: Amax at or below this quantizes to zero: the smallest float16 subnormal.
EPSILON = 2.0**-24


@dataclasses.dataclass(frozen=True)
class Quantized:
    """What ``_tensor_quant`` computed, before the public functions finish it.

    ``codes`` are the rounded, clamped values in the dtype the article
    returns them in; ``scale`` is the multiplier ``max_bound / amax`` with 1
    where amax was treated as zero; ``step`` is ``amax / max_bound`` (used
    only by the ``multiply_step`` dequantize variation); ``wide_codes`` are
    the codes before any cast back to a 16-bit input dtype; ``rounded`` are
    the rounded codes before the clamp (the ``rounded_code`` STE mask).
    """

    codes: object
    wide_codes: object
    rounded: object
    scale: object
    step: object
    input_dtype: np.dtype


def bounds(num_bits, unsigned, narrow_range, semantics: Semantics = ARTICLE):
    """SPEC 2.4: ``(min_bound, max_bound)`` as float32 values (or int 0)."""
    # torch.tensor(python float) rounds the double to float32.
    with np.errstate(over="ignore"):
        max_bound = np.float32(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0)
    if unsigned:
        min_bound = 0
    elif semantics.signed_range == "narrow" or (
        narrow_range and semantics.signed_range == "per_flag"
    ):
        min_bound = -max_bound
    else:
        min_bound = -max_bound - np.float32(1)
    return min_bound, max_bound


#: What ``tensor.min()`` raises on an empty tensor (torch 2.13, CPU and CUDA).
EMPTY_MIN_MESSAGE = ("min(): Expected reduction dim to be specified for input.numel() == 0. "
                     "Specify the reduction dim with the 'dim' argument.")


def tensor_min(xp, a) -> float:
    """``tensor.min()`` as a Python float: NaN if any element is NaN; empty raises.

    PyTorch's ``min()`` propagates NaN, so every comparison with the result
    is false when the tensor holds a NaN (SPEC 2.1, 2.3, 2.5). An empty
    tensor's ``min()`` raises ``RuntimeError``. NaN is tested explicitly
    rather than left to ``xp.min`` so NumPy and CuPy agree by construction.
    """
    if a.size == 0:
        raise RuntimeError(EMPTY_MIN_MESSAGE)
    with np.errstate(invalid="ignore"):  # a signalling NaN pattern (bfloat16) is still NaN
        if bool(xp.isnan(a).any()):
            return float("nan")
    return float(xp.min(a.astype(np.float64)))


def _opmath(a):
    """PyTorch's opmath: 16-bit floats computed in float32, others as they are."""
    return a.astype(FLOAT32) if a.dtype in REDUCED_DTYPES else a


def _round(xp, t, rounding):
    if rounding == "half_even":
        return ops.round_half_even(t)
    wide = t.astype(np.float64)
    truncated = xp.trunc(wide)
    if rounding == "half_away":
        with np.errstate(invalid="ignore"):
            up = xp.abs(wide - truncated) >= 0.5
        wide = xp.where(up, truncated + xp.sign(wide), truncated)
    else:  # toward_zero
        wide = truncated
    return wide.astype(t.dtype)


def _as_array(xp, value, name):
    if not hasattr(value, "dtype") or not hasattr(value, "ndim"):
        raise TypeError(
            f"{name} must be a NumPy (or CuPy) array, got {type(value).__name__}; "
            f"wrap it, e.g. numpy.asarray({value!r}, dtype=numpy.float32)."
        )
    value = xp.asarray(value)
    check_float_dtype(value.dtype, name)
    return value


def quantize(inputs, amax, num_bits=8, unsigned=False, narrow_range=True, *,
             semantics: Semantics = ARTICLE) -> Quantized:
    """The article's ``_tensor_quant`` on arrays; raises as the article does."""
    xp = array_namespace(inputs, amax)
    inputs = _as_array(xp, inputs, "inputs")
    amax = _as_array(xp, amax, "amax")
    # SPEC 2.1: unsigned with a negative input, checked before any cast. min()
    # propagates NaN (NaN < 0 is false) and an empty tensor's min() raises.
    if unsigned and tensor_min(xp, inputs) < 0:
        raise TypeError("Negative values encountered in unsigned quantization.")

    input_dtype = inputs.dtype
    if semantics.compute == "float32":
        inputs, amax = inputs.astype(FLOAT32), amax.astype(FLOAT32)
    elif semantics.compute == "opmath":  # 16-bit dtypes in float32, float64 kept
        inputs, amax = _opmath(inputs), _opmath(amax)
    else:
        # SPEC 2.2: only float16 is upcast, the inputs and amax separately.
        if inputs.dtype == FLOAT16:
            inputs = inputs.astype(FLOAT32)
        if amax.dtype == FLOAT16:
            amax = amax.astype(FLOAT32)

    # SPEC 2.3: a negative amax; an amax holding a NaN never raises (NaN < 0 is false).
    min_amax = tensor_min(xp, amax)
    if min_amax < 0:
        raise ValueError("Negative values in amax")

    # PyTorch raises RuntimeError at ``inputs * scale`` for shapes that do not
    # broadcast, after the checks above; so does the oracle, with a clearer message.
    try:
        np.broadcast_shapes(inputs.shape, amax.shape)
    except ValueError:
        raise RuntimeError(
            f"amax of shape {amax.shape} does not broadcast against inputs of "
            f"shape {inputs.shape} (PyTorch rules: trailing dimensions align)."
        ) from None

    min_bound, max_bound = bounds(num_bits, unsigned, narrow_range, semantics)
    max_bound_t = xp.asarray(max_bound, dtype=FLOAT32)  # a 0-d float32 tensor

    # SPEC 2.5: the multiplier, zeroed where amax is (nearly) zero. The article
    # masks only if amax.min() <= 2**-24, one test on the whole amax: with a NaN
    # anywhere in amax the min is NaN, the gate is off, and a zero channel keeps
    # max_bound / 0 = inf. The kernels' per-element variations have no gate.
    scale = ops.div(max_bound_t, amax)
    step = ops.div(amax, max_bound_t)
    if semantics.zero_amax == "inclusive_signed":
        gated = min_amax <= EPSILON  # False when min_amax is NaN
        zero_mask = amax <= EPSILON if gated else xp.zeros(amax.shape, dtype=bool)
    elif semantics.zero_amax == "strict_positive_zero":
        zero_mask = amax < EPSILON
    else:  # none: every amax quantizes with its own step
        zero_mask = xp.zeros(amax.shape, dtype=bool)
    any_zero = bool(zero_mask.any())
    if any_zero:
        scale = xp.where(zero_mask, xp.zeros((), scale.dtype), scale)

    if semantics.quantize == "multiply":
        product = ops.mul(inputs, scale)
    elif semantics.quantize == "divide_step":
        product = ops.div(inputs, step)
    else:  # multiply_reciprocal_step
        reciprocal = ops.div(xp.ones((), FLOAT32), step.astype(FLOAT32))
        product = ops.mul(inputs, reciprocal)
    if any_zero and semantics.quantize != "multiply":
        zeroed = ops.mul(inputs, xp.zeros(scale.shape, scale.dtype))
        product = xp.where(zero_mask, zeroed.astype(product.dtype), product)
    if any_zero and semantics.zero_amax == "strict_positive_zero":
        product = xp.where(zero_mask, xp.zeros((), product.dtype), product)

    # SPEC 2.6: round half to even, then clamp (NaN stays NaN, inf clamps).
    rounded = _round(xp, product, semantics.rounding)
    if semantics.nan_clamp == "lower_bound":  # fmin(fmax(q, qmin), qmax)
        clampable = xp.where(xp.isnan(rounded), rounded.dtype.type(min_bound), rounded)
    else:
        clampable = rounded
    wide_codes = ops.clamp(clampable, min_bound, max_bound)

    # SPEC 2.7: under the same gate, the returned scale is 1 where amax was treated as zero.
    if any_zero:
        scale = xp.where(zero_mask, xp.ones((), scale.dtype), scale)
        step = xp.where(zero_mask, xp.ones((), step.dtype), step)

    # SPEC 2.8: float16 inputs get float16 codes back.
    if semantics.compute != "article" or input_dtype == FLOAT16:
        codes = wide_codes.astype(input_dtype)
    else:
        codes = wide_codes
    return Quantized(codes, wide_codes, rounded, scale, step, input_dtype)

