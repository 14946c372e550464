"""Hypothesis strategies for ``fake_affine_tensor_quant`` (SPEC 6.1), from its structure.

The function divides by ``step = (max - min) / (2**num_bits - 1)``, rounds
``min / step`` and ``x / step`` half to even, and clamps codes to
``[-2**(n-1), 2**(n-1) - 1]``. So the ranges are drawn by kind (including
zero, excluding it, one end at +-0, ``min == max``, reversed, NaN and +-inf,
huge spans, and "tie" ranges whose step is a power of two and whose
``min / step`` is an exact .5), and the inputs are built where kernels part:
.5 ties of ``x / step`` and their ulp neighbours around the zero point and
both clamp edges, the ranges themselves (the gradient's inclusive bounds),
signed zeros, non-finite and huge values, mixed with random ones. Every
dtype meets every range dtype and shape (0-d, one element, per channel), so
PyTorch's promotion rules decide the arithmetic as they do in the article.

The inputs are drawn as a seed, not element by element: a failing
per-tensor call is narrowed to the one element that shows it when it is
judged (``properties._section6``), so the seed needs no shrinking, and
drawing a whole pool at once ("dense") makes the rare near-tie certain.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..section6_calls import Call
from . import DTYPES, _in_dtype, _ulp_neighbours
from .section6 import LAYOUTS, SEEDS, array_from_pool, forward_grads, omit_defaults

__all__ = ["RANGE_KINDS", "affine_calls", "affine_num_bits", "affine_ranges", "grid_calls"]

#: The kinds of (min_range, max_range) pairs drawn.
RANGE_KINDS = ("tie", "tie", "includes_zero", "includes_zero", "excludes_zero", "zero_end",
               "degenerate", "reversed", "non_finite", "huge", "random", "random")
#: Range magnitudes: round numbers (exact spans) and, twice as often, arbitrary ones, whose
#: span max - min and step round in the range's dtype (where a float64 step parts).
_MAGNITUDE = st.one_of(st.sampled_from((1.0, 0.5, 2.0, 127.0, 128.0, 1e-3, 3.0, 0.1, 100.0,
                                        1e4, 2.0**-24, 65504.0)),
                       st.floats(1e-4, 1e4), st.floats(1e-4, 1e4))
_KIND = st.sampled_from(RANGE_KINDS)
_SPECIAL = st.sampled_from([math.nan, math.inf, -math.inf])
_WHICH = st.sampled_from(["low", "high", "both"])
_ZERO_END = st.integers(0, 3)
_RANDOM_END = st.floats(-1e4, 1e4)
_TIE_EXPONENT = st.integers(-4, 12)
_TIE_CODE = st.integers(0, 5)
_HUGE = st.sampled_from([(-3e38, 3e38), (-65504.0, 65504.0), (-1e30, 1e30)])
_BITS = st.one_of(st.just(8), st.integers(1, 16),
                  st.sampled_from([0, -1, 17, 24, 25, 32, 53, 64, 128, 129, 1024]))
_DTYPE = st.sampled_from(DTYPES)
_RANGE_DTYPE = st.integers(0, 5)  # 0-1: the inputs' dtype, 2: float32, 3-5: another
_SHAPE = hnp.array_shapes(min_dims=0, max_dims=2, max_side=5)
_CHANNEL_SHAPE = hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3)
_RANGE_SHAPE = st.sampled_from([(), (), (1,)])
_RANGES_GRAD = st.sampled_from([frozenset(), frozenset({"min_range", "max_range"}),
                                frozenset({"max_range"})])


def affine_num_bits():
    """Mostly 8 and 1-16; sometimes 0, -1 and widths whose bounds leave float16 (17),
    float32's integers (25, 32, 53), float32 itself (129) or Python floats (1024)."""
    return _BITS


@st.composite
def affine_ranges(draw, num_bits: int):
    """``(min_range, max_range)`` as Python floats, by kind (see RANGE_KINDS)."""
    kind = draw(_KIND, label="range_kind")
    a, b = draw(_MAGNITUDE, label="low_magnitude"), draw(_MAGNITUDE, label="high_magnitude")
    if kind == "tie" and 1 <= num_bits <= 20:
        # step = 2**-j exactly, min / step = -(k + 0.5): a tie in the zero point.
        levels = 2**num_bits - 1
        j = draw(_TIE_EXPONENT, label="tie_exponent")
        k = (0, 1, 2, levels // 2, levels - 1, levels)[draw(_TIE_CODE, label="tie_code")]
        low = -(k + 0.5) * 2.0**-j
        return low, low + levels * 2.0**-j
    if kind in ("includes_zero", "tie"):
        return -a, b
    if kind == "excludes_zero":
        return (a, a + b) if draw(st.booleans(), label="positive") else (-a - b, -a)
    if kind == "zero_end":
        return ((0.0, b), (-0.0, b), (-a, 0.0), (-a, -0.0))[draw(_ZERO_END, label="zero_end")]
    if kind == "degenerate":
        return ((0.0, 0.0), (-0.0, -0.0), (a, a), (-a, -a))[draw(_ZERO_END, label="value")]
    if kind == "reversed":
        return b, -a
    if kind == "non_finite":
        which = draw(_WHICH, label="which")
        low = draw(_SPECIAL, label="low") if which != "high" else -a
        return low, draw(_SPECIAL, label="high") if which != "low" else b
    if kind == "huge":  # max - min overflows float32 and float16
        return draw(_HUGE, label="huge")
    return draw(_RANDOM_END, label="low"), draw(_RANDOM_END, label="high")


def _input_pool(dtype, low, high, num_bits):
    """Inputs exact in ``dtype`` at the ties, clamp edges and ranges of this call."""
    pool = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.0, -1.0, 1e30, -1e30, 2.0**-24]
    pool += _ulp_neighbours([low, high], dtype, steps=2)  # the gradient's inclusive bounds
    with np.errstate(all="ignore"):
        step = (high - low) / (2.0**num_bits - 1) if 0 < num_bits < 1000 else math.nan
    if math.isfinite(step) and step != 0:
        zero_code = round(low / step)
        top = zero_code + 2.0**num_bits - 1
        codes = {c + d for c in (0, zero_code, top, zero_code + (top - zero_code) // 2)
                 for d in (-2, -1, 0, 1)}
        ties = [(c + 0.5) * step for c in sorted(codes)]
        pool += _ulp_neighbours(ties, dtype, steps=2)
    return _in_dtype(pool, dtype)


@st.composite
def affine_calls(draw, gradient: bool = False):
    """One ``fake_affine_tensor_quant`` call (or its input gradient) as a ``Call``."""
    dtype = draw(_DTYPE, label="dtype")
    bits = draw(_BITS, label="num_bits")
    low, high = draw(affine_ranges(bits), label="ranges")
    pick = draw(_RANGE_DTYPE, label="range_dtype")
    range_dtype = (dtype, dtype, np.dtype(np.float32), *DTYPES)[pick]
    layout = draw(LAYOUTS, label="layout")
    if layout == "per_channel":
        shape = draw(_CHANNEL_SHAPE, label="shape")
        keep = tuple(side if i == 0 else 1 for i, side in enumerate(shape))
        spread = np.linspace(1.0, 2.0, keep[0]).reshape(keep)  # each channel its own range
        with np.errstate(all="ignore"):
            lows, highs = low * spread, high * spread
        min_shape = max_shape = keep
    else:
        shape = draw(_SHAPE, label="shape") if layout == "small" else None
        lows, highs = low, high
        min_shape, max_shape = draw(_RANGE_SHAPE, label="min_shape"), draw(_RANGE_SHAPE)
        if gradient and shape == ():  # a (1,) range widens 0-d inputs: no such gradient
            min_shape = max_shape = ()
    with np.errstate(all="ignore"):
        min_range = np.broadcast_to(np.asarray(lows, np.float64), min_shape).astype(range_dtype)
        max_range = np.broadcast_to(np.asarray(highs, np.float64), max_shape).astype(range_dtype)
    width = abs(high - low) if math.isfinite(high - low) and high != low else 1.0
    inputs = array_from_pool(draw(SEEDS, label="seed"), _input_pool(dtype, low, high, bits),
                             shape, dtype, center=(low + high) / 2 if math.isfinite(width) else 0.0,
                             width=width * 1.5)
    arrays = {"inputs": inputs, "min_range": min_range, "max_range": max_range}
    arguments = omit_defaults(draw, "fake_affine_tensor_quant", {"num_bits": bits})
    if not gradient:
        return Call("fake_affine_tensor_quant", arrays, arguments,
                    draw(forward_grads(("min_range", "max_range")), label="grads"))
    grad = np.arange(1, inputs.size + 1, dtype=np.float64).reshape(inputs.shape)
    arrays["grad_output"] = _grad_like(inputs, min_range, max_range, bits, grad)
    return Call("affine_gradient", arrays, arguments,
                draw(_RANGES_GRAD, label="ranges_require_grad"))


def _grad_like(inputs, min_range, max_range, bits, grad):
    """Distinct, exact gradients in the dtype of the forward's outputs (so a wrong mask shows)."""
    import reference

    try:
        with np.errstate(all="ignore"):
            dtype = reference.fake_affine_tensor_quant(inputs, min_range, max_range, bits).dtype
    except (RuntimeError, OverflowError):
        dtype = inputs.dtype  # the forward raises: the call never reaches backward
    return grad.astype(dtype)


#: Ranges whose span and step are inexact in every dtype (where computing the step in
#: another precision, or the span from rounded ends, parts from PyTorch's arithmetic).
_GRID_RANGES = ((-0.7, 0.9), (-1.1, 2.9), (0.3, 1.7), (-2.9e3, 7.3e3), (-6575.46, 9244.19))


def grid_calls(gradient: bool = False) -> list[Call]:
    """Every input dtype against every range dtype and shape (0-d, one element), each
    with inexact ranges and its dense pool: the promotion and rounding matrix, always."""
    calls = []
    for dtype in DTYPES:
        for range_dtype, shape in ((dtype, ()), (np.dtype(np.float32), ()),
                                   (np.dtype(np.float32), (1,)), (np.dtype(np.float64), ())):
            # The mask compares raw inputs with the ranges: two ranges show its promotion.
            for index, (low, high) in enumerate(_GRID_RANGES[:2] if gradient else _GRID_RANGES):
                bits = (8, 4, 8, 16, 8)[index]
                with np.errstate(over="ignore"):
                    inputs = np.asarray(_input_pool(dtype, low, high, bits)).astype(dtype)
                arrays = {"inputs": inputs,
                          "min_range": np.full(shape, low).astype(range_dtype),
                          "max_range": np.full(shape, high).astype(range_dtype)}
                if gradient:
                    grad = np.arange(1, inputs.size + 1, dtype=np.float64) % 256
                    arrays["grad_output"] = _grad_like(inputs, arrays["min_range"],
                                                       arrays["max_range"], bits, grad)
                calls.append(Call("affine_gradient" if gradient else "fake_affine_tensor_quant",
                                  arrays, {"num_bits": bits}))
    return calls
