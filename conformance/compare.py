"""Bit-exact comparison of arrays, the suite's one notion of "equal".

Equal means: same dtype, same shape, and for every element the same bits,
except that any NaN equals any NaN (payload and sign of a NaN are not part of
the specification). The sign of zero counts. ``numpy.testing`` treats -0.0 and
+0.0 as equal, so values are compared through their integer bit patterns.

Every part of the suite that compares results (properties, replay,
fingerprint, the CPU and GPU sweeps, vectors) uses this module: the flat bit
view, the canonical bits, and ``differing``, the element-wise "not equal"
written against an array namespace so that NumPy and CuPy share it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from reference import UINT, dtype_name

__all__ = ["FLOAT_MASKS", "Mismatch", "bit_view", "bits_equal", "canonical_bits", "differing",
           "first_mismatch", "hex_bits", "is_nan_bits"]

#: (exponent mask, mantissa mask) of each float width, for tests made on the bits.
FLOAT_MASKS = {2: (0x7C00, 0x03FF), 4: (0x7F800000, 0x007FFFFF),
               8: (0x7FF0000000000000, 0x000FFFFFFFFFFFFF)}


def bit_view(a):
    """The elements of ``a`` (NumPy or CuPy, any float width) as flat unsigned integers."""
    a = a.reshape(-1)
    return a.view(UINT[a.dtype.itemsize])


def is_nan_bits(xp, bits, itemsize: int):
    """NaN decided on the bits (no float operation, so no flush-to-zero can touch it)."""
    exponent, mantissa = (UINT[itemsize].type(m) for m in FLOAT_MASKS[itemsize])
    return ((bits & exponent) == exponent) & ((bits & mantissa) != 0)


def differing(xp, expected, actual):
    """Flat indices where the bits differ and not both are NaN (same dtype and shape).

    This module's equality in integer operations of ``xp`` (NumPy or CuPy);
    one reduction decides the common case, identical bits.
    """
    eb, ab = bit_view(xp.ascontiguousarray(expected)), bit_view(xp.ascontiguousarray(actual))
    differ = eb != ab
    if not bool(differ.any()):
        return xp.zeros(0, dtype=np.int64)
    size = expected.dtype.itemsize
    differ &= ~(is_nan_bits(xp, eb, size) & is_nan_bits(xp, ab, size))
    return xp.flatnonzero(differ)


def canonical_bits(a: np.ndarray) -> np.ndarray:
    """Integer bit patterns (a copy) with every NaN replaced by one canonical NaN."""
    bits = bit_view(np.ascontiguousarray(a)).copy()
    nan = is_nan_bits(np, bits, bits.dtype.itemsize)
    if nan.any():
        bits[nan] = bit_view(np.array([np.nan], dtype=a.dtype))[0]
    return bits


def hex_bits(value, dtype) -> str:
    """The bit pattern of one value of ``dtype`` as ``0x...``."""
    arr = np.asarray(value, dtype=dtype).reshape(1)
    width = arr.dtype.itemsize * 2
    return f"0x{int(arr.view(UINT[arr.dtype.itemsize])[0]):0{width}x}"


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """Why two arrays are not bit-identical, phrased for a person."""

    what: str  # "dtype", "shape" or "value"
    message: str
    index: tuple | None = None
    expected: object = None
    actual: object = None

    def __str__(self) -> str:
        return self.message


def first_mismatch(expected: np.ndarray, actual: np.ndarray, *, name="output") -> Mismatch | None:
    """The first difference between ``expected`` and ``actual``, or None."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.dtype != actual.dtype:
        return Mismatch(
            "dtype",
            f"{name}.dtype={dtype_name(actual.dtype)}, but should be {dtype_name(expected.dtype)}",
        )
    if expected.shape != actual.shape:
        return Mismatch(
            "shape", f"{name}.shape={tuple(actual.shape)}, but should be {tuple(expected.shape)}"
        )
    if expected.size == 0:
        return None
    eb, ab = canonical_bits(expected), canonical_bits(actual)
    diff = np.flatnonzero(eb != ab)
    if diff.size == 0:
        return None
    flat = int(diff[0])
    index = tuple(int(i) for i in np.unravel_index(flat, expected.shape)) if expected.ndim else ()
    e = expected.reshape(-1)[flat]
    a = actual.reshape(-1)[flat]
    dt = expected.dtype
    where = f"{name}[{', '.join(map(str, index))}]" if index else name
    message = (
        f"{where}={_fmt(a)} ({hex_bits(a, dt)}), but should be {_fmt(e)} ({hex_bits(e, dt)}); "
        f"{diff.size} of {expected.size} elements differ"
    )
    return Mismatch("value", message, index, e, a)


def bits_equal(expected: np.ndarray, actual: np.ndarray) -> bool:
    """True when dtype, shape and every element's bits agree (NaN == NaN)."""
    return first_mismatch(expected, actual) is None


def _fmt(value) -> str:
    v = float(value)
    if v == 0:
        return "-0.0" if np.signbit(v) else "0.0"
    return repr(v)
