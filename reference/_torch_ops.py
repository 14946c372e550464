"""PyTorch's elementwise arithmetic on CPU, emulated on NumPy/CuPy arrays.

The article's code is specified "under PyTorch's rules", and bit-exactness
depends on three of them that NumPy does not share:

* type promotion: tensors with dimensions outrank 0-d tensors
  (``bf16[n] * f32[]`` is bfloat16, not float32), see ``_xp.result_type``;
* float16/bfloat16 arithmetic is done in float32 ("opmath") and rounded once;
* for ``mul`` and ``div`` whose second operand is a single element and whose
  result dtype is 16-bit, PyTorch's CPU kernels read that operand at its
  *original* precision instead of first rounding it to the result dtype
  (``iter.original_scalar_value``). So ``bf16[n] * f32[]`` multiplies by the
  full float32 scale, while comparisons such as ``bf16[n] <= f32[]`` round the
  float32 operand to bfloat16 first.
"""

from __future__ import annotations

import functools

import ml_dtypes
import numpy as np

from ._xp import FLOAT32, REDUCED_DTYPES, array_namespace, cast, dtype_name, result_type


def _opmath(dtype):
    return FLOAT32 if dtype in REDUCED_DTYPES else dtype


def _arith(op, a, b, *, original_scalar=True):
    xp = array_namespace(a, b)
    out = result_type(a, b)
    compute = _opmath(out)
    # copy=False: a cast to the dtype an array already has is a no-op, not a copy.
    lhs = a.astype(out, copy=False).astype(compute, copy=False)
    if original_scalar and out in REDUCED_DTYPES and b.size == 1:
        rhs = b.astype(compute, copy=False)  # original precision: the CPU scalar fast path
    else:
        rhs = b.astype(out, copy=False).astype(compute, copy=False)
    with np.errstate(all="ignore"):
        res = op(lhs, rhs)
        return xp.asarray(res).astype(out, copy=False)


def mul(a, b):
    """``a * b`` as PyTorch's CPU kernel computes it."""
    return _arith(lambda x, y: x * y, a, b)


def div(a, b):
    """``a / b`` (true division) as PyTorch's CPU kernel computes it."""
    return _arith(lambda x, y: x / y, a, b)


def le(a, b):
    """``a <= b``: both operands are first cast to the promoted dtype."""
    out = result_type(a, b)
    return a.astype(out) <= b.astype(out)


def round_half_even(a):
    """``torch.round``: ties to even, computed in opmath and rounded back."""
    xp = array_namespace(a)
    return xp.rint(a.astype(_opmath(a.dtype), copy=False)).astype(a.dtype, copy=False)


def clamp(a, low, high):
    """``torch.clamp(a, low, high)`` with 0-d tensor or Python-number bounds.

    NaN propagates; an element equal to a bound is kept as it is (so -0.0
    clamped to ``[-0.0, 0.0]`` or ``[0.0, 1.0]`` stays -0.0, as PyTorch
    keeps it); where ``low > high`` every non-NaN element becomes ``high``.
    """
    xp = array_namespace(a)
    # float64 holds every float32 bound and every element exactly, so clamping
    # there and rounding once equals PyTorch clamping in the promoted dtype
    # (rounding is monotone). float32 and float64 arrays hold the float32
    # bounds themselves, so they clamp in their own dtype: same result, no
    # float64 round trip (the sweeps depend on that speed).
    wide_dtype = np.dtype(np.float64) if a.dtype in REDUCED_DTYPES else a.dtype
    # asarray: a 0-d input may arrive as a NumPy scalar (rint of a 0-d array).
    wide = xp.asarray(a, dtype=wide_dtype)
    low, high = wide_dtype.type(low), wide_dtype.type(high)
    # maximum/minimum propagate NaN and are branch-free (a masked copy is
    # ten times slower on mixed data). They agree with PyTorch's
    # compare-and-select except on ties between zeros of opposite sign,
    # where NumPy may return the bound's zero: PyTorch keeps the element's.
    out = xp.minimum(xp.maximum(wide, low), high)
    if (low == 0 or high == 0) and low <= 0 <= high:
        out = xp.where(wide == 0, wide, out)
    return xp.asarray(out).astype(a.dtype, copy=False)  # 0-d ufunc results are scalars


# --- SPEC 6 needs: add/sub, Python-number operands, reciprocal, a checked clamp -------------
# Measured on torch 2.13 CPU: add and sub have no original-precision scalar path (a
# single-element operand is rounded to the result dtype like any other), while mul and
# div keep theirs; a Python number never promotes a floating tensor, and it meets the
# same two paths (read as float32 by 16-bit mul/div, rounded to the dtype by add/sub).


def add(a, b):
    """``a + b`` as PyTorch's CPU kernel computes it (no original-precision scalar)."""
    return _arith(lambda x, y: x + y, a, b, original_scalar=False)


def sub(a, b):
    """``a - b`` as PyTorch's CPU kernel computes it (no original-precision scalar)."""
    return _arith(lambda x, y: x - y, a, b, original_scalar=False)


def _scalar_arith(op, a, value: float, *, original_scalar: bool):
    """``a (op) value`` with a Python float: the tensor's dtype wins, whatever its rank."""
    xp = array_namespace(a)
    out = a.dtype
    compute = _opmath(out)
    with np.errstate(all="ignore"):
        if original_scalar and out in REDUCED_DTYPES:
            rhs = np.asarray(value, dtype=np.float64).astype(FLOAT32)  # opmath of the double
        else:
            rhs = cast(np.asarray(value, dtype=np.float64), out).astype(compute)
        res = op(a.astype(compute, copy=False), xp.asarray(rhs))
        return xp.asarray(res).astype(out, copy=False)


def sub_number(a, value: float):
    """``a - value`` for a Python float ``value``."""
    return _scalar_arith(lambda x, y: x - y, a, value, original_scalar=False)


def mul_number(a, value: float):
    """``a * value`` for a Python float ``value``."""
    return _scalar_arith(lambda x, y: x * y, a, value, original_scalar=True)


def div_number(a, value: float):
    """``a / value`` for a Python float ``value``."""
    return _scalar_arith(lambda x, y: x / y, a, value, original_scalar=True)


def reciprocal(a):
    """``a.reciprocal()``: ``1 / a`` in opmath, rounded once. ``number / tensor`` is this
    times the number in PyTorch (``Tensor.__rtruediv__``), so it rounds twice."""
    xp = array_namespace(a)
    with np.errstate(all="ignore"):
        res = a.dtype.type(1) / a if a.dtype not in REDUCED_DTYPES else \
            FLOAT32.type(1) / a.astype(FLOAT32)
        return xp.asarray(res).astype(a.dtype, copy=False)


@functools.cache
def _largest(dtype) -> float:
    return float(ml_dtypes.finfo(dtype).max)


def clamp_number(a, low: float, high: float):
    """``torch.clamp(a, low, high)`` with Python float bounds.

    PyTorch converts each bound to the tensor's dtype with an overflow check
    (``c10::checked_convert``): a finite bound beyond the dtype's range raises
    RuntimeError ("value cannot be converted to type ... without overflow").
    """
    limit = _largest(a.dtype)
    for bound in (low, high):
        if np.isfinite(bound) and abs(bound) > limit:
            raise RuntimeError(
                f"value cannot be converted to type {dtype_name(a.dtype)} without overflow "
                f"(clamp bound {bound!r})")
    return clamp(a, low, high)
