"""Bit-exact comparison of arrays, the suite's one notion of "equal".

Equal means: same dtype, same shape, and for every element the same bits,
except that any NaN equals any NaN (payload and sign of a NaN are not part of
the specification). The sign of zero counts. ``numpy.testing`` treats -0.0 and
+0.0 as equal, so values are compared through their integer bit patterns.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from reference import dtype_name

__all__ = ["Mismatch", "bits_equal", "first_mismatch", "hex_bits"]

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _canonical_bits(a: np.ndarray) -> np.ndarray:
    """Integer bit patterns with every NaN replaced by one canonical NaN."""
    a = np.ascontiguousarray(a).reshape(-1)
    bits = a.view(_UINT[a.dtype.itemsize]).copy()
    nan = np.isnan(a.astype(np.float64))
    if nan.any():
        canonical = np.array([np.nan], dtype=a.dtype).view(_UINT[a.dtype.itemsize])[0]
        bits[nan] = canonical
    return bits


def hex_bits(value, dtype) -> str:
    """The bit pattern of one value of ``dtype`` as ``0x...``."""
    arr = np.asarray(value, dtype=dtype).reshape(1)
    width = arr.dtype.itemsize * 2
    return f"0x{int(arr.view(_UINT[arr.dtype.itemsize])[0]):0{width}x}"


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
    eb, ab = _canonical_bits(expected), _canonical_bits(actual)
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
