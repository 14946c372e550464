"""Inputs for ``scaled_e4m3`` (SPEC 6.3), from the E4M3 grid, and every 16-bit input.

E4M3 rounds to nearest even on a grid of 3 mantissa bits, saturates at
448 and masks ``|x| < 2**-24`` to +0. So the inputs sit on the grid divided
by the scale ``448 / amax``, on the midpoints between neighbours (the ties)
and one ulp either side in the input dtype, at the saturation edge (448,
the 464 tie, beyond, inf), the subnormal edges (2**-10 rounds to zero,
2**-9, 2**-6) and the mask threshold 2**-24 (not scaled), with NaN and
signed zeros. ``exhaustive_calls`` adds every float16 and every bfloat16
bit pattern, each through several amax, as single calls.
"""

from __future__ import annotations

import functools
import math

import ml_dtypes
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference import BFLOAT16, E4M3_MAX, EPSILON

from ..section6_calls import Call
from . import DTYPES
from .section6 import LAYOUTS, SEEDS, array_from_pool, forward_grads, omit_defaults

__all__ = ["E4M3_GRID", "e4m3_calls", "e4m3_pool", "exhaustive_calls"]

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)

#: Every finite non-negative E4M3 value (0, the subnormals 2**-9.., up to 448).
E4M3_GRID = np.unique(np.abs(
    np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn).astype(np.float64)))
E4M3_GRID = E4M3_GRID[np.isfinite(E4M3_GRID)]
_MIDPOINTS = (E4M3_GRID[1:] + E4M3_GRID[:-1]) / 2
#: Values that are not on the grid's scale: the saturation edge and the subnormal edges.
_EDGES = np.array([448.0, 464.0, 480.0, 1e4, 2.0**-10, 3 * 2.0**-11, 2.0**-9, 2.0**-6])
_UNSCALED = [EPSILON, EPSILON / 2, 1.5 * EPSILON, 0.0, -0.0, math.nan, math.inf, -math.inf,
             1e30, 2.0**-149, 65504.0]

_AMAX = st.sampled_from([448.0, 1.0, 2.0, 3.0, 0.1, 7.0, 100.0, 65504.0, 1e-3, EPSILON, 0.0,
                         math.nan, math.inf, -1.0, 1e30, 224.0, 0.5]) | st.floats(1e-6, 1e6)
_DTYPE = st.sampled_from(DTYPES)
_AMAX_DTYPE = st.integers(0, 6)  # 0-1: the inputs' dtype, 2-3: float32, 4-6: another
_AMAX_SHAPE = st.sampled_from([(), (), (1,)])
_HAS_AMAX = st.sampled_from([False, True, True])
_EM = st.sampled_from([(4, 3)] * 8 + [(5, 2), (4, 2), (3, 4), (4.0, 3.0), (8, 7)])
_SHAPE = hnp.array_shapes(min_dims=0, max_dims=2, max_side=5)
_CHANNEL_SHAPE = hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=3)
_AMAX_GRAD = st.sampled_from([frozenset(), frozenset({"amax"})])


def _with_neighbours(values, dtype):
    """``values`` rounded to ``dtype`` and their one-ulp neighbours (bit patterns +-1)."""
    with np.errstate(over="ignore", invalid="ignore"):
        exact = np.asarray(values, dtype=np.float64).astype(dtype)
    exact = exact[np.isfinite(exact.astype(np.float64)) & (exact != 0)]
    unsigned = np.dtype(f"u{dtype.itemsize}")
    bits = exact.view(unsigned)
    one = unsigned.type(1)
    return np.concatenate([exact, (bits + one).view(dtype), (bits - one).view(dtype)])


@functools.lru_cache(maxsize=256)
def e4m3_pool(dtype, scale: float) -> tuple[float, ...]:
    """Inputs exact in ``dtype`` where ``e4m3(x * scale)`` meets a boundary, both signs."""
    scaled = np.concatenate([E4M3_GRID[1:], _MIDPOINTS, _EDGES]) / scale
    values = _with_neighbours(np.concatenate([scaled, -scaled]), np.dtype(dtype))
    with np.errstate(over="ignore", invalid="ignore"):
        unscaled = np.asarray(_UNSCALED + [-v for v in _UNSCALED], np.float64).astype(dtype)
    return tuple(np.concatenate([values, unscaled]).astype(np.float64).tolist())


def _scale_of(amax_values) -> float:
    """The scale the pool aims at: 448 / amax, or 1 where that is not a usable number."""
    amax = float(np.asarray(amax_values, dtype=np.float64).reshape(-1)[0])
    scale = E4M3_MAX / amax if amax > 0 else math.inf
    return scale if math.isfinite(scale) and 0 < scale < 1e30 else 1.0


@st.composite
def e4m3_calls(draw, gradient: bool = False):
    """One ``scaled_e4m3`` call (or its input gradient) as a ``Call``."""
    dtype = draw(_DTYPE, label="dtype")
    layout = draw(LAYOUTS, label="layout")
    arrays = {}
    if draw(_HAS_AMAX, label="has_amax") or layout == "per_channel":
        value = draw(_AMAX, label="amax")
        amax_dtype = (dtype, dtype, F32, F32, *DTYPES)[draw(_AMAX_DTYPE, label="amax_dtype")]
        if layout == "per_channel":
            shape = draw(_CHANNEL_SHAPE, label="shape")
            keep = tuple(side if i == 0 else 1 for i, side in enumerate(shape))
            values = value * np.linspace(1.0, 3.0, keep[0]).reshape(keep)
        else:
            values = np.full(draw(_AMAX_SHAPE, label="amax_shape"), value)
        with np.errstate(over="ignore", invalid="ignore"):
            arrays["amax"] = np.asarray(values, dtype=np.float64).astype(amax_dtype)
    if layout != "per_channel":
        shape = draw(_SHAPE, label="shape") if layout == "small" else None
        if shape == () and "amax" in arrays:
            arrays["amax"] = arrays["amax"].reshape(())  # a (1,) amax would widen 0-d inputs
    scale = _scale_of(arrays["amax"]) if "amax" in arrays else 1.0
    arrays["inputs"] = array_from_pool(draw(SEEDS, label="seed"), e4m3_pool(dtype, scale),
                                       shape, dtype, center=0.0, width=2 * E4M3_MAX / scale)
    if gradient and layout != "per_channel":
        # The STE's decision boundary in every call: +-bound as the inputs' dtype and
        # float32 round it, one ulp either side (the bound is float32(amax) or 448).
        arrays["inputs"] = np.concatenate([_bound_edges(arrays.get("amax"), dtype),
                                           arrays["inputs"].reshape(-1)])
        if "amax" in arrays:
            arrays["amax"] = arrays["amax"].reshape(())  # 0-d: it meets 1-d inputs alike
    e, m = draw(_EM, label="E_M")
    arguments = omit_defaults(draw, "scaled_e4m3", {"E": e, "M": m})
    if not gradient:
        return Call("scaled_e4m3", arrays, arguments,
                    draw(forward_grads(("amax",)), label="grads") & set(arrays))
    arrays["grad_output"] = _grad_like(arrays, arguments)
    return Call("e4m3_gradient", arrays, arguments,
                draw(_AMAX_GRAD, label="amax_requires_grad") & set(arrays))


def _bound_edges(amax, dtype):
    """+-amax (448 without one) in float64, float32 and ``dtype``, one ulp either side."""
    bound = E4M3_MAX if amax is None else float(np.asarray(amax, np.float64).reshape(-1)[0])
    with np.errstate(over="ignore", invalid="ignore"):
        roundings = [bound, float(np.float32(bound))]
        values = _with_neighbours(np.asarray(roundings + [-v for v in roundings]), dtype)
    return values[np.isfinite(values.astype(np.float64))] if values.size else values


def _grad_like(arrays, arguments):
    """Distinct, exact gradients in the dtype of the forward's outputs (so a wrong mask shows)."""
    import reference

    inputs = arrays["inputs"]
    try:
        with np.errstate(all="ignore"):
            dtype = reference.scaled_e4m3(inputs, arrays.get("amax"), **arguments).dtype
    except (NotImplementedError, RuntimeError, IndexError):
        dtype = inputs.dtype  # the forward raises: the call never reaches backward
    count = inputs.size
    return (np.arange(1, count + 1, dtype=np.float64) % 256).reshape(inputs.shape).astype(dtype)


def _every_pattern(dtype):
    name = "float16" if dtype == F16 else "bfloat16"
    code = f"torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.{name})"
    return np.arange(65536, dtype=np.uint16).view(dtype), code


#: amax values the exhaustive calls use: none, scale 224 (exact), 448/3 (inexact), 448,
#: ~4480, and a float64 amax that float32 rounds down (the gradient's bound is float32).
_EXHAUSTIVE_AMAX = (None, (F32, 2.0), (F32, 3.0), (BFLOAT16, 1.0), (F16, 0.1),
                    (F64, 3.0000001))
_EXHAUSTIVE_GRADIENT_AMAX = (None, (F32, 3.0), (F64, 3.0000001))


def exhaustive_calls(gradient: bool = False) -> list[Call]:
    """Every float16 and bfloat16 input through several amax; float32 and float64 inputs at
    every E4M3 boundary of each scale, one ulp either side. One call each."""
    calls = []
    for dtype in (F16, BFLOAT16, F32, F64):
        for spec in _EXHAUSTIVE_GRADIENT_AMAX if gradient else _EXHAUSTIVE_AMAX:
            arrays, builders = {}, {}
            if spec is not None:
                arrays["amax"] = np.asarray(spec[1], dtype=np.float64).astype(spec[0])
            if dtype.itemsize == 2:
                arrays["inputs"], builders["inputs"] = _every_pattern(dtype)
            else:
                scale = _scale_of(arrays["amax"]) if spec is not None else 1.0
                arrays["inputs"] = np.asarray(e4m3_pool(dtype, scale), np.float64).astype(dtype)
            if gradient:
                arrays["grad_output"] = _grad_like(arrays, {})
                builders["grad_output"] = (f"(torch.arange(1, {arrays['inputs'].size + 1}) "
                                           f"% 256).to(torch.{_name(arrays['grad_output'])})")
            calls.append(Call("e4m3_gradient" if gradient else "scaled_e4m3", arrays, {},
                              builders=builders))
    return calls


def _name(array) -> str:
    from reference import dtype_name

    return dtype_name(array.dtype)
