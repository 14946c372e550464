"""Golden cases for SPEC section 6: affine, FP8 E4M3, the legacy name, descriptor methods.

Topic functions in the style of ``vectors.cases`` (which aggregates them):
each names its inputs and arguments; the reference supplies the results.
Where a case exists to tell two formulas apart, its inputs are selected by
running both formulas here and keeping the elements where they differ (the
selection is code, the expected values still come from the reference).
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from reference import BFLOAT16

__all__ = ["DESCRIPTOR_KWARGS", "DESCRIPTOR_YAML", "SECTION6_TOPICS"]

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
BF16 = BFLOAT16
INF, NAN = math.inf, math.nan


def arr(dtype, values, shape=None) -> np.ndarray:
    with np.errstate(over="ignore"):
        a = np.array(np.asarray(values, dtype=np.float64), dtype=dtype)
    return a.reshape(shape) if shape is not None else a


def neighbours(a) -> np.ndarray:
    """``a`` and one ulp either side (float32 / float64 / float16)."""
    return np.concatenate([np.nextafter(a, np.array(-INF, a.dtype)), a,
                           np.nextafter(a, np.array(INF, a.dtype))])


def _affine(c):
    c.topic = "affine"
    rule = "SPEC 6.1"

    def quant(cid, why, x, low, high, num_bits=8, *, arguments=None):
        args = {"num_bits": num_bits} if arguments is None else arguments
        c._add(f"affine_{cid}", f"{rule}: {why}", "fake_affine_tensor_quant",
               {"inputs": x, "min_range": low, "max_range": high}, args)

    def grad(cid, why, x, low, high, grad_output, num_bits=8):
        c._add(f"affine_{cid}_grad", f"{rule} STE: {why}", "affine_gradient",
               {"inputs": x, "min_range": low, "max_range": high, "grad_output": grad_output},
               {"num_bits": num_bits})

    x = arr(F32, [-1, -0.3, 0, 0.2, 0.51, 2.0])
    quant("spec_example", "x = [-1, -0.3, 0, 0.2, 0.51, 2.0], min -0.5, max 1.0, 8 bits -> "
          "[-0.5, -0.3, 0.0, 0.2, 0.5118, 1.0]", x, arr(F32, -0.5), arr(F32, 1.0))
    quant("spec_example_defaults", "num_bits omitted (default 8)", x, arr(F32, -0.5),
          arr(F32, 1.0), arguments={})
    grad("spec_example", "[0, 1, 1, 1, 1, 0]", x, arr(F32, -0.5), arr(F32, 1.0),
         arr(F32, [1, 1, 1, 1, 1, 1]))
    quant("integers_recovered", "NVIDIA's test: integers in [-128, 127] come back exactly "
          "(step 1)", arr(F32, np.arange(-128, 128)), arr(F32, -128.0), arr(F32, 127.0))
    # Inputs where x / step and x * (1 / step) round to different codes.
    low, high = arr(F32, -0.7), arr(F32, 0.9)
    step = (high - low) / F32.type(255)
    near = neighbours(arr(F32, (np.arange(-140, 140) + 0.5) * float(step)))
    differ = np.rint(near / step) != np.rint(near * (F32.type(1) / step))
    quant("divides_by_step", "quantize divides by the step; these inputs round to another code "
          "when multiplied by its reciprocal", near[differ][:12], low, high)
    # step = 2**-4 exactly and min / step = -2.5: a tie in the zero point (to even: -2).
    quant("zero_point_tie", "quant_zero = round(min / step) - min_bound with min / step = -2.5 "
          "exactly: half to even", arr(F32, [-0.15625, -0.125, 0.0, 0.03125, 15.78125, 16.0]),
          arr(F32, -0.15625), arr(F32, -0.15625 + 255 / 16))
    ties = arr(F32, (np.arange(-3, 4) + 0.5) / 16)
    quant("input_ties", "round(x / step) half to even on exact ties (step 2**-4), one ulp "
          "either side", neighbours(ties), arr(F32, -8.0), arr(F32, -8.0 + 255 / 16))
    xb = arr(BF16, [0.3, -0.6, 1.0, 0.1, -1.5, 0.05078125, 0.7])
    quant("bf16_0d_ranges", "no upcast: bf16 inputs with 0-d float32 ranges compute and return "
          "bf16", xb, arr(F32, -1.3), arr(F32, 1.1))
    quant("bf16_1elem_ranges", "PyTorch promotion: (1,) float32 ranges make bf16 inputs "
          "float32", xb, arr(F32, [-1.3]), arr(F32, [1.1]))
    quant("fp16_not_upcast", "no upcast: fp16 inputs divide and multiply in fp16",
          arr(F16, np.linspace(-1.2, 1.2, 17)), arr(F16, -1.0), arr(F16, 1.0), 10)
    quant("fp64", "float64 throughout", arr(F64, [0.3, -0.6, 1.0, 1 / 3]), arr(F64, -1.3),
          arr(F64, 1.1))
    quant("fp16_inputs_f64_ranges", "promotion: fp16 inputs with 0-d float64 ranges stay fp16",
          arr(F16, [0.3, -0.6, 1.0]), arr(F64, -1.3), arr(F64, 1.1))
    xr = arr(F32, [-4.0, -2.0, -1.0, 0.0, 0.6, 1.0, 2.0, 3.0, NAN, INF, -INF, -0.0])
    for cid, low_v, high_v, why in (
            ("excludes_zero_positive", 0.5, 2.0, "a range above zero"),
            ("excludes_zero_negative", -3.0, -1.0, "a range below zero"),
            ("min_zero", 0.0, 2.0, "min_range 0"),
            ("min_negative_zero", -0.0, 2.0, "min_range -0.0"),
            ("max_zero", -2.0, 0.0, "max_range 0"),
            ("degenerate", 0.5, 0.5, "min == max: step 0, NaN outputs, no error"),
            ("degenerate_zero", 0.0, 0.0, "min == max == 0: 0 / 0"),
            ("reversed", 1.0, -1.0, "min > max: a negative step, no error"),
            ("nan_min", NAN, 1.0, "a NaN range, no error"),
            ("inf_max", -1.0, INF, "an infinite range: step inf"),
            ("huge_span", -3e38, 3e38, "max - min overflows float32 to inf")):
        quant(cid, why, xr, arr(F32, low_v), arr(F32, high_v))
    for bits in (0, -1, 1, 2, 16, 24, 25, 128):
        quant(f"num_bits_{bits}", f"num_bits={bits}: the same arithmetic, no argument check",
              xr, arr(F32, -1.0), arr(F32, 2.0), bits)
    quant("fp16_num_bits_17", "clamp bounds -65536 / 65535 do not fit float16: torch.clamp "
          "raises RuntimeError", arr(F16, [0.5]), arr(F32, -1.0), arr(F32, 1.0), 17)
    quant("fp32_num_bits_129", "clamp bound -2**128 does not fit float32: RuntimeError",
          arr(F32, [0.5]), arr(F32, -1.0), arr(F32, 1.0), 129)
    quant("num_bits_1024", "the article's Python 2.0**1024 raises OverflowError",
          arr(F64, [0.5]), arr(F64, -1.0), arr(F64, 1.0), 1024)
    quant("per_channel", "ranges of shape (2,1) broadcast per row (no check stops it)",
          arr(F32, [[-1.0, 0.3, 2.0], [-0.1, 0.05, 0.2]]), arr(F32, [[-1.0], [-0.1]]),
          arr(F32, [[1.0], [0.2]]), 4)
    one = np.float32(1.0)
    xg = arr(F32, [-0.5, 1.0, np.nextafter(one, F32.type(2)), np.nextafter(F32.type(-0.5),
              F32.type(-1)), 0.0, NAN, INF])
    grad("inclusive_bounds", "min <= x <= max inclusive; one ulp outside, NaN and inf get 0",
         xg, arr(F32, -0.5), arr(F32, 1.0), arr(F32, np.arange(1, 8)))
    grad("bf16_promotion", "bf16 x against 0-d float32 ranges compares in bf16 (1.005 -> "
         "1.0078125)", arr(BF16, [1.0, 1.0078125, 1.015625, -0.5, -0.50390625]),
         arr(F32, -0.501), arr(F32, 1.005), arr(BF16, [1, 2, 3, 4, 5]))
    grad("nan_range", "a NaN range compares False everywhere: gradient 0",
         arr(F32, [0.0, 1.0]), arr(F32, NAN), arr(F32, 2.0), arr(F32, [1, 2]))
    grad("per_channel", "the mask broadcasts (2,1) ranges", arr(F32, [[-1.0, 0.5], [0.3, 0.1]]),
         arr(F32, [[-1.0], [-0.1]]), arr(F32, [[0.4], [0.2]]), arr(F32, [[1, 2], [3, 4]]))


def _e4m3_scale(amax):
    """``448 / amax`` as PyTorch evaluates it: ``amax.reciprocal() * 448`` (float32 here)."""
    return (F32.type(1) / amax) * F32.type(448)  # both factors float32, rounded each time


def _fp8(c):
    c.topic = "fp8"
    rule = "SPEC 6.3"

    def quant(cid, why, x, amax=None, **arguments):
        inputs = {"inputs": x} if amax is None else {"inputs": x, "amax": amax}
        c._add(f"e4m3_{cid}", f"{rule}: {why}", "scaled_e4m3", inputs, arguments)

    def grad(cid, why, x, grad_output, amax=None):
        inputs = {"inputs": x, "grad_output": grad_output}
        if amax is not None:
            inputs["amax"] = amax
        c._add(f"e4m3_{cid}_grad", f"{rule} STE: {why}", "e4m3_gradient", inputs, {})

    x = arr(F32, np.linspace(-2.0, 1.8, 20), (4, 5))
    quant("nvidia_unscaled", "NVIDIA's TestScaledE4M3 input (-2.0 to 1.8 by 0.2), amax None",
          x)
    quant("nvidia_scaled", "the same input with amax 2 (scale 224)", x, arr(F32, 2.0))
    quant("saturation", "finite overflow and inf saturate to +-448 (ml_dtypes would give NaN "
          "from 464.5 up); the tie 464 goes to even, 448; NaN kept",
          arr(F32, [448, 463.99, 464, 464.01, 480, 1e4, 3e38, INF, -INF, -464.01, NAN]))
    grid = np.unique(np.abs(np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e4m3fn)
                            .astype(np.float64)))
    grid = grid[np.isfinite(grid)]
    mids = arr(F32, (grid[1:] + grid[:-1]) / 2)
    quant("ties_to_even", "every midpoint between E4M3 neighbours rounds to the even one",
          np.concatenate([mids, -mids]))
    quant("ties_one_ulp", "one float32 ulp either side of every midpoint", np.concatenate(
        [np.nextafter(mids, F32.type(0)), np.nextafter(mids, F32.type(INF))]))
    quant("subnormals", "2**-10 (half the smallest subnormal) to even 0, 3 * 2**-11, 2**-9, "
          "2**-6 (the smallest normal) and their neighbours, both signs",
          neighbours(arr(F32, [2.0**-10, 3 * 2.0**-11, 2.0**-9, 2.0**-6, -(2.0**-10)])))
    quant("zero_mask", "|x| < 2**-24 becomes +0 (not -0); 2**-24 itself is not masked",
          arr(F32, [-1e-8, -0.0, 0.0, 2.0**-24, -(2.0**-24), 2.0**-25, -1e-30, 1e-45]))
    quant("zero_mask_scaled", "the mask is on the unscaled inputs: with amax 1e-6 (scale "
          "4.48e8) tiny inputs would otherwise saturate", arr(F32, [5e-8, -5e-8, 6e-8, 1e-7]),
          arr(F32, 1e-6))
    amax = arr(F32, 3.0)
    candidates = arr(F32, np.linspace(0.01, 3.0, 97))
    outputs = {}
    for name, scale in (("reciprocal", _e4m3_scale(amax)), ("divided", F32.type(448) / amax)):
        q = (candidates * scale).astype(ml_dtypes.float8_e4m3fn).astype(F32)
        outputs[name] = q / scale
    quant("scale_is_reciprocal_times_448", "448 / amax is amax.reciprocal() * 448 in PyTorch "
          "(two roundings, one ulp off the correctly rounded 448 / 3); these outputs show it",
          candidates[outputs["reciprocal"] != outputs["divided"]][:12], amax)
    xs = arr(F32, [1.0, -3.0, 0.0, INF, NAN, 2.0**-30])
    quant("amax_zero", "amax 0: scale inf, outputs +-0 (448 / inf), 0 * inf masked", xs,
          arr(F32, 0.0))
    quant("amax_inf", "amax inf: scale 0, +-0 / 0 is NaN", xs, arr(F32, INF))
    quant("amax_nan", "amax NaN: NaN outputs except the masked zeros", xs, arr(F32, NAN))
    quant("amax_negative", "a negative amax is not checked: the sign cancels", xs,
          arr(F32, -2.0))
    xh = arr(F16, [0.3, -0.6, 1.0, 3.14, 100.0, 65504.0, 6e-8])
    quant("fp16_inputs_f32_amax", "fp16 inputs times a 0-d float32 scale stay fp16", xh,
          arr(F32, 3.0))
    quant("fp16_amax", "an fp16 amax: reciprocal and scale in fp16", xh, arr(F16, 0.1))
    quant("fp16_no_amax", "fp16 inputs, no amax", xh)
    xb = arr(BF16, [0.3, -0.6, 1.0, 3.140625, 100.0, 1e30])
    quant("bf16_0d_amax", "bf16 inputs with a 0-d float32 amax stay bf16", xb, arr(F32, 3.0))
    quant("bf16_1elem_amax", "promotion: a (1,) float32 amax makes bf16 inputs float32", xb,
          arr(F32, [3.0]))
    quant("fp64_double_rounding", "float64 goes to float32 first: 1.0625 + 2**-30 becomes the "
          "tie 1.0625 and rounds to 1.0 (directly it would be 1.125)",
          arr(F64, [1.0625 + 2.0**-30, 1.0625 - 2.0**-30, 1.0625]))
    quant("per_channel", "amax (2,1) scales each row", arr(F32, [[0.3, 1.0, 2.0], [50, 100, 7]]),
          arr(F32, [[1.0], [100.0]]))
    quant("amax_widens_inputs", "an amax that widens the inputs: the zero mask (3,) cannot "
          "index the (2, 3) outputs, IndexError", arr(F32, [0.5, 1.0, 2.0]),
          arr(F32, [[1.0], [2.0]]))
    quant("amax_widens_inputs_rows_zeroed", "the zero mask (2,) indexes the LEADING dimension "
          "of the (2, 2) outputs: the row of a tiny input is zeroed whole",
          arr(F32, [1e-9, 1.0]), arr(F32, [[1.0], [2.0]]))
    quant("e5m2_not_implemented", "E=5, M=2 -> NotImplementedError", arr(F32, [1.0]), E=5, M=2)
    quant("e4m2_not_implemented", "E=4, M=2 -> NotImplementedError", arr(F32, [1.0]),
          arr(F32, 1.0), E=4, M=2)
    quant("e4m3_as_floats", "E=4.0, M=3.0 compare equal to 4 and 3: accepted", arr(F32, [1.1]),
          E=4.0, M=3.0)
    grad("amax_none_448", "no amax: the bound is 448, inclusive", arr(F32, [448.0, 448.00003,
         -448.0, 500.0, NAN, 0.0]), arr(F32, [1, 2, 3, 4, 5, 6]))
    grad("amax_inclusive", "|x| <= amax inclusive", arr(F32, [2.0, 2.0000002, -2.0, 1.0]),
         arr(F32, [1, 2, 3, 4]), arr(F32, 2.0))
    grad("f64_amax_to_f32", "the bound is torch.tensor(amax, dtype=float32): 1 + 2**-30 "
         "becomes 1", arr(F64, [1.0 + 2.0**-40, 1.0]), arr(F64, [1, 2]),
         arr(F64, 1.0 + 2.0**-30))
    grad("bf16_compare", "bf16 |x| against a 0-d float32 bound compares in bf16",
         arr(BF16, [1.0, 1.0078125, 1.015625]), arr(BF16, [1, 2, 3]), arr(F32, 1.005))


def _legacy(c):
    c.topic = "legacy"
    rule = "SPEC 6.3 legacy_fake_tensor_quant = the article's pure path"
    x = np.array([0x3F7B51E2, 0x3F612DE5, 0x3F7DFD1D, 0x3EEC1102, 0x3DAA6D20, 0x3E36B6A4,
                  0x3EBC1FFC, 0x3F11517E, 0x3EACDACA, 0x3E590888], dtype=np.uint32).view(F32)
    amax = np.max(np.abs(x))
    c._add("legacy_article_seed12345", f"{rule}: the article's example", "legacy_fake_tensor_quant",
           {"inputs": x, "amax": amax}, {})
    c._add("legacy_article_seed12345_grad", f"{rule}: the same STE", "legacy_gradient",
           {"inputs": x, "amax": amax, "grad_output": arr(F32, np.arange(1, 11) / 8)}, {})
    xs = arr(F32, [1.0, INF, NAN, -3.0, 2.0**-24])
    c._add("legacy_zero_amax", f"{rule}: amax 0 gives +-0 and NaN", "legacy_fake_tensor_quant",
           {"inputs": xs, "amax": arr(F32, 0.0)}, {"num_bits": 8, "unsigned": False,
                                                   "narrow_range": True})
    c._add("legacy_full_range_bf16", f"{rule}: bf16 not upcast, full range",
           "legacy_fake_tensor_quant", {"inputs": arr(BF16, [-1.0, -1.003, 0.3, 1.5]),
                                        "amax": arr(F32, 1.3)},
           {"num_bits": 8, "unsigned": False, "narrow_range": False})
    c._add("legacy_per_channel_grad", f"{rule}: per-channel STE", "legacy_gradient",
           {"inputs": arr(F32, [[0.5, 1.0, 1.5], [2.0, -2.0, 2.5]]),
            "amax": arr(F32, [[1.0], [2.0]]), "grad_output": arr(F32, np.arange(1, 7), (2, 3))},
           {"num_bits": 8, "unsigned": False, "narrow_range": True})


#: Descriptor arguments with every SPEC 6.2 quirk (also checked on every run by the
#: descriptor_serialization property).
DESCRIPTOR_KWARGS = [
    {},
    {"num_bits": 4, "narrow_range": True, "calib_method": "histogram", "axis": (0,),
     "unsigned": True, "amax": [1.0, 2.0], "name": "w"},
    {"fake_quant": False, "axis": (1, 2)},
    {"axis": 0},  # list(0): to_yaml raises TypeError (the predefined per-channel descriptors)
    {"axis": [0, 1]},  # a list comes back a tuple: not == after a round trip
    {"amax": [1.5]},  # one element compares fine
    {"amax": 2.5, "learn_amax": True, "scale_amax": 0.5},
    {"narrow_range": True},  # lost on the way
    {"calib_method": "histogram"},  # lost on the way
    {"name": "yes", "scale_amax": 1e-5, "amax": NAN},  # PyYAML quotes 'yes'; .nan
    {"name": "{_num_bits}"},  # a format field in str()
    {"scale_amax": 0.0, "unsigned": 1, "fake_quant": 0},  # falsy, not None
]

#: YAML documents for from_yaml, each pinning one behaviour.
DESCRIPTOR_YAML = [
    "amax:\n- 1.0\n- 2.0\naxis:\n- 0\nname: w\nnum_bits: 4\nunsigned: true\n",
    "num_bits: 8\nname: null\n",
    "num_bits: 4\nnarrow_range: true\ncalib_method: histogram\n",
    "axis: 0\n",  # tuple(0): TypeError
    "axis: [1, 2]\nlearn_amax: true\n",  # the constructor's rule 1.6: TypeError
    "amax: 1\n",  # an int amax: TypeError (SPEC 1.7)
    "amax: [1, 2]\n",  # a list of ints is accepted
    "num_bits: 8.0\n",  # a float num_bits: TypeError
    "foo: 1\n",  # Unused keys
    "",  # safe_load gives None: 'axis' in None
    "- 1\n- 2\n",  # a list: cls(**list) is a TypeError
    "8\n",
    "num_bits: !!python/tuple [4, 3]\n",  # safe_load refuses the tag
    "{num_bits: 4, axis: [0], amax: .nan}\n",
    "num_bits: 4\nnum_bits: 5\n",  # PyYAML keeps the last
    "name: 'yes'\nunsigned: yes\n",  # YAML 1.1: yes is true
]


def _descriptor_methods(c):
    c.topic = "descriptor_methods"
    rule = "SPEC 6.2"
    for i, kwargs in enumerate(DESCRIPTOR_KWARGS):
        arguments = {"kwargs": kwargs}
        if kwargs:
            arguments["other"] = DESCRIPTOR_KWARGS[1]
        c._add(f"descriptor_methods_{i:02d}", f"{rule}: ==, dict(), to_yaml(), from_yaml(), str(), hash() "
               f"of QuantDescriptor(**{kwargs!r})", "descriptor_methods", {}, arguments)
    for i, text in enumerate(DESCRIPTOR_YAML):
        c._add(f"descriptor_from_yaml_{i:02d}", f"{rule}: QuantDescriptor.from_yaml({text!r})",
               "descriptor_from_yaml", {}, {"yaml": text})


SECTION6_TOPICS = (_affine, _fp8, _legacy, _descriptor_methods)
