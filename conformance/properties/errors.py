"""Errors: the reference's exception type where it raises, and no exception where it does not."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference import bounds

from .. import strategies
from ..oracle import check_call
from ..strategies import Case
from ..targets import checked_functions
from ._base import Property, run_strata

KINDS = ("unsigned_negative", "negative_amax", "fp16_scale", "nan_hides", "beside")


@st.composite
def error_cases(draw, kind):
    """Calls at the three raising rules (``kind``), where a NaN hides them, and beside them."""
    per_channel = draw(st.booleans(), label="per_channel")
    base = draw(strategies.cases(per_channel=per_channel, max_side=3), label="base")
    inputs, amax = base.inputs, base.amax
    if kind == "unsigned_negative":
        # SPEC 2.1: one negative input (or -0.0 / -tiny beside it) with unsigned=True.
        flat = inputs.astype(np.float64).reshape(-1).copy()
        if flat.size:
            flat[draw(st.integers(0, flat.size - 1), label="where")] = draw(
                st.sampled_from([-1.0, -2.0**-24, -1e-45, -0.0, -np.inf, -65504.0]),
                label="negative")
        inputs = flat.reshape(inputs.shape).astype(inputs.dtype)
        return Case(inputs, amax, base.num_bits, True, base.narrow_range)
    if kind == "negative_amax":
        # SPEC 2.3: any negative amax element (-0.0 is not negative); often the last
        # channel, so a check that looks at amax[0] only is caught.
        flat = amax.astype(np.float64).reshape(-1).copy()
        where = draw(st.one_of(st.just(flat.size - 1), st.integers(0, flat.size - 1)),
                     label="where")
        # -0.0 is not negative; the smallest negative subnormal of amax's own dtype is (a
        # kernel that flushes denormals reads it as -0 and does not raise).
        tiny = -strategies.subnormals(amax.dtype)[0]
        flat[where] = draw(
            st.sampled_from([-1.0, -2.0**-24, -1e-40, -0.0, -np.inf, tiny]), label="negative")
        flat = strategies.without_gated_nan(flat)
        return Case(inputs, flat.reshape(amax.shape).astype(amax.dtype), base.num_bits,
                    False, base.narrow_range)
    if kind == "nan_hides":
        return _nan_hides_negative(draw, base)
    if kind == "fp16_scale":
        # SPEC 3: float16 codes with a scale above 65504 (tiny amax, wide num_bits).
        # The float32 neighbours of max_bound / 65504 put the scale in (65504, 65520),
        # where it rounds to 65504 in float16: the check must read the float32 scale.
        bits = draw(st.sampled_from([8, 16, 12]), label="num_bits")
        edge = strategies.fp16_scale_edge(float(bounds(bits, False, base.narrow_range)[1]))
        amax_value = draw(st.sampled_from([1e-3, 127 / 65504, 127 / 65503, 1e-4, 2.0**-20,
                                           *edge, *edge]), label="amax")
        with np.errstate(over="ignore"):
            inputs = inputs.astype(np.float16)
        return Case(inputs, np.asarray(amax_value, np.float32), bits, False,
                    base.narrow_range)
    return base


def _nan_hides_negative(draw, base):
    """A negative amax channel, or an unsigned negative input, beside a NaN: no error.

    SPEC 2.1, 2.3: the checks are ``amax.min() < 0`` and ``inputs.min() < 0``;
    ``min()`` propagates NaN and ``NaN < 0`` is false, so nothing is raised
    (the negative channel is quantized with a negative scale). A check that
    ignores NaN (``nanmin``, ``(amax < 0).any()``) raises here.
    """
    amax = base.amax.astype(np.float64).reshape(-1).copy()
    inputs = base.inputs.astype(np.float64).reshape(-1).copy()
    in_amax = amax.size >= 2 and (inputs.size < 2 or draw(st.booleans(), label="in_amax"))
    flat = amax if in_amax else inputs
    if flat.size < 2:
        return base
    nan_at, negative_at = draw(st.permutations(range(flat.size)), label="where")[:2]
    flat[nan_at] = np.nan
    flat[negative_at] = draw(st.sampled_from([-1.0, -2.0**-24, -np.inf]), label="negative")
    with np.errstate(over="ignore"):
        if in_amax:
            return Case(base.inputs, amax.reshape(base.amax.shape).astype(base.amax.dtype),
                        base.num_bits, False, base.narrow_range)
        return Case(inputs.reshape(base.inputs.shape).astype(base.inputs.dtype), base.amax,
                    base.num_bits, True, base.narrow_range)


def check(ctx):
    def body(case):
        for function in checked_functions(ctx.target):
            check_call(ctx, function, case)

    run_strata(ctx, {kind: error_cases(kind) for kind in KINDS}, body)


PROPERTIES = [
    Property("errors",
             "raise the reference's exception type where it raises (unsigned with a negative "
             "input: TypeError; a negative amax: ValueError; tensor_quant with float16 codes "
             "and scale > 65504: ValueError) and nothing where it does not (a NaN beside "
             "the negative input or amax hides it from min())",
             frozenset({"fake_tensor_quant"}), check),
]
