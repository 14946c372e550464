"""Errors: the reference's exception type where it raises, and no exception where it does not."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference import bounds

from .. import strategies
from ..oracle import check_call
from ..strategies import Case
from ..targets import checked_functions
from ._base import Property, run_examples


@st.composite
def error_cases(draw):
    """Calls at the three raising rules and just beside them."""
    per_channel = draw(st.booleans(), label="per_channel")
    base = draw(strategies.cases(per_channel=per_channel, max_side=3), label="base")
    kind = draw(st.sampled_from(["unsigned_negative", "negative_amax", "fp16_scale", "beside"]),
                label="kind")
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


def check(ctx):
    def body(case):
        for function in checked_functions(ctx.target):
            check_call(ctx, function, case)

    run_examples(ctx, error_cases(), body)


PROPERTIES = [
    Property("errors",
             "raise the reference's exception type where it raises (unsigned with a negative "
             "input: TypeError; a negative amax: ValueError; tensor_quant with float16 codes "
             "and scale > 65504: ValueError) and nothing where it does not",
             frozenset({"fake_tensor_quant"}), check),
]
