"""The strategies reach the structure of the problem, not just random floats."""

import math

import numpy as np
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from conformance import strategies
from reference import BFLOAT16, EPSILON, bounds

FAST = settings(max_examples=60, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))


def _find(strategy, condition):
    return find(strategy, condition, settings=settings(FAST, max_examples=2000))


def test_exact_ties_are_exact_in_every_dtype():
    for dtype in strategies.DTYPES:
        amax = 127.0 / 8  # a power-of-two multiplier: every (k + 0.5) / 8 is exact
        ties = strategies.exact_ties(dtype, amax, 8, False, True)
        assert len(ties) >= 8, dtype
        scale = float(np.float32(127.0) / np.float32(amax))
        for x in ties:
            assert (abs(x * scale) - 0.5) % 1 == 0, (dtype, x)
            assert float(np.asarray(x, dtype=np.float64).astype(dtype)) == x  # exact in dtype


def test_special_values_hold_thresholds_bounds_and_non_finite():
    values = strategies.special_values(np.dtype(np.float32), 1.0, 8, False, True)
    assert EPSILON in values and 65504.0 in values and 2.0**31 in values
    assert any(math.isnan(v) for v in values) and math.inf in values and -math.inf in values
    assert any(v == 0 and math.copysign(1, v) < 0 for v in values)
    assert 1.0 in values and float(np.nextafter(np.float32(1), np.float32(2))) in values
    edge = 1.0 * (127 + 0.5) / 127
    assert float(np.float32(edge)) in values


def test_bfloat16_neighbours_step_one_pattern():
    values = strategies._ulp_neighbours([1.0], BFLOAT16)
    assert sorted(values) == [1.0 - 2.0**-8, 1.0, 1.0 + 2.0**-7]


@given(strategies.cases())
@FAST
def test_cases_are_well_formed(case):
    assert case.inputs.dtype in strategies.DTYPES
    assert case.amax.dtype in strategies.DTYPES  # bfloat16/float64 amax meet any inputs
    np.broadcast_shapes(case.inputs.shape, case.amax.shape)
    assert 0 <= case.num_bits <= 16 or case.num_bits in strategies.WIDE_BITS
    if case.unsigned:  # no negative input, unless a NaN hides it from min() (SPEC 2.1)
        wide = case.inputs.astype(np.float64)
        with np.errstate(invalid="ignore"):
            assert not (wide < 0).any() or np.isnan(wide).any()


@given(strategies.cases(per_channel=True))
@FAST
def test_per_channel_amax_broadcasts_without_widening(case):
    assert np.broadcast_shapes(case.inputs.shape, case.amax.shape) == case.inputs.shape


def test_every_dtype_and_width_boundary_is_drawn():
    for dtype in strategies.DTYPES:
        _find(strategies.cases(), lambda c, d=dtype: c.inputs.dtype == d)
    for bits in (0, 1, 16):
        _find(strategies.cases(), lambda c, b=bits: c.num_bits == b)
    _find(strategies.cases(), lambda c: c.amax.size and float(c.amax.reshape(-1)[0]) == EPSILON)
    _find(strategies.cases(), lambda c: np.isnan(c.inputs.astype(np.float64)).any())


def test_nan_is_drawn_where_min_hides_what_the_elements_show():
    """SPEC 2.1/2.3/2.5: min() propagates NaN, so these calls neither raise nor mask."""
    def wide(a):
        return a.astype(np.float64)

    def nan_beside(amax, values):
        a = wide(amax)
        return bool(np.isnan(a).any() and np.isin(a, values).any())

    _find(strategies.cases(), lambda c: c.unsigned and np.isnan(wide(c.inputs)).any()
          and (np.nan_to_num(wide(c.inputs)) < 0).any())
    _find(strategies.cases(per_channel=True), lambda c: nan_beside(c.amax, [0.0]))
    _find(strategies.cases(per_channel=True), lambda c: nan_beside(c.amax, [-1.0, -EPSILON]))


def test_a_per_channel_axis_shares_its_length_with_another_axis():
    def shared(case):
        shape, amax_shape = case.inputs.shape, case.amax.shape
        offset = len(shape) - len(amax_shape)
        channel = [i + offset for i, n in enumerate(amax_shape) if n > 1]
        return bool(channel) and any(shape[i] == shape[channel[0]] for i in range(len(shape))
                                     if i != channel[0])
    _find(strategies.cases(per_channel=True), shared)
    _find(strategies.cases(per_channel=True), lambda c: c.amax.ndim < c.inputs.ndim
          and c.amax.size > 1)


def test_inputs_hit_exact_ties():
    def has_tie(case):
        _, max_bound = bounds(case.num_bits, case.unsigned, case.narrow_range)
        amax = float(case.amax.reshape(-1)[0]) if case.amax.size else 0
        if not (amax > EPSILON and max_bound > 0) or case.amax.size != 1:
            return False
        scale = float(np.float32(max_bound) / np.float32(amax))
        with np.errstate(all="ignore"):
            x = case.inputs.astype(np.float64).reshape(-1) * scale
            return bool(((np.abs(x) % 1) == 0.5).any())
    _find(strategies.cases(), has_tie)


@given(st.data())
@FAST
def test_amax_values_are_non_negative(data):
    value = data.draw(strategies.amax_values(np.float32, 127.0))
    assert value >= 0


def test_num_bits_reaches_past_32_bits():
    assert _find(strategies.num_bits(), lambda n: n >= 33) >= 33


def test_large_inputs_are_drawn_and_their_reproduction_rebuilds_every_bit():
    import torch

    from conformance.compare import bits_equal
    from conformance.convert import to_numpy
    from conformance.repro import _inputs_literal

    case = _find(strategies.cases(allow_large=True), lambda c: c.inputs.size >= 4096)
    assert case.motif is not None and case.motif.size < 4096
    text = _inputs_literal(case, "cpu", requires_grad=False)
    assert len(text) < 60 * case.motif.size  # the motif, not every element
    rebuilt = eval(text, {"torch": torch, "h": float.fromhex})
    assert bits_equal(case.inputs, to_numpy(rebuilt))


def test_per_tensor_amax_is_often_exactly_the_zero_threshold():
    drawn = strategies.amax_values(np.float32, 127.0)
    assert _find(drawn, lambda a: a == EPSILON) == EPSILON
