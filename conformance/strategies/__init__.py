"""Hypothesis strategies built from the structure of the problem.

Random floats almost never land on a rounding difference (SPEC.md section 4:
about 2 in a million), so every input array here mixes random values with
values built where implementations disagree: exact .5 ties of ``x * scale``
and their one-ulp neighbours, the clamp bounds and just beyond them, the
2**-24 zero-amax threshold, the 65504 float16 limit, products past 2**31 and
2**63 (undefined float->int casts), NaN, +-inf, +-0 and subnormals.

Everything returns NumPy arrays (bfloat16 via ml_dtypes); the properties
turn them into tensors. This package holds the symmetric calls of SPEC
sections 2-4; the submodules those of section 6 (``affine``, ``fp8``,
``descriptor``, with ``section6`` what they share).
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference import BFLOAT16, EPSILON, FLOAT_DTYPES, bounds

__all__ = [
    "Case",
    "amax_specials",
    "amax_values",
    "cases",
    "double_rounding_inputs",
    "dtype_edge_cases",
    "dtypes",
    "incoming_gradient",
    "input_array",
    "num_bits",
    "overflow_amax",
    "per_channel_layout",
    "special_values",
    "subnormals",
]

FLOAT16_MAX = 65504.0
F32 = np.float32

#: The four input dtypes of the article's functions.
DTYPES = tuple(FLOAT_DTYPES.values())


def dtypes():
    return st.sampled_from(DTYPES)


#: Widths past 16 bits: max_bound is a float32 of ``2**(n-1) - 1`` (SPEC 2.4), so a
#: C-style integer bound wraps at 32 bits (signed 33, unsigned 32) and 64.
WIDE_BITS = (24, 31, 32, 33, 53, 63, 64)


def num_bits():
    """0..16, weighted to 8 and to the degenerate boundaries, sometimes 17..64."""
    return st.one_of(
        st.just(8),
        st.sampled_from([0, 1, 2, 4, 7, 15, 16, *WIDE_BITS]),
        st.integers(0, 16),
    )


def _in_dtype(values, dtype) -> list[float]:
    """``values`` rounded into ``dtype`` and back to Python floats (exact)."""
    with np.errstate(over="ignore", invalid="ignore"):
        arr = np.asarray(values, dtype=np.float64).astype(dtype)
    return [float(v) for v in arr.astype(np.float64)]


def _ulp_neighbours(values, dtype, steps=1) -> list[float]:
    """Each value and its ``steps`` nearest neighbours in ``dtype``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _neighbours(values, dtype, steps)


def _neighbours(values, dtype, steps):
    out = []
    base = np.asarray(_in_dtype(values, dtype), dtype=np.float64).astype(dtype)
    work = np.float32 if dtype == BFLOAT16 else dtype.type
    for v in base:
        up = down = v
        for _ in range(steps):
            if dtype == BFLOAT16:  # no nextafter for bfloat16: step its 16-bit pattern
                up = _bf16_step(up, +1)
                down = _bf16_step(down, -1)
            else:
                up = np.nextafter(up, work(np.inf))
                down = np.nextafter(down, work(-np.inf))
            out += [float(up), float(down)]
        out.append(float(v))
    return out


def _bf16_step(value, direction):
    bits = np.asarray(value, dtype=BFLOAT16).view(np.uint16)
    f = float(np.asarray(value, dtype=BFLOAT16).astype(np.float64))
    if math.isnan(f) or math.isinf(f):
        return value
    if f == 0:
        bits = np.uint16(1) if direction > 0 else np.uint16(0x8001)
    elif (f > 0) == (direction > 0):
        bits = np.uint16(bits + 1)
    else:
        bits = np.uint16(bits - 1)
    return np.asarray(bits, dtype=np.uint16).view(BFLOAT16)


def _scale(max_bound: float, amax: float) -> float:
    """The article's multiplier ``max_bound / amax`` in float32 (0 past float32's range)."""
    with np.errstate(over="ignore", divide="ignore"):
        return float(F32(max_bound) / F32(amax))


# Cached (a tuple, so no caller can change the cached pool): every example of every value
# property asks for the same few pools again, and building one (ulp steps, the 16-bit
# double-rounding scan) cost more than the call it feeds.
@functools.lru_cache(maxsize=4096)
def special_values(dtype, amax: float, bits: int, unsigned: bool,
                   narrow_range: bool) -> tuple[float, ...]:
    """Inputs, exact in ``dtype``, that sit where implementations disagree.

    ``amax`` is the per-tensor (or one channel's) amax the inputs will meet.
    """
    min_bound, max_bound = bounds(bits, unsigned, narrow_range)
    max_bound = float(max_bound)
    specials = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.0, -1.0, EPSILON, -EPSILON]
    finfo = np.finfo(np.float32 if dtype == BFLOAT16 else dtype)
    tiny = float(finfo.smallest_subnormal) if dtype != BFLOAT16 else 2.0**-133
    specials += [tiny, -tiny, float(finfo.max), -float(finfo.max), FLOAT16_MAX, -FLOAT16_MAX]
    specials += [127 / FLOAT16_MAX, 2.0**31, -(2.0**31), 2.0**63, -(2.0**63)]
    if amax > 0 and math.isfinite(amax) and max_bound > 0:
        scale = _scale(max_bound, amax) if amax > EPSILON else 0.0
        # Clamp bounds: +-amax, just inside and outside, and past the last tie.
        edge = amax * (max_bound + 0.5) / max_bound
        specials += _ulp_neighbours([amax, -amax, edge, -edge], dtype)
        if 0 < scale < math.inf:
            # Products past 2**31 and 2**63 (an int cast before the clamp breaks here).
            specials += [2.0**31 / scale, -(2.0**31) / scale, 2.0**63 / scale, -(2.0**64) / scale]
            # Exact .5 ties near 0 and near the bounds, with ulp neighbours.
            codes = [0, 1, 2, 3, max_bound - 2, max_bound - 1, max_bound]
            ties = [(k + 0.5) / scale for k in codes] + [-(k + 0.5) / scale for k in codes]
            ties += [(-max_bound - 1.5) / scale]
            specials += _ulp_neighbours(ties, dtype, steps=2)
            if dtype.itemsize == 2 and max_bound >= 4:
                specials += _ulp_neighbours(_upper_half_ties(max_bound, scale), dtype)
            specials += double_rounding_inputs(dtype, scale, max_bound)
    return tuple(_in_dtype(specials, dtype))


@functools.lru_cache(maxsize=1024)
def _double_rounding(dtype_name: str, scale: float, max_bound: float) -> tuple[float, ...]:
    values = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(FLOAT_DTYPES[dtype_name])
    x = values.astype(np.float32)
    with np.errstate(all="ignore"):
        wide = x * F32(scale)  # the float32 product, rounded once
        narrow = wide.astype(values.dtype).astype(np.float32)  # rounded to 16 bits first
        code = np.rint(wide)
        differ = np.isfinite(wide) & (np.rint(narrow) != code) & (np.abs(code) <= max_bound + 1)
    found = np.unique(x[differ].astype(np.float64))
    if found.size <= 16:
        return tuple(float(v) for v in found)
    # Spread over the codes, both ends included: the coarse 16-bit grid near the
    # largest codes differs most often, the finest near 0 least.
    return tuple(float(v) for v in found[np.linspace(0, found.size - 1, 16).round().astype(int)])


def double_rounding_inputs(dtype, scale: float, max_bound: float) -> list[float]:
    """16-bit inputs whose code changes when ``x * scale`` is rounded to ``dtype`` first.

    SPEC 2.2: float16 is computed in float32 (the product is rounded once),
    bfloat16 in bfloat16 (a 0-d float32 scale: the product is rounded to
    bfloat16, then to an integer). A kernel that computes float16 without
    upcasting, or upcasts bfloat16, parts from the rule exactly on these
    inputs (about 2% of random ones at 8 bits, many more at 12). Found by
    trying every one of the 65536 values of ``dtype``; empty for other dtypes.
    """
    if dtype.itemsize != 2 or not (0 < scale < math.inf) or max_bound <= 0:
        return []
    return list(_double_rounding(dtype.name, float(F32(scale)), float(max_bound)))


def _upper_half_ties(max_bound: float, scale: float) -> list[float]:
    """Near .5 ties spread over the upper half of the codes.

    For a 16-bit input with a multiplier that is not a power of two, ``x *
    scale`` lands a fraction of an ulp beside ``k + 0.5``; computed in float16
    or bfloat16 (not upcast, SPEC 2.2) it snaps onto the tie, and only codes
    large enough for the 16-bit grid to be coarse show it.
    """
    codes = np.floor(np.linspace(max_bound / 2, max_bound - 1, 8))
    return [sign * (float(k) + 0.5) / scale for k in codes for sign in (1.0, -1.0)]


@functools.lru_cache(maxsize=4096)
def exact_ties(dtype, amax: float, bits: int, unsigned: bool,
               narrow_range: bool) -> tuple[float, ...]:
    """Inputs ``x`` of ``dtype`` whose ``x * scale`` is exactly ``k + 0.5``.

    Only these tell round-half-even from half-away and from truncation; the
    caller draws them often. Cached, as :func:`special_values` is.
    """
    max_bound = float(bounds(bits, unsigned, narrow_range)[1])
    if not (amax > EPSILON and math.isfinite(amax) and max_bound > 0):
        return ()
    scale = _scale(max_bound, amax)
    if not 0 < scale < math.inf:
        return ()
    ties = []
    for k in range(int(min(max_bound, 6)) + 1):
        for code in {k, max_bound - k - 1}:
            for sign in (1.0, -1.0):
                for x in _ulp_neighbours([sign * (code + 0.5) / scale], dtype):
                    if x * scale == sign * (code + 0.5):  # exact in float64, so in any dtype
                        ties.append(x)
    return tuple(sorted(set(ties)))


@functools.lru_cache(maxsize=256)
def fp16_scale_edge(max_bound: float) -> tuple[float, ...]:
    """float32 amax values around ``max_bound / 65504``: scales just above and below 65504.

    Ordered by how sharply they test SPEC 3's ``scale > 65504``: first the amax
    whose float32 scale is exactly 65504 (an inclusive check raises there), then
    the one whose scale is the next float32 above (an unchecked or a float16
    comparison passes there), then the rest.
    """
    pool = _ulp_neighbours([max_bound / FLOAT16_MAX], np.dtype(np.float32), steps=3)
    over = [a for a in pool if _scale(max_bound, a) > FLOAT16_MAX]
    first = ([a for a in pool if _scale(max_bound, a) == FLOAT16_MAX][:1]
             + [min(over, key=lambda a: _scale(max_bound, a))][:len(over)])
    return tuple(first + [a for a in pool if a not in first])


def subnormals(dtype) -> tuple[float, float]:
    """The smallest and the largest subnormal of ``dtype``."""
    if dtype == BFLOAT16:
        return 2.0**-133, 2.0**-126 - 2.0**-133
    finfo = np.finfo(dtype)
    return float(finfo.smallest_subnormal), float(finfo.smallest_normal - finfo.smallest_subnormal)


def _largest(dtype) -> float:
    """The largest finite value of ``dtype``."""
    return (2.0 - 2.0**-7) * 2.0**127 if dtype == BFLOAT16 else float(np.finfo(dtype).max)


def overflow_amax(dtype) -> list[float]:
    """Amax values at the top of a 16-bit ``dtype``'s range, exact in float32.

    Its largest finite value, the largest float32 that still rounds to it,
    the smallest that rounds to inf (float16: 65504, 65519.996, 65520) and
    float32's largest. Compared with inputs of ``dtype`` (the STE mask, under
    PyTorch promotion a 0-d amax is rounded to the inputs' dtype) the last
    two are inf, so an infinite input lies inside the clipping range there.
    """
    largest = _largest(dtype)
    halfway = largest + (largest - float(_ulp_neighbours([largest], dtype)[1])) / 2
    return [largest, float(np.nextafter(F32(halfway), F32(0))), halfway,
            float(np.finfo(np.float32).max)]


def amax_specials(dtype) -> list[float]:
    """Amax values no calibration returns but every kernel receives one day (SPEC 7).

    Exact in ``dtype``; NaN and inf twice, being the ones kernels get wrong:
    a NaN amax makes every output NaN (a kernel testing ``!(amax > eps)``
    calls it zero), an infinite one a zero multiplier that is not the
    zero-amax one (reported as 0, fake outputs 0/0 = NaN). +-0 and the
    subnormals are zero amax, except float16's largest subnormal (about
    6.1e-5, a kernel that flushes denormals makes it zero). Negative ones
    raise ValueError: they are the errors property's (a negative subnormal
    there shows a kernel that flushes denormals).
    """
    smallest, largest = subnormals(dtype)
    return _in_dtype([math.nan, math.inf, math.nan, math.inf, -0.0, 0.0, smallest, largest],
                     dtype)


def _special_amax(draw, amax):
    """``amax`` with one or two elements replaced by :func:`amax_specials`.

    The other elements (channels) keep their values, so a per-channel amax
    mixes NaN or inf with zero, tiny and ordinary channels (but see
    :func:`without_gated_nan`).
    """
    flat = amax.astype(np.float64).reshape(-1).copy()
    # A NaN already there (``_nan_beside``) may hide a negative or zero channel: it
    # stays, or the call would become an error case (a bare negative amax raises).
    free = np.flatnonzero(~np.isnan(flat))
    if free.size == 0:
        return amax
    hidden = free.size < flat.size
    pool = amax_specials(amax.dtype)
    for _ in range(draw(st.integers(1, min(2, free.size)), label="special_amax_count")):
        where = free[draw(st.integers(0, free.size - 1), label="special_amax_where")]
        flat[where] = draw(st.sampled_from(pool), label="special_amax")
    if not hidden:  # with the NaN motif drawn, amax.min() is NaN whatever is added
        flat = without_gated_nan(flat)
    with np.errstate(over="ignore"):
        return flat.reshape(amax.shape).astype(amax.dtype)


def without_gated_nan(flat: np.ndarray) -> np.ndarray:
    """``flat`` (float64 amax values) with NaN made inf when it sits beside a value <= 2**-24.

    NaN beside a zero, tiny or negative channel switches the zero-amax
    masking off (``amax.min()`` is NaN, SPEC 2.3, 2.5): a rule of its own,
    drawn by the NaN-rule strategies, left out of the draws that aim elsewhere.
    """
    nan = np.isnan(flat)
    with np.errstate(invalid="ignore"):
        if nan.any() and (flat[~nan] <= EPSILON).any():
            flat = np.where(nan, math.inf, flat)
    return flat


def incoming_gradient(draw, shape, dtype, label="grad_output"):
    """The gradient handed to backward: distinct values, some replaced by special ones.

    Distinct exact values (1, 2, 3, ...) show a mask applied at the wrong
    elements. The special ones show how the mask is applied (SPEC 3):
    ``where(mask, grad, 0)`` gives +0 outside the mask whatever the gradient,
    ``grad * mask`` gives NaN for a NaN or infinite gradient there and -0
    for a negative one; inside the mask every gradient, -0, NaN, inf and
    subnormals included, passes bit for bit (an accumulation into a zeroed
    buffer turns -0 into +0; a flush to zero loses subnormals). A failure
    shrinks towards the distinct values alone.
    """
    size = int(np.prod(shape))
    distinct = np.arange(1, size + 1, dtype=np.float64).reshape(shape)
    smallest, largest = subnormals(dtype)
    finite_max = _largest(dtype)
    table = [None, "negative", -0.0, 0.0, math.nan, math.inf, -math.inf, smallest, -smallest,
             largest, finite_max, -finite_max]
    kinds = draw(hnp.arrays(np.int8, shape, elements=st.one_of(
        st.just(0), st.integers(0, len(table) - 1))), label=label)
    grad = distinct.copy()
    for code, value in enumerate(table[1:], start=1):
        chosen = kinds == code
        grad[chosen] = -distinct[chosen] if value == "negative" else value
    with np.errstate(over="ignore"):
        return grad.astype(dtype)


@functools.lru_cache(maxsize=256)  # one strategy object per (dtype, bound): see _elements
def amax_values(dtype=np.float32, max_bound: float = 127.0):
    """One amax value: the thresholds, subnormals, 1, huge, random, or an exact-scale one.

    ``max_bound * 2**-j`` makes the multiplier a power of two, so every
    ``(k + 0.5) / scale`` input is an exact tie of ``x * scale`` in every dtype.
    """
    threshold_up = float(np.nextafter(F32(EPSILON), F32(np.inf)))
    exact = (st.integers(-8, 12).map(lambda j: float(F32(max_bound)) * 2.0**-j)
             if max_bound > 0 else st.just(1.0))
    # amax whose float32 scale lands just above 65504, below 65520 (where it rounds to
    # 65504 in float16): tensor_quant's float16 overflow check must see the float32 scale.
    fp16_edge = fp16_scale_edge(max_bound) if max_bound > 0 else [1.0]
    return st.one_of(
        exact,
        st.sampled_from([EPSILON, EPSILON, 0.0]),  # the zero-amax threshold itself, often
        st.sampled_from(fp16_edge),
        st.sampled_from([
            0.0, EPSILON, threshold_up, float(np.nextafter(F32(EPSILON), F32(0))),
            1e-40, 1.0, 0.5, 127.0, 2.0, 127 / FLOAT16_MAX, 1e-3, 1e4, 1e30, 3.0e38,
        ]),
        st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False),
        st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False),
    ).map(lambda v: _in_dtype([v], dtype)[0])


def _distinct(values) -> list[float]:
    """``values`` without repeats, in a fixed order; -0.0 and +0.0 both kept, one NaN.

    Not a set of floats: it keeps one of -0.0 and +0.0 (they are equal), and
    its order of NaNs varies by process (hash(nan) is its id), which would
    make the derandomized draws differ from run to run.
    """
    keyed = {("nan",) if math.isnan(v) else (v, math.copysign(1.0, v)): v for v in values}
    return [keyed[k] for k in sorted(keyed, key=lambda k: (len(k) == 1, k))]


def input_array(draw, shape, dtype, amaxes, bits, unsigned, narrow_range, label="inputs"):
    """An array of ``shape`` mixing structured specials for every amax with random values."""
    # A NaN amax adds no special values (as 0 does); dropping it keeps the draws the
    # same in every process (a set of NaNs has no stable order).
    amaxes = [a for a in amaxes if not math.isnan(a)] or [0.0]
    element = _elements(dtype, tuple(sorted(set(amaxes))[:4]), max(amaxes + [1.0]), bits,
                        unsigned, narrow_range)
    values = draw(hnp.arrays(np.float64, shape, elements=element), label=label)
    with np.errstate(over="ignore", invalid="ignore"):
        arr = values.astype(dtype)
    if unsigned:
        # Unsigned calls need x >= 0 (negative inputs are the errors property's job),
        # except beside a NaN, which hides them from inputs.min().
        arr = np.where(np.signbit(arr.astype(np.float64)) & ~np.isnan(arr.astype(np.float64)),
                       -arr, arr).astype(dtype)
        arr = _nan_beside(draw, arr, [-1.0, -EPSILON, -math.inf, -0.5],
                          "nan_hides_negative")  # SPEC 2.1
    return arr


_RANDOM = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64)


# Cached, as strategies are immutable: Hypothesis validates every new strategy object on
# its first draw, which made building these per example a fifth of a value property's time.
@functools.lru_cache(maxsize=1024)
def _elements(dtype, amaxes: tuple, largest: float, bits, unsigned, narrow_range):
    """One input element: the specials and exact ties of ``amaxes``, or random values."""
    pool = _distinct(v for a in amaxes
                     for v in special_values(dtype, a, bits, unsigned, narrow_range))
    ties = _distinct(t for a in amaxes
                     for t in exact_ties(dtype, a, bits, unsigned, narrow_range))
    scaled = st.floats(-1.0, 1.0, allow_nan=False).map(lambda v: v * largest * 1.2)
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool),
                     st.sampled_from(ties or pool), _RANDOM, scaled)


def _nan_beside(draw, arr, values, label):
    """Sometimes ``arr`` with a NaN at one place and one of ``values`` at another.

    ``min()`` propagates NaN, so what the other value does on its own must not
    happen: a negative unsigned input raises no TypeError (SPEC 2.1), a
    negative amax channel no ValueError (SPEC 2.3, its scale is negative), and
    a zero amax channel is not masked (SPEC 2.5, 2.7: it keeps ``max_bound /
    0 = inf`` and reports it). A check on the elements (``(x < 0).any()``,
    ``nanmin``, an elementwise zero-amax mask) parts from the article here.
    """
    if arr.size < 2 or not draw(st.sampled_from((False,) * 4 + (True,)), label=label):
        return arr
    flat = arr.astype(np.float64).reshape(-1)
    nan_at = draw(st.integers(0, flat.size - 1), label=f"{label}_nan_at")
    other_at = draw(st.integers(0, flat.size - 2), label=f"{label}_other_at")
    flat[nan_at] = math.nan
    flat[other_at + (other_at >= nan_at)] = draw(st.sampled_from(values),
                                                 label=f"{label}_value")
    with np.errstate(over="ignore"):
        return flat.reshape(arr.shape).astype(arr.dtype)


def _dense(inputs, dtype, amaxes, bits, unsigned, narrow_range):
    pool = []
    for a in sorted(set(amaxes))[:4]:
        pool += special_values(dtype, a, bits, unsigned, narrow_range)
        pool += exact_ties(dtype, a, bits, unsigned, narrow_range)
    values = np.concatenate([np.asarray(pool, dtype=np.float64),
                             inputs.astype(np.float64).reshape(-1)])
    if unsigned:
        values = np.abs(values)
    with np.errstate(over="ignore", invalid="ignore"):
        return values.astype(dtype)


def per_channel_layout(draw):
    """``(inputs shape, kept axis, amax shape)`` for per-channel amax.

    Amax shapes are keepdims (``(1, C, 1, 1)``) or trailing-broadcast
    (``(C, 1, 1)`` / ``(C,)`` when the axis is last); the inputs often have
    another axis of the same length as the channel axis, so an amax applied
    to the wrong axis still broadcasts and only the values tell.
    """
    rank = draw(st.integers(1, 4), label="rank")
    axis = draw(st.integers(0, rank - 1), label="axis")
    channels = draw(st.integers(1, 4), label="channels")
    dims = draw(st.lists(st.sampled_from([1, 2, 3, channels]), min_size=rank, max_size=rank),
                label="dims")
    dims[axis] = channels
    keepdims = tuple(channels if i == axis else 1 for i in range(rank))
    trailing = keepdims[axis:]
    amax_shape = draw(st.sampled_from([keepdims, trailing]), label="amax_shape")
    return tuple(dims), axis, amax_shape


@dataclasses.dataclass(frozen=True)
class Case:
    """One call of the article's functions, as NumPy arrays and arguments.

    ``motif`` is set for large inputs, which are ``np.resize(motif, shape)``:
    the reproduction rebuilds them from it instead of listing every element.
    """

    inputs: np.ndarray
    amax: np.ndarray
    num_bits: int = 8
    unsigned: bool = False
    narrow_range: bool = True
    motif: np.ndarray | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def kwargs(self) -> dict:
        return {"num_bits": self.num_bits, "unsigned": self.unsigned,
                "narrow_range": self.narrow_range}


#: Element counts of large inputs: kernels switch paths by size (SIMD main loop and
#: tail, parallel grain sizes, a "fast path" past 4096), invisible to small examples.
LARGE_SIZES = (4096, 5003, 8192 + 7, 32768, 65536 + 3)


@st.composite
def dtype_edge_cases(draw, max_side=4):
    """Per-tensor calls on 16-bit inputs holding +-inf and +-max, with an amax from :func:`overflow_amax`.

    The quantizer computes in float32 (float16 upcast) or at full float32
    precision (a 0-d scale), where that amax is finite; the STE compares
    ``|x| <= amax`` in the inputs' dtype, where it may be inf. A kernel that
    compares in float32, or that builds the STE from ``x - x.detach()``
    arithmetic (``inf - inf`` is NaN), parts from the rule only here.

    For float16, one call in two instead takes an amax from
    :func:`fp16_scale_edge`, mostly its first two (a float32 scale of exactly 65504, or just above:
    SPEC 3's overflow check is ``scale > 65504``, on the float32 scale). Each
    call also gets up to two :func:`double_rounding_inputs` of its amax: a
    kernel that multiplies float16 without upcasting parts from the rule there.
    """
    dtype = draw(st.sampled_from([np.dtype(np.float16), BFLOAT16]), label="edge_dtype")
    base = draw(cases(per_channel=False, dtype=dtype, max_side=max_side), label="edge_base")
    max_bound = float(bounds(base.num_bits, base.unsigned, base.narrow_range)[1])
    if dtype == np.float16 and max_bound > 0 and draw(st.booleans(), label="edge_fp16_scale"):
        edge = fp16_scale_edge(max_bound)
        value = draw(st.sampled_from(edge[:2] * 2 + edge), label="edge_amax")
    else:
        value = draw(st.sampled_from(overflow_amax(dtype)), label="edge_amax")
    amax_dtype = draw(st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)]),
                      label="edge_amax_dtype")
    largest = _largest(dtype)
    amax = np.asarray(value, dtype=amax_dtype)
    inputs, _ = _double_rounding_spots(draw, base.inputs, None, amax, base.num_bits,
                                       base.unsigned, base.narrow_range, at_least=1)
    flat = inputs.astype(np.float64).reshape(-1)
    for _ in range(draw(st.integers(1, 3), label="edge_count")):
        where = draw(st.integers(0, flat.size - 1), label="edge_where")
        flat[where] = draw(st.sampled_from([math.inf, -math.inf, largest, -largest]),
                           label="edge_input")
    if base.unsigned:
        flat = np.abs(flat)
    with np.errstate(over="ignore"):
        inputs = flat.reshape(base.inputs.shape).astype(dtype)
    return Case(inputs, amax, base.num_bits, base.unsigned, base.narrow_range)


def _large_shape(draw, shape, axis):
    """``shape`` grown along one axis the amax broadcasts over, to a large element count."""
    size = draw(st.sampled_from(LARGE_SIZES), label="large_size")
    dims = list(shape)
    free = [i for i in range(len(dims)) if i != axis]
    if not free:  # a lone channel axis (or a scalar): prepend a broadcast axis
        dims.insert(0, 1)
        free = [0]
    grow = free[draw(st.integers(0, len(free) - 1), label="large_axis")]
    others = int(np.prod([d for i, d in enumerate(dims) if i != grow])) or 1
    dims[grow] = max(1, -(-size // others))
    return tuple(dims)


def _spread_ties(dtype, amaxes, bits, unsigned, narrow) -> np.ndarray:
    return np.asarray(_spread_ties_of(dtype, tuple(sorted(set(amaxes))[:2]), bits, unsigned,
                                      narrow), dtype=np.float64)


@functools.lru_cache(maxsize=1024)
def _spread_ties_of(dtype, amaxes, bits, unsigned, narrow) -> tuple[float, ...]:
    """Near .5 ties (with ulp neighbours) at 32 codes spread over the whole range.

    A large input has room for them, and a size-dependent path that computes
    the product another way (dividing by the step) parts from the rule only there.
    """
    max_bound = float(bounds(bits, unsigned, narrow)[1])
    out = []
    for amax in amaxes:
        if not (amax > EPSILON and math.isfinite(amax) and max_bound > 0):
            continue
        scale = _scale(max_bound, amax)
        if 0 < scale < math.inf:
            codes = np.floor(np.linspace(0, max(max_bound - 1, 0), 32))
            # 16-bit grids are coarse: 8 ulps each side find inputs whose float32
            # product lands a hair from the tie.
            out += _ulp_neighbours([s * (k + 0.5) / scale for k in codes for s in (1, -1)],
                                   dtype, steps=8 if dtype.itemsize == 2 else 2)
    return tuple(out)


#: How often :func:`_tail_block` repeats its period of 7 (coprime with every power of
#: two): each value then sits at every position modulo 16, whatever the array's size.
TAIL_REPEATS = 16


def _tail_block(dtype, amaxes, bits, unsigned, narrow, rng) -> np.ndarray:
    """Special values and an exact tie, repeated with period 7, a tie last: where a large input ends.

    A vectorised kernel leaves the last ``n % lanes`` elements to a scalar
    loop, which is other code (C's ``roundf`` rounds half away from zero, a
    cast may meet NaN there), so the end of the array must hold what shows
    it; a period coprime with the lane count puts each value in every lane.
    """
    ties = _distinct(t for a in sorted(set(amaxes))[:4]
                     for t in exact_ties(dtype, a, bits, unsigned, narrow))
    if not ties:
        ties = [float(v) for v in _spread_ties(dtype, amaxes, bits, unsigned, narrow)] or [0.5]
    smallest, _ = subnormals(dtype)
    specials = [math.nan, -0.0, math.inf, -math.inf, smallest, -smallest]
    block = [v for i in rng.choice(len(ties), TAIL_REPEATS) for v in (*specials, ties[i])]
    block = np.asarray(block, dtype=np.float64)
    return np.abs(block) if unsigned else block


def _large_inputs(draw, inputs, shape, axis, dtype, amaxes, bits, unsigned, narrow):
    """Every special value plus random fill, tiled to a large shape (cheap to build).

    The motif has an odd length, so every value of it lands on every
    position modulo a power of two (each SIMD lane, each unrolled step), and
    it is rotated so that the array ends with :func:`_tail_block`.
    """
    seed = draw(st.integers(0, 2**32 - 1), label="large_seed")
    rng = np.random.default_rng(seed)
    scale = max([abs(a) for a in amaxes if math.isfinite(a)] + [1.0]) * 1.2
    fill = rng.uniform(-scale, scale, 256)
    body = _dense(np.concatenate([inputs.astype(np.float64).reshape(-1), fill,
                                  _spread_ties(dtype, amaxes, bits, unsigned, narrow)]),
                  dtype, amaxes, bits, unsigned, narrow)
    body = body[rng.permutation(body.size)]
    with np.errstate(over="ignore", invalid="ignore"):
        tail = _tail_block(dtype, amaxes, bits, unsigned, narrow, rng).astype(dtype)
    motif = np.concatenate([body[(body.size + tail.size + 1) % 2:], tail])
    large = _large_shape(draw, shape, axis)
    motif = np.roll(motif, int(np.prod(large)) % motif.size)  # np.resize then ends with tail
    return np.resize(motif, large), motif


def _per_tensor_amax(amax, bits, unsigned, narrow):
    """``(amax value, max_bound)`` of a one-element amax that quantizes, or None."""
    if amax.size != 1:
        return None
    value = float(amax.astype(np.float64).reshape(-1)[0])
    max_bound = float(bounds(bits, unsigned, narrow)[1])
    if not (EPSILON < value < math.inf) or max_bound <= 0:
        return None
    return value, max_bound


def _spots(draw, inputs, motif, groups, at_least, label):
    """``inputs`` (or the large inputs' motif) with ``at_least``-2 elements from ``groups``.

    Each group of values is as likely as the others, however long it is.
    """
    groups = [g for g in groups if g]
    count = draw(st.integers(at_least, 2), label=f"{label}_count") if groups else 0
    if count == 0 or inputs.size == 0:
        return inputs, motif
    element = st.one_of(*(st.sampled_from(g) for g in groups))
    flat = (motif if motif is not None else inputs).reshape(-1).copy()
    for _ in range(count):
        where = draw(st.integers(0, flat.size - 1), label=f"{label}_where")
        flat[where] = draw(element, label=label)
    if motif is not None:
        return np.resize(flat, inputs.shape), flat
    return flat.reshape(inputs.shape), None


def _double_rounding_spots(draw, inputs, motif, amax, bits, unsigned, narrow, at_least=0):
    """Up to two 16-bit inputs replaced by :func:`double_rounding_inputs` of the final amax.

    The amax may have been set after the inputs were drawn (from them, or
    near a tie); these inputs are the ones that show how a 16-bit product
    is rounded under that amax, so they are placed last.
    """
    found = _per_tensor_amax(amax, bits, unsigned, narrow)
    if inputs.dtype.itemsize != 2 or found is None:
        return inputs, motif
    value, max_bound = found
    values = [v for v in double_rounding_inputs(inputs.dtype, _scale(max_bound, value), max_bound)
              if v >= 0 or not unsigned]
    return _spots(draw, inputs, motif, [values], at_least, "double_rounding")


def _tie_and_bound_spots(draw, inputs, motif, amax, bits, unsigned, narrow):
    """One or two inputs replaced by exact .5 ties or clamp edges of the final amax.

    Three amax in five are set after the inputs (from them, near a tie, or a
    special one), which leaves the inputs' ties and clamp edges belonging to
    an amax the call no longer has. Half-away or truncating rounding shows
    only at an exact tie, and a wrong lower bound (narrow_range ignored) only
    past ``-amax * (max_bound + 0.5) / max_bound``, so one such input is put
    in every call with a one-element amax that has them: ``quick``'s examples
    must find these bugs, whatever order Hypothesis draws in.
    """
    found = _per_tensor_amax(amax, bits, unsigned, narrow)
    if found is None:
        return inputs, motif
    value, max_bound = found
    edge = value * (max_bound + 0.5) / max_bound
    ties = list(exact_ties(inputs.dtype, value, bits, unsigned, narrow))
    edges = _in_dtype(_ulp_neighbours([edge, -edge], inputs.dtype) + [-edge * 1.5],
                      inputs.dtype)
    # Past the lower edge on its own: only there does the lowest code (-2**(b-1) or
    # -2**(b-1) + 1, by narrow_range) show, and a kernel that ignores narrow_range.
    past_low = [v for v in edges if v < -edge]
    groups = [[v for v in _distinct(g) if math.isfinite(v) and (v >= 0 or not unsigned)]
              for g in (ties, past_low, [v for v in edges if v not in past_low])]
    inputs, motif = _spots(draw, inputs, motif, groups, 1, "tie_or_bound")
    if unsigned:
        return inputs, motif
    # Every signed call gets one input past the lower edge as well: narrow_range is
    # one call in two and decides only that code, so a kernel that ignores it shows
    # in a quarter of the calls, not in a quarter of a quarter.
    return _spots(draw, inputs, motif, [groups[1]], 1, "past_lower_edge")


def _near_tie_amax(draw, inputs, amax, max_bound):
    """An amax that puts one input within a few float32 ulps of a .5 tie.

    The inputs' grid is fixed (float16 and bfloat16 are coarse), so the amax
    is tuned instead: ``amax ~ max_bound * |x| / (k + 0.5)``, then nudged by a
    few ulps. Here ``x * (max_bound / amax)`` and ``x / (amax / max_bound)``
    round differently often, which is where the quantize formulas part.
    """
    flat = inputs.astype(np.float64).reshape(-1)
    usable = np.flatnonzero(np.isfinite(flat) & (flat != 0))
    if usable.size == 0 or max_bound <= 0:
        return amax
    x = abs(flat[usable[draw(st.integers(0, usable.size - 1), label="tie_element")]])
    k = draw(st.sampled_from([0, 1, 2, 3, int(max_bound) - 1]), label="tie_code")
    nudge = draw(st.integers(-3, 3), label="tie_nudge")
    with np.errstate(over="ignore", under="ignore"):
        value = F32(max_bound * x / (max(k, 0) + 0.5))
        for _ in range(abs(nudge)):
            value = np.nextafter(value, F32(np.inf) if nudge > 0 else F32(0))
        if not np.isfinite(value) or value <= EPSILON:
            return amax
        return np.full(amax.shape, value, dtype=np.float32).astype(amax.dtype)


def _amax_dtype(draw, dtype):
    # bfloat16 and float64 amax meet float32/float16 inputs too: promotion differs.
    return draw(st.sampled_from([np.dtype(np.float32), np.dtype(np.float32),
                                 np.dtype(np.float16), dtype, dtype, BFLOAT16,
                                 np.dtype(np.float64)]), label="amax_dtype")


@st.composite
def cases(draw, per_channel=False, dtype=None, max_side=5, allow_unsigned=True,
          allow_large=False):
    """A full call: inputs, amax (per tensor or per channel), num_bits, flags.

    With ``allow_large``, about one call in three has 4096-65539 elements.
    """
    dtype = dtype if dtype is not None else draw(dtypes(), label="dtype")
    bits = draw(num_bits(), label="num_bits")
    unsigned = draw(st.booleans(), label="unsigned") if allow_unsigned else False
    narrow = draw(st.booleans(), label="narrow_range")
    amax_dtype = _amax_dtype(draw, dtype)
    max_bound = float(bounds(bits, unsigned, narrow)[1])
    if per_channel:
        shape, axis, amax_shape = per_channel_layout(draw)
        count = int(np.prod(amax_shape))
        values = draw(st.lists(amax_values(amax_dtype, max_bound), min_size=count,
                               max_size=count), label="amax")
        amax = np.asarray(values, dtype=np.float64).reshape(amax_shape).astype(amax_dtype)
    else:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=max_side), label="shape")
        value = draw(amax_values(amax_dtype, max_bound), label="amax")
        amax_shape = draw(st.sampled_from([(), (), (1,)]), label="amax_shape")
        amax = np.full(amax_shape, value, dtype=amax_dtype)
        axis = None
    amaxes = [float(v) for v in np.asarray(amax, dtype=np.float64).reshape(-1)]
    inputs = input_array(draw, shape, dtype, amaxes, bits, unsigned, narrow)
    if not per_channel and draw(st.sampled_from([False, False, True]), label="dense"):
        # Every special value at once: a near-tie that only one formula rounds up is
        # rare per element, certain per pool. (check_call narrows a failure to one element.)
        inputs = _dense(inputs, dtype, amaxes, bits, unsigned, narrow)
    if per_channel:  # SPEC 2.3/2.5; after the inputs, whose specials come from real channels
        amax = _nan_beside(draw, amax, [0.0, 0.0, EPSILON, 1e-40, -0.0, -1.0, -EPSILON],
                           "nan_channel")
    motif = None
    # False first: Hypothesis shrinks towards it, so a failure shrinks to small inputs
    # unless only large ones show it.
    if allow_large and draw(st.sampled_from((False,) * 2 + (True,)), label="large"):
        inputs, motif = _large_inputs(draw, inputs, shape, axis, dtype, amaxes, bits,
                                      unsigned, narrow)
    how = draw(st.sampled_from(["drawn", "drawn", "from_inputs", "near_tie", "special"]),
               label="amax_how")
    if how == "near_tie" and not per_channel:
        amax = _near_tie_amax(draw, inputs, amax, max_bound)
    if how == "from_inputs" and inputs.size and not per_channel:
        # The common calibration: amax = max |x| (the article's own example).
        with np.errstate(invalid="ignore"):
            value = np.nanmax(np.abs(inputs.astype(np.float64))) if not np.isnan(
                inputs.astype(np.float64)).all() else 0.0
        if math.isfinite(value):
            with np.errstate(over="ignore"):
                amax = np.full(amax.shape, value, dtype=np.float64).astype(amax.dtype)
    if how == "special":  # after the inputs: they keep the specials of the drawn amax
        amax = _special_amax(draw, amax)
    inputs, motif = _tie_and_bound_spots(draw, inputs, motif, amax, bits, unsigned, narrow)
    inputs, motif = _double_rounding_spots(draw, inputs, motif, amax, bits, unsigned, narrow)
    return Case(inputs, amax, bits, unsigned, narrow, motif)
