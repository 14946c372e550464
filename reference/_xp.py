"""Array-namespace and dtype helpers shared by the NumPy and CuPy oracles.

The reference is written once against an array namespace ``xp`` (NumPy or
CuPy), so the same code gives the CPU oracle and the GPU sweep oracle. Every
dtype question the oracle asks goes through this module: which dtypes exist,
how PyTorch promotes them, and how a result is cast to a narrower dtype.

On CuPy two things differ, both by CuPy's making: there is no bfloat16
(``array_namespace`` refuses it with the fix), and every CuPy kernel is
compiled with ``-ftz=true``, so float32 subnormals flush to zero there; away
from float32 subnormals the CuPy oracle gives the NumPy oracle's bits
(tests/test_cuda.py checks it).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = [
    "BFLOAT16",
    "UINT",
    "FLOAT_DTYPES",
    "REDUCED_DTYPES",
    "array_namespace",
    "cast",
    "dtype_name",
    "promote_types",
    "result_type",
]

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
FLOAT16 = np.dtype(np.float16)
FLOAT32 = np.dtype(np.float32)
FLOAT64 = np.dtype(np.float64)

#: The unsigned integer type of each float width (itemsize -> dtype), for bit views.
#: The one copy of this table: ``conformance.compare`` builds its equality on it and
#: ``vectors.io`` writes exact bits with it.
UINT = {2: np.dtype(np.uint16), 4: np.dtype(np.uint32), 8: np.dtype(np.uint64)}

#: The floating dtypes the article's functions accept, by their PyTorch names.
FLOAT_DTYPES = {
    "float16": FLOAT16,
    "bfloat16": BFLOAT16,
    "float32": FLOAT32,
    "float64": FLOAT64,
}
#: Dtypes PyTorch computes in float32 ("opmath") and rounds back.
REDUCED_DTYPES = (FLOAT16, BFLOAT16)

# PyTorch's promote_types on the floating dtypes: the wider one wins, and the
# two 16-bit formats meet at float32 (neither holds the other).
_RANK = {FLOAT16: 1, BFLOAT16: 1, FLOAT32: 2, FLOAT64: 3}


def array_namespace(*arrays):
    """Return ``cupy`` if any argument is a CuPy array, else ``numpy``.

    bfloat16 exists only on the NumPy side (ml_dtypes): CuPy has no bfloat16
    dtype, so a bfloat16 array next to a CuPy array is refused here, with
    the fix, rather than failing somewhere inside a cast.
    """
    if not any(type(a).__module__.startswith("cupy") for a in arrays):
        return np
    for a in arrays:
        if getattr(a, "dtype", None) == BFLOAT16:
            raise TypeError(
                "bfloat16 is not available on CuPy (CuPy has no bfloat16 dtype): run the "
                "reference on NumPy arrays for bfloat16 (cupy.asnumpy, then "
                ".astype(reference.BFLOAT16))."
            )
    import cupy

    return cupy


def cast(a, dtype):
    """``tensor.to(dtype)`` as PyTorch casts.

    PyTorch converts float64 to a 16-bit float through float32 (two
    roundings: ``c10::Half(float(x))``) where NumPy rounds float64 to float16
    once; the two differ when the float32 value lands on a float16 tie.
    ml_dtypes' bfloat16 already goes through float32.
    """
    dtype = np.dtype(dtype)
    if a.dtype == FLOAT64 and dtype in REDUCED_DTYPES:
        a = a.astype(FLOAT32)
    return a.astype(dtype, copy=False)


def dtype_name(dtype) -> str:
    """The PyTorch-style name of a floating dtype (``bfloat16``, not ``V2``)."""
    dtype = np.dtype(dtype)
    for name, d in FLOAT_DTYPES.items():
        if d == dtype:
            return name
    return str(dtype)


def check_float_dtype(dtype, argument: str) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in _RANK:
        raise TypeError(
            f"{argument} must have a floating dtype (one of "
            f"{', '.join(FLOAT_DTYPES)}), got {dtype_name(dtype)}."
        )
    return dtype


def promote_types(a, b) -> np.dtype:
    """PyTorch's ``torch.promote_types`` restricted to floating dtypes."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    if _RANK[a] == _RANK[b]:  # float16 with bfloat16
        return FLOAT32
    return a if _RANK[a] > _RANK[b] else b


def result_type(*operands) -> np.dtype:
    """PyTorch's ``torch.result_type`` for floating tensors.

    Tensors with dimensions decide the dtype; zero-dimensional tensors only
    count when no operand has dimensions (all operands here share the floating
    category, so a 0-d tensor can never raise the category).
    """
    ranked = [a for a in operands if a.ndim > 0] or list(operands)
    dtype = ranked[0].dtype
    for a in ranked[1:]:
        dtype = promote_types(dtype, a.dtype)
    return np.dtype(dtype)
