"""Values: outputs, scale, dtypes and shapes equal the reference, bit for bit."""

from __future__ import annotations

from hypothesis import strategies as st

from .. import strategies
from ..oracle import check_call
from ._base import Property, run_strata

#: Which tensors require grad: mostly none; sometimes the inputs or the amax, because
#: a kernel may take another path when autograd records (a detach-style STE that
#: returns ``gate + (q - gate).detach()`` is not bit-exact).
GRADS = st.sampled_from([(), (), (), ("inputs",), ("amax",)])


@st.composite
def value_cases(draw, per_channel):
    """``(case, grads)``: any call, per tensor or per channel."""
    case = draw(strategies.cases(per_channel=per_channel, allow_large=True), label="case")
    return case, draw(GRADS, label="grads")


@st.composite
def dtype_edge_value_cases(draw):
    """``(case, grads)`` at the top of a 16-bit range.

    Those (:func:`strategies.dtype_edge_cases`: +-inf inputs, an amax that is
    inf in the inputs' dtype, a float16 scale at 65504, double-rounding inputs)
    are where a training-mode forward built from detach() arithmetic parts
    from inference, so the inputs mostly require grad.
    """
    case = draw(strategies.dtype_edge_cases(max_side=5), label="case")
    return case, draw(st.sampled_from([("inputs",), ("inputs",), ()]), label="grads")


def _values(function, per_channel):
    def check(ctx):
        strata = {"calls": value_cases(per_channel)}
        if not per_channel:  # a quarter of the examples, in a run of their own
            strata["dtype_edge"] = dtype_edge_value_cases()
        run_strata(ctx, strata, lambda pair: check_call(ctx, function, pair[0], pair[1]),
                   weights={"calls": 3, "dtype_edge": 1})
    return check


_WHAT = ("over every dtype, num_bits 0-64, unsigned and narrow_range, at .5 ties, clamp "
         "bounds, the 2**-24 and 65504 thresholds, 16-bit inputs whose code depends on how "
         "the product is rounded, non-finite and large inputs (specials and ties in every "
         "SIMD lane and at the end), NaN, +-inf, +-0 and subnormal amax, with and without "
         "inputs or amax requiring grad")

PROPERTIES = [
    Property("fake_per_tensor",
             f"fake_tensor_quant with one amax equals the reference bit for bit {_WHAT}",
             frozenset({"fake_tensor_quant"}), _values("fake_tensor_quant", False)),
    Property("fake_per_channel",
             "fake_tensor_quant with a per-channel amax (keepdims or trailing-broadcast shape) "
             "equals the reference bit for bit, each channel with its own amax (NaN, inf, +-0 "
             "and subnormal channels among them)",
             frozenset({"fake_tensor_quant"}), _values("fake_tensor_quant", True)),
    Property("quant_per_tensor",
             f"tensor_quant's codes and scale with one amax equal the reference bit for bit {_WHAT}",
             frozenset({"tensor_quant"}), _values("tensor_quant", False)),
    Property("quant_per_channel",
             "tensor_quant's codes and scale with a per-channel amax equal the reference bit "
             "for bit, each channel with its own amax (NaN, inf, +-0 and subnormal channels "
             "among them)",
             frozenset({"tensor_quant"}), _values("tensor_quant", True)),
]
