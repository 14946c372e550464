"""The golden cases, as code: each names its inputs; the reference supplies the results.

Written in the style of ONNX's backend test ``expect()``: a topic function
builds the inputs of each case and calls ``_Cases.quant`` / ``.grad`` /
``.descriptor``, which run the reference (``vectors.expect``) and record a
``Case``. ``all_cases()`` rebuilds the list from scratch, so the files that
``python -m vectors`` writes depend on nothing but this code and the reference.

Inputs are spelled as exact bit patterns where a decimal would be ambiguous
(``bits32(0x33800001)``: the float32 after 2**-24) and as decimals where
the value is exact in its dtype (0.5, -128.0).
"""

from __future__ import annotations

import numpy as np

from reference import BFLOAT16, PREDEFINED

from .cases_section6 import SECTION6_TOPICS
from .expect import expected
from .io import Case

__all__ = ["ARTICLE_CODES", "ARTICLE_FAKE_4DP", "ARTICLE_SCALE", "ARTICLE_X_BITS", "all_cases"]

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
BF16 = BFLOAT16

#: torch.manual_seed(12345); torch.rand(10), as float32 bits (generated once with
#: torch 2.13.0 on CPU; the reference never imports torch).
ARTICLE_X_BITS = (0x3F7B51E2, 0x3F612DE5, 0x3F7DFD1D, 0x3EEC1102, 0x3DAA6D20,
                  0x3E36B6A4, 0x3EBC1FFC, 0x3F11517E, 0x3EACDACA, 0x3E590888)
#: The article's published results for that input (SPEC.md section 3).
ARTICLE_CODES = (126, 113, 127, 59, 11, 23, 47, 73, 43, 27)
ARTICLE_SCALE = 128.00567626953125
ARTICLE_FAKE_4DP = (0.9843, 0.8828, 0.9921, 0.4609, 0.0859, 0.1797, 0.3672, 0.5703,
                    0.3359, 0.2109)

INF, NAN = float("inf"), float("nan")
EPS = 2.0**-24


def arr(dtype, values, shape=None) -> np.ndarray:
    """An array of ``dtype`` from Python numbers (each rounded once to ``dtype``)."""
    a = np.array(np.asarray(values, dtype=np.float64), dtype=dtype)
    return a.reshape(shape) if shape is not None else a


def bits32(*patterns, shape=None) -> np.ndarray:
    """A float32 array from exact bit patterns (0-d for one pattern and no shape)."""
    a = np.array(patterns, dtype=np.uint32).view(np.float32)
    if shape is not None:
        return a.reshape(shape)
    return a.reshape(()) if len(patterns) == 1 else a


def ulp_up(a):
    return np.nextafter(a, np.array(INF, a.dtype))


def ulp_down(a):
    return np.nextafter(a, np.array(-INF, a.dtype))


class _Cases:
    """Collects cases; each method runs the reference for the expected result."""

    def __init__(self):
        self.cases: list[Case] = []
        self.topic = "cases"

    def _add(self, cid, rule, function, inputs, arguments):
        self.cases.append(Case(cid, rule, function, inputs, arguments,
                               expected(function, inputs, arguments), self.topic))

    def quant(self, cid, rule, x, amax, num_bits=8, unsigned=False, narrow_range=True, *,
              functions=("tensor_quant", "fake_tensor_quant"), arguments=None):
        """One case per function (ids ``<cid>_tq`` and ``<cid>_fake``)."""
        if arguments is None:
            arguments = {"num_bits": num_bits, "unsigned": unsigned,
                         "narrow_range": narrow_range}
        suffix = {"tensor_quant": "tq", "fake_tensor_quant": "fake"}
        for function in functions:
            self._add(f"{cid}_{suffix[function]}", rule, function,
                      {"inputs": x, "amax": amax}, dict(arguments))

    def grad(self, cid, rule, x, amax, grad_output=None, num_bits=8, unsigned=False,
             narrow_range=True, backward_of="fake_tensor_quant"):
        """The input gradient of ``backward_of`` for ``grad_output`` (default: ones)."""
        out_shape = np.broadcast_shapes(x.shape, amax.shape)
        if grad_output is None:
            out_dtype = expected("fake_tensor_quant", {"inputs": x, "amax": amax},
                                 {"num_bits": num_bits, "unsigned": unsigned,
                                  "narrow_range": narrow_range}).outputs.dtype
            grad_output = np.ones(out_shape, dtype=out_dtype)
        self._add(f"{cid}_grad", rule, "ste_gradient",
                  {"inputs": x, "amax": amax, "grad_output": grad_output},
                  {"num_bits": num_bits, "unsigned": unsigned, "narrow_range": narrow_range,
                   "backward_of": backward_of})

    def descriptor(self, cid, rule, **kwargs):
        self._add(cid, rule, "descriptor", {}, kwargs)


# --- topics -----------------------------------------------------------------


def _article(c: _Cases):
    c.topic = "article"
    x = bits32(*ARTICLE_X_BITS)
    amax = np.max(np.abs(x))  # x.abs().max(): a 0-d float32
    rule = ("SPEC 3 golden example: torch.manual_seed(12345); x = torch.rand(10); "
            "amax = x.abs().max()")
    c.quant("article_seed12345", rule, x, amax)
    c.quant("article_seed12345_defaults", rule + "; num_bits, unsigned, narrow_range omitted "
            "(defaults 8, False, True)", x, amax, arguments={})
    c.grad("article_seed12345", "SPEC 3 STE: every |x| <= amax, so the gradient is grad_output",
           x, amax, arr(F32, np.arange(1, 11) / 8))


def _dtypes(c: _Cases):
    c.topic = "dtypes"
    x16 = arr(F16, [0.5, -1.0, 0.25, 1e-3, -0.7, 65504.0, 2.0**-24, -2.0**-14])
    c.quant("fp16_inputs_f32_amax", "SPEC 2.2/2.8: fp16 inputs computed in fp32, codes cast "
            "back to fp16, scale returned as fp16", x16, arr(F32, 1.0))
    c.quant("fp16_inputs_fp16_amax", "SPEC 2.2: an fp16 amax is upcast to fp32 like the inputs",
            x16, arr(F16, 0.7))
    c.quant("fp16_inputs_fp16_amax_per_channel", "SPEC 2.2: fp16 n-d amax upcast; codes fp16",
            arr(F16, [[0.3, -0.6], [2.5, -4.0]]), arr(F16, [[0.6], [3.0]]))
    c.quant("fp16_scale_overflow", "SPEC 3: fp16 outputs and scale.max() > 65504 -> ValueError "
            "in tensor_quant; fake_tensor_quant divides by scale.to(fp16) = inf and gives 0",
            x16, arr(F32, 1e-3))
    c.quant("fp16_scale_exactly_65504", "SPEC 3: scale 127/amax == 65504 is not > 65504: no "
            "error", arr(F16, [1e-3, -1e-3, 2.0**-14]), bits32(0x3AFE1FC4))
    c.quant("fp16_scale_one_ulp_above_65504", "SPEC 3: scale 65504.004 > 65504 -> ValueError in "
            "tensor_quant; fake_tensor_quant is finite (65504.004 rounds to 65504 in fp16)",
            arr(F16, [1e-3, -1e-3, 2.0**-14]), bits32(0x3AFE1FC3))
    # With amax 100 (scale 1.27) these products lie within a float16 ulp of a .5 tie:
    # rounding the product to float16 first moves each code by one.
    c.quant("fp16_inputs_computed_in_fp32", "SPEC 2.2: fp16 inputs are multiplied in float32; "
            "a float16 product would round these near-ties to the other code",
            arr(F16, [33.47, 34.25, 36.62, 38.97, -33.47, 1.0]), arr(F32, 100.0))
    c.quant("fp16_inf_inputs_amax_beyond_fp16", "SPEC 2.2/2.6: fp16 inf inputs clamp to the bound "
            "while amax (1e5) does not fit in fp16; the forward is the same with inputs requiring grad",
            arr(F16, [np.inf, -np.inf, 2.0, np.nan]), arr(F32, 1e5))
    c.quant("fp16_unsigned16_code_rounds_to_inf", "SPEC 2.8: code 65535 cast to fp16 is inf",
            arr(F16, [2.0, 1.0, 0.0]), arr(F32, 2.0), num_bits=16, unsigned=True)
    # 0.0153..., 0.0561..., 0.1787...: codes that differ by one if the float32 scale
    # were rounded to bf16 before the multiply.
    xbf = arr(BF16, [0.3, -0.6, 1.0, 0.1, -1.5, 0.05078125, 0.01531982421875, 0.05615234375,
                     -0.1787109375])
    c.quant("bf16_inputs_0d_f32_amax", "SPEC 2.2: bf16 not upcast; bf16[n] * f32[] is bf16, the "
            "scale read at float32 precision (CPU scalar path), scale returned as bf16",
            xbf, arr(F32, 1.3))
    c.quant("bf16_inputs_0d_bf16_amax", "SPEC 2.2: bf16 inputs with a bf16 amax stay bf16",
            xbf, arr(BF16, 1.3))
    c.quant("bf16_inputs_nd_f32_amax", "SPEC 2.2: bf16[n] * f32[n] promotes to float32 outputs",
            arr(BF16, [[0.3, -0.6, 1.0], [0.1, -1.5, 0.05078125]]), arr(F32, [1.3, 1.7, 0.9]))
    c.quant("bf16_inputs_1elem_f32_amax", "SPEC 2.2: a 1-element (not 0-d) float32 amax promotes "
            "bf16 inputs to float32", xbf, arr(F32, [1.3]))
    c.quant("bf16_0d_inputs_0d_f32_amax", "SPEC 2.2: two 0-d operands promote: bf16[] * f32[] is "
            "float32", arr(BF16, 0.3), arr(F32, 1.3))
    x64 = arr(F64, [0.3, -0.6, 1.0, 0.1, -1.5, 1 / 3, 0.5 / 127 * 1.3])
    c.quant("fp64_inputs_f32_amax", "SPEC 2.2: fp64 inputs compute in fp64 (scale from the "
            "float32 amax), outputs and scale float64", x64, arr(F32, 1.3))
    c.quant("fp64_inputs_fp64_amax", "SPEC 2.2: fp64 throughout", x64, arr(F64, 1.3))
    c.quant("fp32_inputs_fp64_amax", "PyTorch promotion: f32[n] * f64[] stays float32",
            arr(F32, [0.3, -0.6, 1.0, 1 / 3]), arr(F64, 1.3))
    # 127 / amax is 100.031252 in float64: float32 rounds it onto the float16 tie 100.03125
    # (then to even, 100.0); rounding float64 to float16 at once would give 100.0625.
    c.quant("fp16_inputs_fp64_amax", "SPEC 3 scale.to(fp16) of a float64 scale goes through "
            "float32 (two roundings), as PyTorch casts", arr(F16, [0.3, -0.6, 1.0]),
            arr(F64, 127 / (100.03125 + 2e-6)))
    c.quant("fp16_inputs_bf16_amax", "SPEC 2.2: only fp16 is upcast; fp32 inputs * bf16[] scale "
            "(the bf16 amax is not upcast)", arr(F16, [0.3, -0.6, 1.0]), arr(BF16, 1.3))
    c.quant("fp32_0d_inputs", "0-d inputs with 0-d amax give 0-d outputs", arr(F32, 0.3),
            arr(F32, 1.3))


def _ranges(c: _Cases):
    c.topic = "ranges"
    xu = arr(F32, [0.0, 0.25, 0.5, 1.0, 2.0, 0.002])
    c.quant("unsigned_8bit", "SPEC 2.4: unsigned max_bound = 2**8 - 1 = 255, min_bound 0",
            xu, arr(F32, 1.0), unsigned=True)
    c.quant("unsigned_negative_input", "SPEC 2.1: unsigned and inputs.min() < 0 -> TypeError",
            arr(F32, [0.5, -0.25]), arr(F32, 1.0), unsigned=True)
    c.quant("unsigned_negative_fp16_input", "SPEC 2.1: the check comes before the fp16 cast",
            arr(F16, [0.5, -2.0**-24]), arr(F32, 1.0), unsigned=True)
    c.quant("unsigned_negative_zero_input", "SPEC 2.1: -0.0 is not < 0: accepted, code -0.0 kept "
            "by clamp", arr(F32, [-0.0, 0.5]), arr(F32, 1.0), unsigned=True)
    c.quant("unsigned_nan_hides_negative", "SPEC 2.1: inputs.min() is NaN, NaN < 0 is False: no "
            "error; -1 clamps to 0", arr(F32, [NAN, -1.0, 0.5]), arr(F32, 1.0), unsigned=True)
    c.quant("unsigned_error_before_amax_error", "SPEC 2.1 before 2.3: TypeError, not ValueError",
            arr(F32, [-0.5]), arr(F32, -1.0), unsigned=True)
    c.quant("negative_amax", "SPEC 2.3: amax.min() < 0 -> ValueError", arr(F32, [0.5]),
            arr(F32, -1.0))
    c.quant("negative_amax_one_channel", "SPEC 2.3: one negative channel is enough",
            arr(F32, [[0.5], [0.25]]), arr(F32, [[1.0], [-0.0001]]))
    c.quant("negative_zero_amax", "SPEC 2.3: amax -0.0 is not < 0; zero amax rule applies",
            arr(F32, [0.5, -0.5]), arr(F32, -0.0))
    c.quant("nan_amax", "SPEC 2.3/2.5: amax.min() is NaN: no error, scale NaN, outputs NaN",
            arr(F32, [0.5, -0.5]), arr(F32, NAN))
    xr = arr(F32, [-1.0, -1.003, -1.01, -2.0, -INF, 1.01, INF])
    for narrow in (True, False):
        name = "narrow" if narrow else "full"
        c.quant(f"{name}_range_8bit", "SPEC 2.4: signed min_bound is -127 when narrow_range, "
                "else -128", xr, arr(F32, 1.0), narrow_range=narrow)
    # Beyond +-amax too (2, 3), where narrow and full range part.
    x = arr(F32, [-3.0, -2.0, -1.0, -0.6, -0.2, 0.0, 0.2, 0.6, 1.0, 2.0, 3.0, NAN])
    for bits in (0, 1, 2, 16):
        for unsigned, narrow in ((False, True), (False, False), (True, True)):
            xi = np.abs(x) if unsigned else x
            kind = "unsigned" if unsigned else ("narrow" if narrow else "full")
            c.quant(f"num_bits_{bits}_{kind}", f"SPEC 2.4 with num_bits={bits}: max_bound = "
                    "2**(num_bits-1+unsigned)-1; clamp with min > max gives max",
                    xi, arr(F32, 1.0), num_bits=bits, unsigned=unsigned, narrow_range=narrow)
    c.quant("num_bits_16_fp16", "SPEC 2.4/3: 16-bit codes from fp16 inputs, scale 32767 fits "
            "fp16", arr(F16, [1.0, -1.0, 0.5, 1e-4]), arr(F32, 1.0), num_bits=16)


def _rounding(c: _Cases):
    c.topic = "rounding"
    # amax = 127 makes the 8-bit scale exactly 1, so x * scale == x: exact ties.
    ties = [0.5, 1.5, 2.5, 3.5, 126.5, -0.5, -1.5, -2.5, 125.5, -126.5]
    for dt, name in ((F32, "fp32"), (F64, "fp64"), (F16, "fp16"), (BF16, "bf16")):
        t = arr(dt, ties)
        rule = "SPEC 2.6: round half to even on exact .5 products"
        c.quant(f"ties_{name}", rule, t, arr(F32, 127.0))
        c.quant(f"ties_{name}_ulp_below", rule + ", one ulp toward -inf", ulp_down(t),
                arr(F32, 127.0))
        c.quant(f"ties_{name}_ulp_above", rule + ", one ulp toward +inf", ulp_up(t),
                arr(F32, 127.0))
    # amax = 63.5 makes the scale exactly 2: x = k/2 + 1/4 lands on a tie.
    t = arr(F32, [0.25, 0.75, 1.25, -0.25, -0.75, 31.25])
    c.quant("ties_scale_2", "SPEC 2.6: ties after a multiply by an exact scale 2", t,
            arr(F32, 63.5))
    c.quant("ties_scale_2_ulp_neighbours", "SPEC 2.6: one ulp each side of those ties",
            np.concatenate([ulp_down(t), ulp_up(t)]), arr(F32, 63.5))
    # A tie that only exists in float32: x * 127 rounds (in float32) to k + .5.
    x = arr(F32, [0.5 / 127, 1.5 / 127, 2.5 / 127, 64.5 / 127])
    c.quant("near_ties_scale_127", "SPEC 2.5/2.6: x * (127 / 1) rounded in float32 first",
            np.concatenate([ulp_down(x), x, ulp_up(x)]), arr(F32, 1.0))


def _special(c: _Cases):
    c.topic = "special"
    xs = arr(F32, [1.0, INF, NAN, -3.0])
    tiny = bits32(0x33800000)  # 2**-24
    above = bits32(0x33800001)  # the next float32
    assert float(tiny) == EPS
    for amax, name in ((arr(F32, 0.0), "zero"), (tiny, "2e-24"), (above, "above_2e-24")):
        rule = ("SPEC 2.5/2.7: amax <= 2**-24 quantizes with scale 0 (+-0, NaN for NaN/inf) "
                "and returns scale 1" if name != "above_2e-24" else
                "SPEC 2.5: amax one float32 above 2**-24 is a real amax: scale 127/amax")
        c.quant(f"amax_{name}", rule, xs, amax)
        c.quant(f"amax_{name}_small_inputs", rule, arr(F32, [EPS, -EPS, 2 * EPS, 1e-45, -0.0]),
                amax)
    c.quant("amax_zero_fp16_amax", "SPEC 2.5: fp16 amax 2**-24 (its smallest subnormal) counts "
            "as zero", xs, arr(F16, EPS))
    c.quant("amax_fp16_next_subnormal", "SPEC 2.5: fp16 amax 2**-23 is a real amax", xs,
            arr(F16, 2 * EPS))
    c.quant("amax_zero_one_channel", "SPEC 2.5/2.7: only the zero channel gets scale 0 then 1",
            arr(F32, [[1.0, -2.0, NAN], [0.5, -INF, 0.25]]), arr(F32, [[0.0], [1.0]]))
    c.quant("amax_zero_fp16_inputs", "SPEC 2.5/2.8: zero amax with fp16 inputs",
            arr(F16, [1.0, INF, NAN, -3.0]), arr(F32, 0.0))
    c.quant("amax_zero_bf16_inputs", "SPEC 2.5: zero amax with bf16 inputs",
            arr(BF16, [1.0, INF, NAN, -3.0]), arr(F32, 0.0))
    xn = arr(F32, [NAN, INF, -INF, 0.0, -0.0, 1e-45, -1e-45, 3e38])
    for narrow in (True, False):
        c.quant(f"non_finite_inputs_{'narrow' if narrow else 'full'}", "SPEC 2.6: NaN stays NaN, "
                "+-inf clamps to the bounds, signed zeros kept", xn, arr(F32, 1.0),
                narrow_range=narrow)
    c.quant("non_finite_inputs_fp64", "SPEC 2.6 in float64", arr(F64, [NAN, INF, -INF, -0.0,
            5e-324]), arr(F32, 1.0))
    c.quant("non_finite_inputs_bf16", "SPEC 2.6 in bfloat16", arr(BF16, [NAN, INF, -INF, -0.0]),
            arr(F32, 1.0))
    c.quant("subnormal_amax", "SPEC 2.5: a float32 subnormal amax is below 2**-24",
            arr(F32, [1e-40, -1.0]), arr(F32, 1e-40))


def _per_channel(c: _Cases):
    c.topic = "per_channel"
    x = arr(F32, np.linspace(-1.1, 1.3, 12), (3, 4))
    rows = np.max(np.abs(x), axis=1, keepdims=True)  # axis=(0): amax (3, 1)
    c.quant("per_row_keepdims", "SPEC 1 axis=(0): amax (3,1) = max |x| over axis 1, keepdims",
            x, rows)
    c.quant("per_column_trailing", "SPEC 2 broadcasting: amax (4,) aligns with the last axis",
            x, np.max(np.abs(x), axis=0))
    w = arr(F32, np.linspace(-2.0, 1.5, 18) ** 3, (3, 2, 3))
    c.quant("kcrs_axis0_keepdims", "SPEC 1: axis=(0) on a 3-d weight gives amax (3,1,1)",
            w, np.max(np.abs(w), axis=(1, 2), keepdims=True))
    c.quant("trailing_axis_same_length_as_channel", "SPEC 2: amax (3,) broadcasts over the LAST "
            "axis (length 3 like axis 0), not the channel axis", w,
            np.max(np.abs(w), axis=(1, 2)))
    sq = arr(F32, [[0.1, 0.2, 4.0], [0.3, 0.4, 0.5], [0.6, 0.7, 0.8]])
    c.quant("square_rows", "SPEC 2: amax (3,1) scales rows", sq, arr(F32, [[4.0], [0.5], [0.8]]))
    c.quant("square_columns", "SPEC 2: amax (3,) scales columns of the same square input", sq,
            arr(F32, [4.0, 0.5, 0.8]))
    c.quant("empty_inputs", "SPEC 2: an empty tensor quantizes to an empty tensor",
            np.zeros((2, 0), F32), arr(F32, [[1.0], [2.0]]))
    c.quant("empty_inputs_unsigned", "SPEC 2.1: inputs.min() of an empty tensor raises "
            "(RuntimeError in PyTorch) before anything else", np.zeros((0,), F32), arr(F32, 1.0),
            unsigned=True)
    c.quant("amax_broadcasts_inputs_up", "SPEC 2: amax (2,1) against inputs (3,) gives (2,3)",
            arr(F32, [0.25, -0.5, 1.0]), arr(F32, [[1.0], [2.0]]))
    c.quant("per_channel_full_range", "SPEC 2.4 per channel, narrow_range=False",
            x, rows, narrow_range=False)
    c.quant("per_channel_unsigned", "SPEC 2.4 per channel, unsigned", np.abs(x), rows,
            unsigned=True)
    c.quant("per_channel_fp16_overflow_one_channel", "SPEC 3: any channel's scale > 65504 "
            "raises in tensor_quant; fake gives 0 in that channel only",
            arr(F16, [[1e-3, -1e-3], [0.5, -0.25]]), arr(F32, [[1e-3], [0.5]]))


def _gradient(c: _Cases):
    c.topic = "gradient"
    one = arr(F32, 1.0)
    x = arr(F32, [1.0, -1.0, ulp_up(one), -ulp_up(one), ulp_down(one), 0.0, NAN, INF, -INF])
    g = arr(F32, np.arange(1, 10))
    c.grad("boundary", "SPEC 3 STE: |x| <= amax inclusive passes; one ulp above and NaN/inf "
           "get 0", x, one, g)
    c.grad("boundary_through_tensor_quant", "SPEC 3: tensor_quant has the same STE", x, one, g,
           backward_of="tensor_quant")
    c.grad("nan_grad_output", "SPEC 3: grad_output is passed as is (NaN too) inside the mask",
           arr(F32, [0.5, 2.0, 0.5]), one, arr(F32, [NAN, NAN, INF]))
    c.grad("zero_amax", "SPEC 3: amax 0 keeps the gradient where x is +-0",
           arr(F32, [0.0, -0.0, 1e-45, 1.0]), arr(F32, 0.0), arr(F32, [2.0, 3.0, 4.0, 5.0]))
    xc = arr(F32, [[0.5, 1.0, ulp_up(one)], [2.0, -2.0, 2.5]])
    c.grad("per_channel", "SPEC 3: the mask broadcasts x against amax (2,1)", xc,
           arr(F32, [[1.0], [2.0]]), arr(F32, np.arange(1, 7), (2, 3)))
    # bf16[n] <= f32[] rounds the float32 amax to bf16 first: 1.005 -> 1.0078125.
    c.grad("bf16_amax_rounded_for_compare", "SPEC 3 under PyTorch promotion: |bf16 x| <= f32[] "
           "amax compares in bf16, so x = 1.0078125 > 1.005 still passes",
           arr(BF16, [1.0, 1.0078125, 1.015625, -1.0078125]), arr(F32, 1.005))
    c.grad("fp16_amax_rounded_for_compare", "SPEC 3 under PyTorch promotion: fp16 x against a "
           "0-d f32 amax compares in fp16 (1.0006 -> 1.000977)",
           arr(F16, [1.0, 1.0009765625, 1.001953125]), arr(F32, 1.0006))
    c.grad("bf16_nd_amax_compare_in_f32", "SPEC 3: |bf16 x| <= f32[n] amax compares in float32; "
           "the float32 gradient is cast to bf16", arr(BF16, [[1.0, 1.0078125], [0.5, 1.0]]),
           arr(F32, [1.005, 1.005]), arr(F32, [[0.1, 0.2], [0.3, 0.4]]))
    c.grad("fp64", "SPEC 3 in float64", arr(F64, [1.0, np.nextafter(1.0, 2.0), -0.5]), one,
           arr(F64, [0.1, 0.2, 0.3]))


def _descriptors(c: _Cases):
    c.topic = "descriptor"
    d = c.descriptor
    d("defaults", "SPEC 1.5/1.7/1.8: every default")
    d("num_bits_bool", "SPEC 1.1: bool is an int, accepted", num_bits=True)
    d("num_bits_numpy_int64", "SPEC 1.1: numpy.int64 is not an int -> TypeError",
      num_bits=np.int64(8))
    d("num_bits_float", "SPEC 1.1: a float -> TypeError", num_bits=8.0)
    d("num_bits_str", "SPEC 1.1: a str -> TypeError", num_bits="8")
    d("num_bits_negative", "SPEC 1.2: num_bits < 0 -> ValueError", num_bits=-1)
    d("num_bits_zero", "SPEC 1.3: 0 is accepted, with an error logged", num_bits=0)
    d("num_bits_16", "SPEC 1: any non-negative int", num_bits=16)
    d("order_num_bits_before_name", "SPEC 1 order: rule 2 (ValueError) before rule 4",
      num_bits=-1, name=3)
    d("order_num_bits_before_learn_amax", "SPEC 1 order: rule 2 before rule 6",
      num_bits=-1, learn_amax=True, axis=0)
    d("order_num_bits_before_unused", "SPEC 1 order: rule 2 before rule 9", num_bits=-1, foo=1)
    d("name_int", "SPEC 1.4: name neither str nor None -> TypeError", name=3)
    d("name_str", "SPEC 1.4: a str name is stored", name="weight")
    d("fake_quant_false", "SPEC 1.5: fake_quant stored", fake_quant=False)
    d("axis_int", "SPEC 1.5: axis stored as given", axis=0)
    d("axis_tuple", "SPEC 1.5: axis tuple stored as given", axis=(0, 2))
    d("axis_negative", "SPEC 1.5: negative axes are stored as given", axis=-1)
    d("learn_amax_with_axis", "SPEC 1.6: learn_amax and axis -> TypeError", learn_amax=True,
      axis=0)
    d("learn_amax_with_axis_zero_tuple", "SPEC 1.6: 'axis is not None', not truthiness",
      learn_amax=True, axis=(0,))
    d("learn_amax_alone", "SPEC 1.6: learn_amax without axis is fine", learn_amax=True)
    d("learn_amax_with_axis_before_amax", "SPEC 1 order: rule 6 before rule 7 (both TypeError)",
      learn_amax=True, axis=0, amax=1)
    d("amax_float", "SPEC 1.7: a float amax becomes a 0-d float32 array", amax=0.1)
    d("amax_numpy_float64", "SPEC 1.7: numpy.float64 is a float subclass: accepted",
      amax=np.float64(2.5))
    d("amax_numpy_float32", "SPEC 1.7: numpy.float32 is not a float -> TypeError",
      amax=np.float32(2.5))
    d("amax_int", "SPEC 1.7: an int amax -> TypeError", amax=1)
    d("amax_tuple", "SPEC 1.7: a tuple amax -> TypeError", amax=(1.0, 2.0))
    d("amax_list", "SPEC 1.7: a list becomes a float32 array", amax=[1.0, 0.1, 3.0])
    d("amax_list_of_ints", "SPEC 1.7: a list of ints is a list: accepted, float32", amax=[1, 2])
    d("amax_ndarray_float64", "SPEC 1.7: an ndarray is rounded to float32",
      amax=arr(F64, [[0.1], [1 / 3]]))
    d("amax_ndarray_float16", "SPEC 1.7: an fp16 ndarray widens to float32",
      amax=arr(F16, [0.1, 65504.0]))
    d("amax_negative_stored", "SPEC 1.7: the descriptor does not check the sign", amax=-1.0)
    d("range_options", "SPEC 1.8: unsigned, narrow_range, scale_amax, calib_method stored",
      unsigned=True, narrow_range=True, scale_amax=2.0, calib_method="histogram")
    d("unused_key", "SPEC 1.9: a key left over -> TypeError('Unused keys: ...')", foo=1)
    d("unused_key_after_valid", "SPEC 1.9: checked last, after every valid key",
      axis=0, amax=1.0, bar=None)
    for name in sorted(PREDEFINED):
        c._add(f"predefined_{name}", "SPEC 1 predefined descriptors, as the article lists them",
               "predefined_descriptor", {}, {"name": name})


# --- topic: NaN and empty tensors in the whole-tensor tests (SPEC 2.1, 2.3, 2.5, 2.7) ---


def _nan_rules(c: _Cases):
    """``min()`` propagates NaN and raises on an empty tensor; every whole-tensor test
    of SPEC section 2 goes through it."""
    c.topic = "nan"
    # SPEC 2.1: inputs.min() is NaN, NaN < 0 is false: no TypeError; negatives clamp to 0.
    rule1 = ("SPEC 2.1: unsigned inputs holding a NaN never raise, even with negative "
             "elements (inputs.min() is NaN); the negatives clamp to 0")
    c.quant("nan_unsigned_negative_fp16", rule1 + "; min taken in fp16, before the cast",
            arr(F16, [-2.0**-24, NAN, 0.5, -65504.0]), arr(F32, 1.0), unsigned=True)
    c.quant("nan_unsigned_negative_bf16", rule1, arr(BF16, [-1.0, 0.25, NAN]), arr(F32, 1.0),
            unsigned=True)
    c.quant("nan_unsigned_negative_inf", rule1 + "; -inf too", arr(F64, [-INF, NAN, 3.0]),
            arr(F32, 2.0), unsigned=True)
    c.quant("nan_unsigned_negative_other_channel", rule1 + "; one min over the whole tensor, "
            "not per channel", arr(F32, [[NAN, 0.5], [-0.5, 1.0]]), arr(F32, [[1.0], [2.0]]),
            unsigned=True)
    c.quant("nan_unsigned_negative_fp16_amax", rule1 + "; with a per-channel fp16 amax",
            arr(F32, [[-3.0, 1.0], [NAN, 0.75]]), arr(F16, [[4.0], [1.0]]), unsigned=True)
    # SPEC 2.1 / 2.3: the min of an empty tensor raises RuntimeError.
    c.quant("empty_inputs_unsigned_fp16", "SPEC 2.1: inputs.min() of an empty fp16 tensor "
            "raises RuntimeError", np.zeros((3, 0), F16), arr(F32, 1.0), unsigned=True)
    c.quant("empty_amax", "SPEC 2.3: amax.min() of an empty amax raises RuntimeError",
            arr(F32, [0.5, -0.5]), np.zeros((0,), F32))
    c.quant("empty_amax_empty_inputs", "SPEC 2.3: an empty amax raises RuntimeError even "
            "with empty inputs", np.zeros((0,), F32), np.zeros((0,), F32))
    c.quant("empty_inputs_unsigned_before_negative_amax", "SPEC 2.1 before 2.3: the empty "
            "inputs' min() raises RuntimeError before the negative amax is seen",
            np.zeros((0,), F32), arr(F32, -1.0), unsigned=True)
    # SPEC 2.3: amax.min() is NaN, NaN < 0 is false: no ValueError; a negative channel
    # then has a negative scale (its codes change sign).
    rule3 = ("SPEC 2.3: an amax holding a NaN never raises, even with a negative channel, "
             "whose scale is then negative")
    xr = arr(F32, [1.0, -1.0, 0.0, -0.0, NAN, INF, -INF, 0.3])
    rows3 = np.stack([xr, xr, xr])
    c.quant("nan_amax_negative_channel", rule3, rows3, arr(F32, [[NAN], [-1.0], [2.0]]))
    c.quant("nan_amax_negative_inf_channel", rule3 + "; -inf gives scale -0 (x * -0)",
            xr.reshape(1, -1).repeat(2, 0), arr(F32, [[-INF], [NAN]]))
    c.quant("nan_amax_negative_channel_fp16_amax", rule3 + "; fp16 amax upcast first",
            rows3[:2], arr(F16, [[-0.5], [NAN]]))
    c.quant("nan_amax_negative_channel_bf16", rule3 + "; bf16 inputs and amax",
            arr(BF16, [[1.0, -0.5, NAN], [0.25, 2.0, -1.0]]), arr(BF16, [[NAN], [-1.0]]))
    c.quant("nan_amax_negative_tiny_channel", rule3 + "; -2**-24 is not masked (the gate is "
            "off)", xr.reshape(1, -1).repeat(2, 0), arr(F32, [[NAN], [-EPS]]))
    # SPEC 2.5 / 2.7: the zero-amax masking runs only if amax.min() <= 2**-24; with a NaN
    # in amax that min is NaN, so a zero channel keeps max_bound / 0 = inf: codes +-bound
    # for nonzero x, NaN for x = 0, and inf returned as its scale (not 1).
    rule5 = ("SPEC 2.5/2.7: amax holds a NaN, so amax.min() <= 2**-24 is false: no masking; "
             "the zero channel keeps scale inf (codes +-bound, NaN for x = 0) and inf is "
             "returned as its scale")
    c.quant("nan_amax_zero_channel", rule5, rows3, arr(F32, [[0.0], [NAN], [2.0]]))
    c.quant("nan_amax_zero_channel_trailing", rule5 + "; amax (3,) on the last axis",
            arr(F32, [[1.0, -1.0, 0.5], [0.0, NAN, -0.25]]), arr(F32, [0.0, 1.0, NAN]))
    c.quant("nan_amax_negative_zero_channel", rule5 + "; -0.0 gives scale -inf",
            rows3[:2], arr(F32, [[-0.0], [NAN]]))
    c.quant("nan_amax_tiny_channel", rule5 + "; amax 2**-24 gives scale 127 * 2**24",
            rows3[:2], arr(F32, [[EPS], [NAN]]))
    c.quant("nan_amax_subnormal_channel", rule5 + "; a subnormal amax overflows the scale",
            rows3[:2], arr(F32, [[NAN], [1e-40]]))
    c.quant("nan_amax_zero_channel_fp16_inputs", rule5 + "; fp16 codes, and no FP16 scale "
            "error (scale.max() is NaN)", arr(F16, [[1.0, -1.0, 0.0], [0.5, NAN, -2.0]]),
            arr(F32, [[0.0], [NAN]]))
    c.quant("nan_amax_zero_channel_bf16_amax", rule5 + "; bf16 amax",
            rows3[:2], arr(BF16, [[NAN], [0.0]]))
    c.quant("nan_amax_zero_channel_fp64", rule5 + "; in float64",
            arr(F64, [[1.0, -0.0, 5e-324], [2.0, 0.0, -1.0]]), arr(F64, [[0.0], [NAN]]))
    c.quant("nan_amax_zero_channel_unsigned", rule5 + "; unsigned, scale 255 / 0",
            np.abs(rows3[:2]), arr(F32, [[0.0], [NAN]]), unsigned=True)
    c.quant("zero_channel_without_nan_is_masked", "SPEC 2.5/2.7: the same zero channel is "
            "masked once no channel is NaN (amax.min() = 0 <= 2**-24): codes +-0, scale 1",
            rows3[:2], arr(F32, [[0.0], [3.0]]))
    c.grad("nan_amax_zero_channel", "SPEC 3: the STE is elementwise |x| <= amax (no gate): "
           "the zero channel passes +-0 only, the NaN channel nothing",
           rows3[:2], arr(F32, [[0.0], [NAN]]))


TOPICS = (_article, _dtypes, _ranges, _rounding, _special, _per_channel, _gradient,
          _descriptors, _nan_rules,
          *SECTION6_TOPICS)  # SPEC section 6: vectors/cases_section6.py


def all_cases() -> list[Case]:
    """Every golden case, with expected results from the reference."""
    c = _Cases()
    for topic in TOPICS:
        topic(c)
    return c.cases
