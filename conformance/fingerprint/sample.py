"""The boundary-heavy sample a fingerprint runs the target on, once.

Every field of ``reference.Semantics`` shows on some of these calls: .5 ties
of ``x * max_bound / amax`` and of ``x / step`` with their one-ulp neighbours
in the input's dtype (quantize formula, rounding), amaxes whose multiplier is
not exactly representable (dequantize formula, compute dtype), the clamp
bounds and beyond (signed range), amax at, above and below 2**-24 and zero
(zero-amax rule), NaN and +-inf (NaN clamp), every dtype, unsigned,
per-channel amax, and gradients at the STE mask's edges with NaN and
negative grad_output (mask and how it is applied).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from reference import BFLOAT16, EPSILON, bounds

from ..compare import bit_view, hex_bits

__all__ = ["Probe", "build_sample"]

F32 = np.float32
DTYPES = (np.dtype(np.float32), np.dtype(np.float16), BFLOAT16, np.dtype(np.float64))
AMAXES = (1.0, 0.3, 3.0, 0.7, 1e-3, EPSILON, 2 * EPSILON, EPSILON / 2, 0.0)
CONFIGS = ((8, False, True), (8, False, False), (8, True, False))
EXTRA_BITS = ((4, False, False), (16, False, True), (1, False, False))


@dataclasses.dataclass(frozen=True)
class Probe:
    """One call of the target: ``fake_tensor_quant``, or its input gradient."""

    function: str  # "fake_tensor_quant" or "ste_gradient"
    inputs: np.ndarray
    amax: np.ndarray
    num_bits: int
    unsigned: bool
    narrow_range: bool
    grad_output: np.ndarray | None = None

    def describe(self, index=None) -> str:
        from reference import dtype_name


        where = ""
        if index is not None:
            flat = int(np.ravel_multi_index(index, self.inputs.shape)) if index else 0
            x = self.inputs.reshape(-1)[flat]
            amax = np.broadcast_to(self.amax, self.inputs.shape).reshape(-1)[flat]
            where = f"x={float(x)!r} ({hex_bits(x, self.inputs.dtype)}), amax={float(amax)!r}"
            if self.grad_output is not None:
                where += f", grad_output={float(self.grad_output.reshape(-1)[flat])!r}"
            where += ", "
        return (f"{self.function}({where}{dtype_name(self.inputs.dtype)}, amax "
                f"{dtype_name(self.amax.dtype)}{list(self.amax.shape)}, num_bits={self.num_bits}, "
                f"unsigned={self.unsigned}, narrow_range={self.narrow_range})")


def _neighbours(values: np.ndarray) -> np.ndarray:
    """Each finite non-zero value with its two one-ulp neighbours in its own dtype."""
    finite = values[np.isfinite(values.astype(np.float64)) & (values.astype(np.float64) != 0)]
    bits = bit_view(finite)
    return np.concatenate([values, (bits + 1).view(values.dtype), (bits - 1).view(values.dtype)])


def _in(values, dtype) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(values, dtype=np.float64).astype(F32).astype(dtype) \
            if dtype != np.float64 else np.asarray(values, dtype=np.float64)


def _inputs(amax: float, num_bits: int, unsigned: bool, dtype) -> np.ndarray:
    """Ties of both step conventions, clamp edges, specials: the values that part kernels."""
    max_bound = float(bounds(num_bits, unsigned, True)[1])
    if max_bound <= 0 or amax == 0:
        steps = [1.0]
    else:
        step = float(F32(amax) / F32(max_bound))
        steps = [step, 1.0 / float(F32(max_bound) / F32(amax)), 1.0 / float(F32(1) / F32(step))]
    top = max(int(max_bound), 1)
    ks = np.unique(np.r_[np.arange(0, min(top, 12)), np.arange(max(top - 6, 0), top + 2),
                         np.linspace(0, top, 25).astype(int)]) + 0.5
    ties = np.concatenate([ks * s for s in steps])
    values = np.concatenate([ties, -ties])
    edges = [amax, amax * (max_bound + 0.5) / max(max_bound, 1), amax * (max_bound + 1.5) /
             max(max_bound, 1), 2 * amax, 1e-3 * amax]
    values = np.concatenate([values, edges, -np.asarray(edges)])
    x = _neighbours(_in(values, dtype))
    specials = _in([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, EPSILON, 1.0, -1.0, 0.5], dtype)
    x = np.concatenate([x, specials])
    if unsigned:
        with np.errstate(invalid="ignore"):
            x = x[~(x.astype(np.float64) < 0)]
    return x


def _fake(x, amax, bits, unsigned, narrow, amax_dtype=np.float32) -> Probe:
    return Probe("fake_tensor_quant", x, np.asarray(amax, dtype=np.float64).astype(amax_dtype),
                 bits, unsigned, narrow)


def _per_channel(dtype) -> list[Probe]:
    """Rows with their own amax (keepdims (C, 1)) and columns (trailing (C,))."""
    amaxes = (1.0, 0.3, 0.7)
    rows = [_inputs(a, 8, False, dtype) for a in amaxes]
    width = min(len(r) for r in rows)
    x = np.stack([r[:width] for r in rows])
    keepdims = _fake(x, np.asarray(amaxes).reshape(3, 1), 8, False, True)
    trailing = _fake(np.ascontiguousarray(x.T), np.asarray(amaxes), 8, False, False)
    return [keepdims, trailing]


def _gradients(dtype) -> list[Probe]:
    """Inputs at |x| = amax and at the rounded-code edges, with awkward grad_output."""
    probes = []
    for amax, bits, unsigned, narrow in ((1.0, 8, False, True), (0.3, 8, False, False),
                                         (1.0, 8, True, False)):
        x = _inputs(amax, bits, unsigned, dtype)
        cycle = np.array([1.0, -2.0, np.nan, np.inf, -1.0])
        grad = np.resize(cycle, x.shape).astype(dtype)
        probes.append(Probe("ste_gradient", x, np.asarray(amax, dtype=F32), bits, unsigned,
                            narrow, grad))
    return probes


def build_sample(per_channel: bool = True) -> list[Probe]:
    """The whole sample: a few hundred calls, each a few hundred elements.

    ``per_channel=False`` leaves out the per-channel calls, for kernels whose
    per-channel path computes differently from their per-tensor path.
    """
    probes = []
    for dtype in DTYPES:
        for amax in AMAXES:
            for bits, unsigned, narrow in CONFIGS:
                probes.append(_fake(_inputs(amax, bits, unsigned, dtype), amax, bits, unsigned,
                                    narrow))
        for bits, unsigned, narrow in EXTRA_BITS:
            probes.append(_fake(_inputs(0.3, bits, unsigned, dtype), 0.3, bits, unsigned, narrow))
        # amax in the input's own dtype (compute rules treat it separately)
        probes.append(_fake(_inputs(0.7, 8, False, dtype), 0.7, 8, False, True, amax_dtype=dtype))
        if per_channel:
            probes += _per_channel(dtype)
        probes += _gradients(dtype)
    return probes
