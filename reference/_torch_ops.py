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
    lhs = a.astype(out).astype(compute)
    if out in REDUCED_DTYPES and b.size == 1:
        rhs = b.astype(compute)  # original precision: the CPU scalar fast path
    else:
        rhs = b.astype(out).astype(compute)
    with np.errstate(all="ignore"):
        res = op(lhs, rhs)
        return xp.asarray(res).astype(out)


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
    return xp.rint(a.astype(_opmath(a.dtype))).astype(a.dtype)


def clamp(a, low, high):
    """``torch.clamp(a, low, high)`` with 0-d tensor or Python-number bounds.

    NaN propagates; an element equal to a bound is kept as it is (so -0.0
    clamped to ``[-0.0, 0.0]`` or ``[0.0, 1.0]`` stays -0.0, as PyTorch
    keeps it); where ``low > high`` every non-NaN element becomes ``high``.
    """
    xp = array_namespace(a)
    # float64 holds every float32 bound and every element exactly, so clamping
    # there and rounding once equals PyTorch clamping in the promoted dtype.
    wide = a.astype(np.float64)
    low, high = np.float64(low), np.float64(high)
    with np.errstate(invalid="ignore"):
        wide = xp.where(wide < low, low, wide)
        wide = xp.where(wide > high, high, wide)
    return wide.astype(a.dtype)
