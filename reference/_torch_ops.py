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

import numpy as np

from ._xp import FLOAT32, REDUCED_DTYPES, array_namespace, result_type


def _opmath(dtype):
    return FLOAT32 if dtype in REDUCED_DTYPES else dtype


def _arith(op, a, b):
    xp = array_namespace(a, b)
    out = result_type(a, b)
    compute = _opmath(out)
    # copy=False: a cast to the dtype an array already has is a no-op, not a copy.
    lhs = a.astype(out, copy=False).astype(compute, copy=False)
    if out in REDUCED_DTYPES and b.size == 1:
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
