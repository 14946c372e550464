"""Unit tests of the NumPy reference, rule by rule (SPEC.md sections 1-3).

The golden vectors check whole calls; these tests pin the pieces: each
descriptor rule, ``compute_amax``, ``bounds``, the emulation of PyTorch's
promotion and 16-bit arithmetic, and the messages bad input gets. Where torch
is installed, the promotion emulation is also compared with torch itself.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys

import numpy as np
import pytest

import reference
from reference import BFLOAT16, EPSILON, QuantDescriptor, bounds, compute_amax, dtype_name
from reference import _torch_ops as ops
from reference._xp import promote_types, result_type

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
# Overflow and NaN warnings are part of the semantics under test (fp16 scale -> inf, NaN amax).
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DTYPES = {"float16": F16, "bfloat16": BFLOAT16, "float32": F32, "float64": F64}


def bits_of(a):
    a = np.asarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]).tolist()


# --- SPEC 1: descriptor rules, one by one ------------------------------------


@pytest.mark.parametrize("num_bits", [8.0, "8", np.int64(8), None], ids=repr)
def test_descriptor_num_bits_must_be_int(num_bits):  # SPEC 1.1
    with pytest.raises(TypeError, match="num_bits"):
        QuantDescriptor(num_bits=num_bits)


def test_descriptor_num_bits_bool_is_an_int():  # SPEC 1.1
    assert QuantDescriptor(num_bits=True).num_bits is True


def test_descriptor_num_bits_negative():  # SPEC 1.2
    with pytest.raises(ValueError, match="num_bits"):
        QuantDescriptor(num_bits=-1)


def test_descriptor_num_bits_zero_logs_an_error(caplog):  # SPEC 1.3
    with caplog.at_level(logging.ERROR):
        assert QuantDescriptor(num_bits=0).num_bits == 0
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_descriptor_other_widths_log_nothing(caplog):
    with caplog.at_level(logging.DEBUG):
        QuantDescriptor(num_bits=4)
    assert not caplog.records


@pytest.mark.parametrize("name", [3, b"w", ["w"]], ids=repr)
def test_descriptor_name_must_be_str_or_none(name):  # SPEC 1.4
    with pytest.raises(TypeError, match="name"):
        QuantDescriptor(name=name)


def test_descriptor_defaults():  # SPEC 1.5, 1.7, 1.8
    d = QuantDescriptor()
    assert (d.num_bits, d.name, d.fake_quant, d.axis, d.learn_amax, d.amax) == (
        8, None, True, None, False, None)
    assert (d.scale_amax, d.calib_method, d.unsigned, d.narrow_range) == (
        None, "max", False, False)


@pytest.mark.parametrize("axis", [0, (0,), (0, 1), -1], ids=repr)
def test_descriptor_learn_amax_with_axis(axis):  # SPEC 1.6: "is not None", so axis=0 too
    with pytest.raises(TypeError, match="axis"):
        QuantDescriptor(learn_amax=True, axis=axis)


def test_descriptor_learn_amax_without_axis():  # SPEC 1.6
    assert QuantDescriptor(learn_amax=True).learn_amax is True


@pytest.mark.parametrize("amax", [1, np.float32(1.0), (1.0,), "1.0", np.int64(1)], ids=repr)
def test_descriptor_amax_type(amax):  # SPEC 1.7
    with pytest.raises(TypeError, match="amax"):
        QuantDescriptor(amax=amax)


@pytest.mark.parametrize("amax, shape", [
    (0.1, ()), (np.float64(0.1), ()), ([0.1, 2.0], (2,)), ([1, 2], (2,)),
    (np.array([[0.1], [1 / 3]]), (2, 1)), (np.array([0.1], np.float16), (1,)),
], ids=["float", "numpy.float64", "list", "list_of_ints", "ndarray_f64", "ndarray_f16"])
def test_descriptor_amax_stored_as_float32_array(amax, shape):  # SPEC 1.7
    stored = QuantDescriptor(amax=amax).amax
    assert isinstance(stored, np.ndarray) and stored.dtype == F32 and stored.shape == shape
    np.testing.assert_array_equal(stored, np.array(amax, dtype=F32))


def test_descriptor_unused_keys():  # SPEC 1.9
    with pytest.raises(TypeError, match="Unused keys"):
        QuantDescriptor(axis=0, foo=1)


@pytest.mark.parametrize("kwargs, error", [
    (dict(num_bits=-1, name=3), ValueError),          # 1.2 before 1.4
    (dict(num_bits=-1, learn_amax=True, axis=0), ValueError),  # 1.2 before 1.6
    (dict(num_bits=-1, foo=1), ValueError),           # 1.2 before 1.9
    (dict(name=3, foo=1), TypeError),                 # 1.4 before 1.9
], ids=["bits-name", "bits-learn_amax", "bits-unused", "name-unused"])
def test_descriptor_rule_order(kwargs, error):
    with pytest.raises(error) as info:
        QuantDescriptor(**kwargs)
    assert "Unused keys" not in str(info.value)


def test_descriptor_properties_are_read_only():
    d = QuantDescriptor()
    with pytest.raises(AttributeError):
        d.num_bits = 4


def test_descriptor_alias():
    assert reference.QuantDescriptor is reference.ScaledQuantDescriptor


def test_predefined_descriptors():
    per_channel = {n for n in reference.PREDEFINED if "WEIGHT" in n}
    assert set(reference.PREDEFINED) == per_channel | {
        "QUANT_DESC_8BIT_PER_TENSOR", "QUANT_DESC_UNSIGNED_8BIT_PER_TENSOR"}
    assert len(per_channel) == 7
    for name in per_channel:  # the article's axis=(0), ConvTranspose included
        assert reference.PREDEFINED[name].axis == 0, name
    assert reference.QUANT_DESC_UNSIGNED_8BIT_PER_TENSOR.unsigned is True
    assert reference.QUANT_DESC_8BIT_PER_TENSOR.axis is None
    assert all(d.num_bits == 8 for d in reference.PREDEFINED.values())


# --- compute_amax ------------------------------------------------------------


def test_compute_amax_per_tensor():
    x = np.array([[0.5, -3.0], [2.0, 1.0]], F32)
    amax = compute_amax(x)
    assert amax.shape == () and amax.dtype == F32 and float(amax) == 3.0


@pytest.mark.parametrize("axis, shape", [
    (0, (4, 1, 1, 1)), ((0,), (4, 1, 1, 1)), (1, (1, 3, 1, 1)), (-1, (1, 1, 1, 2)),
    ((0, 1), (4, 3, 1, 1)), ((0, -1), (4, 1, 1, 2)),
], ids=repr)
def test_compute_amax_keeps_named_axes(axis, shape):  # SPEC 1: axis KEEPS its amax
    x = np.arange(-12.0, 12.0, dtype=F32).reshape(4, 3, 1, 2) * 0.5
    amax = compute_amax(x, axis)
    assert amax.shape == shape
    kept = {a % 4 for a in ((axis,) if isinstance(axis, int) else axis)}
    reduced = tuple(i for i in range(4) if i not in kept)
    np.testing.assert_array_equal(amax, np.max(np.abs(x), axis=reduced, keepdims=True))


def test_compute_amax_keeps_dtype_and_propagates_nan():
    x = np.array([[1.0, np.nan], [2.0, -3.0]], BFLOAT16)
    amax = compute_amax(x, 0)
    assert amax.dtype == BFLOAT16
    assert np.isnan(float(amax[0, 0])) and float(amax[1, 0]) == 3.0


def test_compute_amax_bad_axis():
    x = np.zeros((2, 3), F32)
    with pytest.raises(ValueError, match=r"out of range.*\[-2, 2\)"):
        compute_amax(x, 2)
    with pytest.raises(TypeError, match="axis must be None, an int or a tuple"):
        compute_amax(x, 0.5)
    with pytest.raises(ValueError, match="non-empty"):
        compute_amax(np.zeros((0, 3), F32))


# --- SPEC 2.4: bounds --------------------------------------------------------


@pytest.mark.parametrize("num_bits, unsigned, narrow, expected", [
    (8, False, True, (-127.0, 127.0)),
    (8, False, False, (-128.0, 127.0)),
    (8, True, True, (0, 255.0)),
    (8, True, False, (0, 255.0)),
    (4, False, True, (-7.0, 7.0)),
    (2, False, False, (-2.0, 1.0)),
    (1, False, True, (-0.0, 0.0)),
    (1, True, True, (0, 1.0)),
    (0, False, True, (0.5, -0.5)),     # min > max: clamp gives max
    (0, False, False, (-0.5, -0.5)),
    (0, True, True, (0, 0.0)),
    (16, False, True, (-32767.0, 32767.0)),
    (16, True, True, (0, 65535.0)),
    (32, False, True, (-2.0**31, 2.0**31)),  # 2**31 - 1 rounds to float32
], ids=lambda v: repr(v) if not isinstance(v, tuple) else None)
def test_bounds(num_bits, unsigned, narrow, expected):
    low, high = bounds(num_bits, unsigned, narrow)
    assert isinstance(high, np.float32)
    assert (float(low), float(high)) == expected
    assert np.signbit(low) == np.signbit(expected[0])


def test_epsilon_is_fp16_smallest_subnormal():
    assert EPSILON == 2.0**-24 == float(np.nextafter(np.float16(0), np.float16(1)))


# --- the promotion emulation (PyTorch CPU rules) -----------------------------


@pytest.mark.parametrize("a, b, expected", [
    ("float16", "bfloat16", "float32"), ("bfloat16", "float32", "float32"),
    ("float16", "float64", "float64"), ("bfloat16", "bfloat16", "bfloat16"),
])
def test_promote_types(a, b, expected):
    assert promote_types(DTYPES[a], DTYPES[b]) == DTYPES[expected]
    assert promote_types(DTYPES[b], DTYPES[a]) == DTYPES[expected]


def test_result_type_dimensioned_tensors_win():
    bf = np.zeros(3, BFLOAT16)
    assert result_type(bf, np.zeros((), F32)) == BFLOAT16       # n-d beats 0-d
    assert result_type(bf, np.zeros(1, F32)) == F32             # 1-d is not 0-d
    assert result_type(np.zeros((), BFLOAT16), np.zeros((), F32)) == F32  # both 0-d


def test_mul_reads_a_single_element_operand_at_full_precision():
    # bf16[n] * f32[]: the float32 scale is NOT rounded to bf16 first.
    x = np.array([0.01531982421875], BFLOAT16)
    scale = np.float32(127) / np.float32(1.3)
    out = ops.mul(x, np.array(scale, F32))
    assert out.dtype == BFLOAT16
    full = np.array(np.float32(x[0]) * scale, BFLOAT16)
    rounded_first = np.array(np.float32(x[0]) * np.float32(BFLOAT16.type(scale)), BFLOAT16)
    assert bits_of(out) == [bits_of(full)] and bits_of(full) != bits_of(rounded_first)


def test_le_rounds_the_scalar_operand():
    # bf16[n] <= f32[]: the float32 amax is rounded to bf16 (1.005 -> 1.0078125).
    x = np.array([1.0078125, 1.015625], BFLOAT16)
    assert ops.le(x, np.array(1.005, F32)).tolist() == [True, False]
    assert ops.le(x, np.array([1.005, 1.005], F32)).tolist() == [False, False]


def test_round_half_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5], F32)
    assert ops.round_half_even(x).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]
    assert np.signbit(ops.round_half_even(x))[3]


def test_clamp_keeps_nan_and_negative_zero_and_prefers_high():
    x = np.array([np.nan, -0.0, -np.inf, np.inf, 5.0], F32)
    out = ops.clamp(x, np.float32(-1), np.float32(1))
    assert np.isnan(out[0]) and np.signbit(out[1]) and out[2:].tolist() == [-1.0, 1.0, 1.0]
    assert ops.clamp(np.array([3.0, -3.0], F32), np.float32(0.5), np.float32(-0.5)).tolist() \
        == [-0.5, -0.5]


_SHAPES = {"0d": (), "1elem": (1,), "nd": (3,)}
_PAIRS = list(itertools.product(DTYPES, _SHAPES, DTYPES, _SHAPES))


@pytest.mark.parametrize("da, sa, db, sb", _PAIRS, ids=["-".join(p) for p in _PAIRS])
def test_arithmetic_emulation_matches_torch(da, sa, db, sb):
    """mul, div and le against torch for every dtype pair and operand kind (CPU)."""
    torch = pytest.importorskip("torch")
    from conformance.compare import first_mismatch
    from conformance.convert import to_numpy, to_torch

    a = np.array([0.01531982421875, -1.7, 3.0e4], np.float64)[: int(np.prod(_SHAPES[sa]))]
    b = np.array([97.69231414794922, 0.3, -1.3], np.float64)[: int(np.prod(_SHAPES[sb]))]
    a = a.reshape(_SHAPES[sa]).astype(DTYPES[da])
    b = b.reshape(_SHAPES[sb]).astype(DTYPES[db])
    ta, tb = to_torch(a), to_torch(b)
    assert dtype_name(result_type(a, b)) == str(torch.result_type(ta, tb)).split(".")[-1]
    for name, mine, theirs in (("mul", ops.mul, torch.mul), ("div", ops.div, torch.div)):
        mismatch = first_mismatch(to_numpy(theirs(ta, tb)), np.asarray(mine(a, b)), name=name)
        assert mismatch is None, str(mismatch)
    assert np.asarray(ops.le(a, b)).tolist() == (ta <= tb).tolist()


# --- bad input gets a clear error --------------------------------------------


@pytest.mark.parametrize("function", ["tensor_quant", "fake_tensor_quant"])
def test_python_float_amax_is_rejected_with_the_fix(function):
    x = np.ones(3, F32)
    with pytest.raises(TypeError, match=r"amax must be a NumPy .*numpy\.asarray"):
        getattr(reference, function)(x, 1.0)


def test_list_inputs_are_rejected_with_the_fix():
    with pytest.raises(TypeError, match=r"inputs must be a NumPy .*numpy\.asarray"):
        reference.tensor_quant([1.0, 2.0], np.array(1.0, F32))


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.bool_, np.complex64],
                         ids=lambda d: np.dtype(d).name)
def test_non_float_dtype_is_rejected_naming_the_choices(dtype):
    with pytest.raises(TypeError, match=r"floating dtype .*float16, bfloat16, float32, float64"):
        reference.tensor_quant(np.ones(3, dtype), np.array(1.0, F32))
    with pytest.raises(TypeError, match="amax must have a floating dtype"):
        reference.fake_tensor_quant(np.ones(3, F32), np.array(1, dtype))


def test_amax_that_does_not_broadcast():
    with pytest.raises(RuntimeError, match=r"does not broadcast.*trailing dimensions"):
        reference.tensor_quant(np.ones((2, 3), F32), np.ones(2, F32))


def test_ste_gradient_shapes_must_broadcast_to_inputs():
    with pytest.raises(ValueError, match="broadcast to inputs"):
        reference.ste_gradient(np.ones(3, F32), np.ones((2, 1), F32), np.ones((2, 3), F32))


# --- functions: the rules the vectors cannot name one by one -----------------


def test_unsigned_error_comes_before_the_fp16_cast():  # SPEC 2.1
    x = np.array([0.5, -(2.0**-24)], F16)
    with pytest.raises(TypeError, match="Negative values encountered in unsigned"):
        reference.tensor_quant(x, np.array(1.0, F32), unsigned=True)


def test_fp16_overflow_only_in_tensor_quant():  # SPEC 3
    x = np.array([1e-3, -1e-3], F16)
    amax = np.array(1e-3, F32)
    with pytest.raises(ValueError, match="scale is too large for FP16"):
        reference.tensor_quant(x, amax)
    out = reference.fake_tensor_quant(x, amax)
    assert out.dtype == F16 and out.tolist() == [0.0, 0.0] and np.signbit(out).tolist() == [
        False, True]


def test_zero_amax_threshold_is_inclusive():  # SPEC 2.5, 2.7
    x = np.array([1.0, np.inf, np.nan, -3.0], F32)
    for amax in (0.0, EPSILON):
        codes, scale = reference.tensor_quant(x, np.array(amax, F32))
        assert bits_of(codes)[:1] + bits_of(codes)[3:] == [0, 0x80000000]
        assert np.isnan(codes[1:3]).all() and float(scale) == 1.0
    codes, _ = reference.tensor_quant(x, np.nextafter(np.array(EPSILON, F32), np.float32(1)))
    assert codes[[0, 1, 3]].tolist() == [127.0, 127.0, -127.0]


def test_ste_gradient_is_inclusive_and_typed_like_inputs():  # SPEC 3
    x = np.array([1.0, np.nextafter(1.0, 2.0), np.nan], F64)
    grad = reference.ste_gradient(x, np.array(1.0, F32), np.array([2.0, 3.0, 4.0], F32))
    assert grad.dtype == F64 and grad.tolist() == [2.0, 0.0, 0.0]


def test_reference_and_vectors_import_no_torch():
    code = ("import sys, reference, vectors, vectors.cases; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_article_semantics_change_nothing():
    assert reference.ARTICLE.changes() == {}


@pytest.mark.parametrize("dtype", list(DTYPES), ids=list(DTYPES))
def test_0d_inputs_give_0d_arrays(dtype):
    """0-d tensors are valid inputs to the article's code (regression: clamp on a 0-d
    input once raised TypeError from numpy.copyto)."""
    x, amax = np.array(0.3, DTYPES[dtype]), np.array(1.3, F32)
    codes, scale = reference.tensor_quant(x, amax)
    fake = reference.fake_tensor_quant(x, amax)
    grad = reference.ste_gradient(x, amax, np.array(1.0, F32))
    for result in (codes, scale, fake, grad):
        assert isinstance(result, np.ndarray) and result.shape == ()
    assert float(codes) == 29.0


# --- NaN and empty tensors in the whole-tensor tests (SPEC 2.1, 2.3, 2.5, 2.7) ----------


@pytest.mark.parametrize("dtype", list(DTYPES), ids=list(DTYPES))
def test_tensor_min_propagates_nan_and_keeps_negative_zero(dtype):
    from reference.quantize import tensor_min

    assert np.isnan(tensor_min(np, np.array([-1.0, np.nan, 2.0], DTYPES[dtype])))
    assert np.isnan(tensor_min(np, np.array([np.nan], DTYPES[dtype])))
    assert tensor_min(np, np.array([2.0, -np.inf], DTYPES[dtype])) == -np.inf
    assert np.signbit(tensor_min(np, np.array([-0.0, 1.0], DTYPES[dtype])))


@pytest.mark.parametrize("dtype", list(DTYPES), ids=list(DTYPES))
def test_unsigned_inputs_holding_a_nan_never_raise(dtype):  # SPEC 2.1
    x = np.array([np.nan, -1.0, -np.inf, 0.5], DTYPES[dtype])
    codes, _ = reference.tensor_quant(x, np.array(1.0, F32), unsigned=True)
    assert np.isnan(codes[0]) and codes[1:].tolist() == [0.0, 0.0, 128.0]
    with pytest.raises(TypeError, match="Negative values encountered in unsigned"):
        reference.tensor_quant(x[1:], np.array(1.0, F32), unsigned=True)


def test_empty_min_raises_runtime_error_as_pytorch_does():  # SPEC 2.1, 2.3
    from reference.quantize import EMPTY_MIN_MESSAGE

    one = np.array(1.0, F32)
    for function in (reference.tensor_quant, reference.fake_tensor_quant):
        with pytest.raises(RuntimeError) as info:
            function(np.zeros((2, 0), F16), one, unsigned=True)
        assert str(info.value) == EMPTY_MIN_MESSAGE
        with pytest.raises(RuntimeError, match="numel"):  # amax.min(), whatever the inputs
            function(np.ones(3, F32), np.zeros((0,), F32))
    # Empty inputs without unsigned take no min() of the inputs: an empty result.
    assert reference.fake_tensor_quant(np.zeros((2, 0), F32), one).shape == (2, 0)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as info:
        torch.tensor([]).min()
    assert str(info.value) == EMPTY_MIN_MESSAGE


def test_amax_holding_a_nan_never_raises_and_a_negative_channel_flips():  # SPEC 2.3
    x = np.array([[1.0, -0.5], [1.0, -0.5]], F32)
    codes, scale = reference.tensor_quant(x, np.array([[-1.0], [np.nan]], F32))
    assert codes[0].tolist() == [-127.0, 64.0] and np.isnan(codes[1]).all()
    assert scale[0, 0] == -127.0 and np.isnan(scale[1, 0])
    with pytest.raises(ValueError, match="Negative values in amax"):
        reference.tensor_quant(x, np.array([[-1.0], [2.0]], F32))


@pytest.mark.parametrize("zero", [0.0, -0.0, EPSILON, 1e-40])
def test_nan_in_amax_turns_the_zero_amax_gate_off(zero):  # SPEC 2.5, 2.7
    x = np.array([[1.0, -1.0, 0.0, np.inf], [1.0, -1.0, 0.0, np.inf]], F32)
    gated_off = np.array([[zero], [np.nan]], F32)
    codes, scale = reference.tensor_quant(x, gated_off)
    sign = -1.0 if np.signbit(np.float32(zero)) else 1.0
    assert codes[0, [0, 1, 3]].tolist() == [127.0 * sign, -127.0 * sign, 127.0 * sign]
    expected_scale = np.float32(127.0) / np.float32(zero)
    assert bits_of(scale[0, 0]) == bits_of(expected_scale)  # inf, -inf or 127 * 2**24: not 1
    assert np.isnan(codes[0, 2]) == (not np.isfinite(expected_scale))  # 0 * inf is NaN
    fake = reference.fake_tensor_quant(x, gated_off)
    assert fake[0, 0] == np.float32(127.0 * sign) / expected_scale
    # The same channel without the NaN beside it is masked: +-0 codes and scale 1.
    codes, scale = reference.tensor_quant(x, np.array([[zero], [2.0]], F32))
    assert codes[0, :2].tolist() == [0.0, 0.0] and float(scale[0, 0]) == 1.0


def test_strict_zero_amax_variation_is_elementwise_without_the_gate():
    """The CUDA kernels' ``amax < EPSILON`` test is per element: NaN elsewhere changes nothing."""
    from reference.variations import VARIATIONS

    strict = VARIATIONS["zero_amax_strict"].semantics
    x = np.array([[1.0, -1.0], [1.0, -1.0]], F32)
    codes, scale = reference.tensor_quant(x, np.array([[0.0], [np.nan]], F32), semantics=strict)
    assert bits_of(codes[0]) == [0, 0] and float(scale[0, 0]) == 1.0
