"""The reference's SPEC section 6: fake_affine_tensor_quant, scaled_e4m3, descriptor methods.

Values are checked by hand (SPEC 6's examples, NVIDIA's own FP8 golden
vectors) and the E4M3 conversion against two independent converters:
``ml_dtypes.float8_e4m3fn`` where it is defined the same (below the
saturation edge) and torch 2.13's saturating CPU cast everywhere.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import torch

import reference
from conformance.compare import bits_equal, first_mismatch

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
BF16 = reference.BFLOAT16
QD = reference.QuantDescriptor


def arr(values, dtype=F32):
    return np.asarray(values, dtype=np.float64).astype(dtype)


# --- SPEC 6.1 -------------------------------------------------------------------------------


def test_affine_spec_example():
    x = arr([-1, -0.3, 0, 0.2, 0.51, 2.0])
    out = reference.fake_affine_tensor_quant(x, arr(-0.5), arr(1.0), 8)
    assert out.dtype == F32
    np.testing.assert_allclose(out, [-0.5, -0.3, 0.0, 0.2, 0.5118, 1.0], atol=1e-4)
    grad = reference.affine_ste_gradient(x, arr(-0.5), arr(1.0), np.ones(6, F32))
    assert grad.tolist() == [0, 1, 1, 1, 1, 0]


def test_affine_recovers_integer_inputs():
    """NVIDIA's TestFakeAffineTensorQuant: integers in [-128, 127] come back exactly."""
    x = arr(np.arange(-128, 128))
    out = reference.fake_affine_tensor_quant(x, arr(-128.0), arr(127.0), 8)
    assert bits_equal(x, out)


def test_affine_divides_by_the_step():
    """x / step and x * (1 / step) round differently; the article divides (SPEC 6.1)."""
    lo, hi = arr(-0.7), arr(0.9)
    step = (hi - lo) / F32.type(255)
    ties = arr((np.arange(-140, 140) + 0.5) * float(step))  # near .5 ties of x / step
    x = np.concatenate([ties, np.nextafter(ties, F32.type(9)), np.nextafter(ties, F32.type(-9))])
    out = reference.fake_affine_tensor_quant(x, lo, hi, 8)
    quant_zero = np.rint(lo / step) + F32.type(128)
    by_division = (np.clip(np.rint(x / step) - quant_zero, -128, 127) + quant_zero) * step
    by_reciprocal = (np.clip(np.rint(x * (F32.type(1) / step)) - quant_zero, -128, 127)
                     + quant_zero) * step
    assert bits_equal(by_division.astype(F32), out)
    assert not bits_equal(by_reciprocal.astype(F32), out)


@pytest.mark.parametrize("dtype", [F16, BF16, F32, F64])
def test_affine_upcasts_nothing(dtype):
    out = reference.fake_affine_tensor_quant(arr([0.3, -0.2], dtype), arr(-1.0, dtype),
                                             arr(1.0, dtype))
    assert out.dtype == dtype


def test_affine_promotion_follows_pytorch():
    x = arr([0.3, -0.2], BF16)
    assert reference.fake_affine_tensor_quant(x, arr(-1.0), arr(1.0)).dtype == BF16  # 0-d f32
    assert reference.fake_affine_tensor_quant(x, arr([-1.0]), arr([1.0])).dtype == F32


def test_affine_degenerate_and_reversed_ranges_flow_through():
    x = arr([-1.0, 0.0, 0.5])
    # min == max: step 0, x / 0 is +-inf or NaN, (bound - inf) * 0 is NaN.
    assert np.isnan(reference.fake_affine_tensor_quant(x, arr(0.5), arr(0.5))).all()
    # reversed: a negative step, no error.
    reversed_out = reference.fake_affine_tensor_quant(x, arr(1.0), arr(-1.0))
    assert np.isfinite(reversed_out).all()


def test_affine_bounds_that_overflow_the_dtype_raise_like_torch_clamp():
    x = arr([0.5], F16)
    reference.fake_affine_tensor_quant(x, arr(-1.0), arr(1.0), 16)
    with pytest.raises(RuntimeError, match="without overflow"):
        reference.fake_affine_tensor_quant(x, arr(-1.0), arr(1.0), 17)
    reference.fake_affine_tensor_quant(arr([0.5]), arr(-1.0), arr(1.0), 128)
    with pytest.raises(RuntimeError, match="without overflow"):
        reference.fake_affine_tensor_quant(arr([0.5]), arr(-1.0), arr(1.0), 129)
    with pytest.raises(OverflowError):  # the article's Python 2.0**num_bits
        reference.fake_affine_tensor_quant(arr([0.5], F64), arr(-1.0), arr(1.0), 1024)


def test_affine_gradient_is_inclusive_and_compares_under_promotion():
    # bf16 x against 0-d float32 ranges: the ranges are rounded to bf16 for the compare.
    x = arr([1.0, 1.0078125, -0.5, -0.50390625, np.nan], BF16)
    grad = reference.affine_ste_gradient(x, arr(-0.501), arr(1.005), arr(np.arange(1, 6), BF16))
    assert grad.dtype == BF16
    assert grad.astype(F32).tolist() == [1, 2, 3, 0, 0]


# --- SPEC 6.3: E4M3 -------------------------------------------------------------------------


def _every_16_bit_value():
    patterns = np.arange(65536, dtype=np.uint16)
    return np.concatenate([patterns.view(F16).astype(F32), patterns.view(BF16).astype(F32)])


def _random_float32(count=200_000):
    bits = np.random.default_rng(0).integers(0, 2**32, count, dtype=np.uint64)
    return bits.astype(np.uint32).view(F32)


def test_e4m3_equals_ml_dtypes_below_the_saturation_edge():
    values = np.concatenate([_every_16_bit_value(), _random_float32()])
    with np.errstate(invalid="ignore"):
        below = values[np.abs(values) < 464]
    expected = below.astype(ml_dtypes.float8_e4m3fn).astype(F32)
    assert bits_equal(expected, reference.e4m3(below))


def test_e4m3_saturates_where_ml_dtypes_gives_nan():
    """The fact the reference is written for: ml_dtypes casts do not saturate."""
    beyond = arr([464.5, 480.0, 1e30, np.inf, -464.5, -np.inf])
    assert np.isnan(beyond.astype(ml_dtypes.float8_e4m3fn).astype(F32)).all()
    assert bits_equal(arr([448, 448, 448, 448, -448, -448]), reference.e4m3(beyond))
    # Up to the tie at 464 (to even: 448) both agree; NaN stays NaN.
    edge = arr([448.0, 463.99, 464.0, -464.0, np.nan])
    assert bits_equal(edge.astype(ml_dtypes.float8_e4m3fn).astype(F32), reference.e4m3(edge))


def test_e4m3_equals_torch_saturating_cast_everywhere():
    values = np.concatenate([_every_16_bit_value(), _random_float32(),
                             arr([np.inf, -np.inf, np.nan, 464, -464, 2.0**-10, -2.0**-10])])
    expected = torch.from_numpy(values).to(torch.float8_e4m3fn).float().numpy()
    assert bits_equal(expected, reference.e4m3(values))


def test_e4m3_rounds_half_to_even_and_keeps_signed_zero():
    # 2**-10 is half the smallest subnormal 2**-9: to even (0); 3 * 2**-10 -> 2**-8.
    values = arr([2.0**-10, -(2.0**-10), 3 * 2.0**-10, 1.0625, 1.1875, -0.0])
    assert reference.e4m3(values).tolist() == [0.0, -0.0, 2.0**-8, 1.0, 1.25, -0.0]
    assert np.signbit(reference.e4m3(values)[[1, 5]]).all()


def test_scaled_e4m3_nvidia_golden_vectors():
    """tests/tensor_quant_test.py of pytorch-quantization, TestScaledE4M3 (atol 1e-4 there)."""
    x = arr(np.arange(-2.0, 2.0, 0.2)).reshape(4, 5)
    unscaled = [[-2, -1.75, -1.625, -1.375, -1.25], [-1, -0.8125, -0.625, -0.4062, -0.2031],
                [0, 0.2031, 0.4062, 0.625, 0.8125], [1, 1.25, 1.375, 1.625, 1.75]]
    np.testing.assert_allclose(reference.scaled_e4m3(x), unscaled, atol=1e-4)
    scaled = reference.scaled_e4m3(x, arr(2.0))
    np.testing.assert_allclose(scaled[0], [-2, -1.8571, -1.5714, -1.4286, -1.1429], atol=1e-4)


def test_scaled_e4m3_only_e4m3():
    with pytest.raises(NotImplementedError):
        reference.scaled_e4m3(arr([1.0]), None, 5, 2)
    with pytest.raises(NotImplementedError):
        reference.scaled_e4m3(arr([1.0]), arr(1.0), E=4, M=2)


def test_scaled_e4m3_zero_mask_gives_positive_zero():
    x = arr([-1e-8, -0.0, 2.0**-24, -(2.0**-24), np.nan])
    out = reference.scaled_e4m3(x)
    assert out[:2].tolist() == [0.0, 0.0] and not np.signbit(out[:2]).any()
    # 2**-24 is not below the mask; E4M3 rounds it to a signed zero.
    assert out[2] == 0 and np.signbit(out[3]) and np.isnan(out[4])


def test_scaled_e4m3_scale_is_reciprocal_times_448():
    """448 / amax is amax.reciprocal() * 448 in PyTorch: two roundings (SPEC 6.3)."""
    amax = arr(3.0)
    by_reciprocal = (F32.type(1) / amax) * F32.type(448)
    assert by_reciprocal != F32.type(448) / amax  # the two formulas differ here
    x = arr([100.0])
    expected = reference.e4m3(x * by_reciprocal) / by_reciprocal
    assert bits_equal(expected.astype(F32), reference.scaled_e4m3(x, amax))


def test_scaled_e4m3_zero_inf_and_nan_amax():
    x = arr([1.0, -3.0, 0.0, np.inf, np.nan])
    zero = reference.scaled_e4m3(x, arr(0.0))  # scale inf: 448 / inf = 0, 0 * inf masked
    assert bits_equal(arr([0.0, -0.0, 0.0, 0.0, np.nan]), zero)
    inf = reference.scaled_e4m3(x, arr(np.inf))  # scale 0: +-0 / 0 is NaN, 0 masked
    assert bits_equal(arr([np.nan, np.nan, 0.0, np.nan, np.nan]), inf)


def test_scaled_e4m3_zero_mask_indexes_leading_dimensions():
    """outputs[zero_mask] = 0 indexes the LEADING dimensions, as torch does."""
    with pytest.raises(IndexError):  # mask (3,) against outputs (2, 3)
        reference.scaled_e4m3(arr([0.5, 1.0, 2.0]), arr([[1.0], [2.0]]))
    rows = reference.scaled_e4m3(arr([1e-9, 1.0]), arr([[1.0], [2.0]]))  # mask (2,), (2, 2)
    assert rows.tolist() == [[0.0, 0.0], [0.0, 1.0]]  # the tiny input's ROW is zeroed
    with pytest.raises(RuntimeError):
        reference.scaled_e4m3(arr([0.5, 1.0, 2.0]), arr([1.0, 2.0]))


def test_e4m3_gradient_bound_is_448_or_float32_amax():
    x = arr([448.0, 448.5, -448.0, np.nan])
    grad = reference.e4m3_ste_gradient(x, None, arr([1, 2, 3, 4]))
    assert grad.tolist() == [1, 0, 3, 0]
    # A float64 amax is rounded to float32 first: 1 + 2**-30 becomes 1.
    x64 = arr([1.0 + 2.0**-40, 1.0], F64)
    grad = reference.e4m3_ste_gradient(x64, arr(1.0 + 2.0**-30, F64), arr([1, 2], F64))
    assert grad.tolist() == [0, 2]


# --- SPEC 6.2: descriptor methods, in the manner of NVIDIA's TestQuantDescriptor -------------


def test_descriptor_equality():
    assert QD() == QD()
    assert QD(num_bits=4, axis=(0, 1)) == QD(num_bits=4, axis=(0, 1))
    assert QD(amax=[1.5]) == QD(amax=[1.5])  # one element: fine
    assert QD(narrow_range=True) != QD()
    assert QD(calib_method="histogram") != QD()
    assert QD(axis=(0,)) != QD(axis=0)


def test_descriptor_equality_with_multi_element_amax_raises():
    with pytest.raises(ValueError, match="ambiguous"):
        QD(amax=[1.0, 2.0]) == QD(amax=[1.0, 2.0])  # noqa: B015
    with pytest.raises(ValueError):
        QD(amax=[1.0, 2.0]) == QD()  # noqa: B015  (array == None is elementwise too)
    same = QD(amax=[1.0, 2.0])
    assert same == same  # the same dict: Python short-cuts identical values
    assert QD(num_bits=4, amax=[1.0, 2.0]) != QD(amax=[1.0, 2.0])  # num_bits decides first


def test_descriptor_is_unhashable_and_compares_only_descriptors():
    with pytest.raises(TypeError):
        hash(QD())
    with pytest.raises(AttributeError):
        QD() == 5  # noqa: B015


def test_descriptor_dict():
    assert QD().dict() == {"num_bits": 8, "name": None}
    d = QD(num_bits=4, name="w", fake_quant=False, axis=(1,), amax=[0.5, 2.0], scale_amax=2.0,
           learn_amax=False, unsigned=True, narrow_range=True, calib_method="histogram")
    assert d.dict() == {"num_bits": 4, "name": "w", "fake_quant": False, "axis": (1,),
                        "amax": [0.5, 2.0], "scale_amax": 2.0, "unsigned": True}
    assert list(d.dict()) == ["num_bits", "name", "fake_quant", "axis", "amax", "scale_amax",
                              "unsigned"]
    assert QD(amax=1.5).dict()["amax"] == 1.5 and QD(learn_amax=True).dict()["learn_amax"]


def test_descriptor_yaml_spec_example():
    d = QD(num_bits=4, narrow_range=True, calib_method="histogram", axis=(0,), unsigned=True,
           amax=[1.0, 2.0], name="w")
    text = d.to_yaml()
    assert text == "amax:\n- 1.0\n- 2.0\naxis:\n- 0\nname: w\nnum_bits: 4\nunsigned: true\n"
    back = QD.from_yaml(text)
    assert back.narrow_range is False and back.calib_method == "max"  # lost on the way
    assert back.axis == (0,) and back.amax.dtype == F32 and back.amax.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError):
        back == d  # noqa: B015  (two amax arrays of two elements)


@pytest.mark.parametrize("kwargs", [{}, {"num_bits": 3}, {"axis": (1, 2)}, {"amax": 1.25},
                                    {"amax": [0.5]}, {"fake_quant": False, "unsigned": True},
                                    {"learn_amax": True, "scale_amax": 0.5}, {"name": "yes"}])
def test_descriptor_yaml_round_trip(kwargs):
    """NVIDIA's round trip: from_yaml(to_yaml()) == the original, without narrow_range."""
    d = QD(**kwargs)
    assert QD.from_yaml(d.to_yaml()) == d


def test_descriptor_yaml_quirks():
    with pytest.raises(TypeError):  # list(0): an int axis cannot be written
        reference.QUANT_DESC_8BIT_CONV2D_WEIGHT_PER_CHANNEL.to_yaml()
    with pytest.raises(TypeError):  # safe_load("") is None: 'axis' in None
        QD.from_yaml("")
    assert QD.from_yaml("num_bits: 4\nnarrow_range: true\n").narrow_range is True
    assert QD(name="yes").to_yaml() == "name: 'yes'\nnum_bits: 8\n"
    assert np.isnan(QD.from_yaml(QD(amax=float("nan")).to_yaml()).amax)


def test_descriptor_str():
    assert str(QD()) == "QuantDescriptor(8bit fake axis= per-tensor)"
    assert str(QD(num_bits=4, axis=(0,), unsigned=True, amax=[1.0, 2.0], name="w")) == \
        "w: (unsigned 4bit fake axis=(0,) amax=[1. 2.] full_range)"
    assert str(QD(fake_quant=False, axis=(1, 2))) == "QuantDescriptor(8bit real axis=(1, 2))"
    assert str(QD(learn_amax=True, scale_amax=0.5, amax=3.0)) == \
        "QuantDescriptor(8bit fake axis= per-tensor amax=3.0 full_range learn_amax scale_amax=0.5)"
    assert str(QD(scale_amax=0.0)) == "QuantDescriptor(8bit fake axis= per-tensor)"  # falsy
    assert str(QD(name="{_num_bits}")) == "8: (8bit fake axis= per-tensor)"  # a format field


def test_descriptor_stores_exactly_upstreams_attributes_in_order():
    """__eq__ and __str__ read __dict__: it must hold upstream's ten attributes, in order."""
    assert list(QD().__dict__) == ["_num_bits", "_name", "_fake_quant", "_axis", "_learn_amax",
                                   "_amax", "_scale_amax", "_calib_method", "_unsigned",
                                   "_narrow_range"]


def test_reference_section6_matches_its_first_mismatch_helper():
    """Sanity: a one-ulp change is seen (the comparisons above can fail)."""
    out = reference.scaled_e4m3(arr([1.0]))
    assert first_mismatch(out, np.nextafter(out, F32.type(2))) is not None
