"""Values: outputs, scale, dtypes and shapes equal the reference, bit for bit."""

from __future__ import annotations

from hypothesis import strategies as st

from .. import strategies
from ..oracle import check_call
from ._base import Property, run_examples

#: Which tensors require grad: mostly none; sometimes the inputs or the amax, because
#: a kernel may take another path when autograd records (a detach-style STE that
#: returns ``gate + (q - gate).detach()`` is not bit-exact).
GRADS = st.sampled_from([(), (), (), ("inputs",), ("amax",)])


@st.composite
def value_cases(draw, per_channel):
    """``(case, grads)``: any call; per tensor, one in four at the top of a 16-bit range.

    Those (:func:`strategies.dtype_edge_cases`: +-inf inputs, an amax that is
    inf in the inputs' dtype) are where a training-mode forward built from
    detach() arithmetic parts from inference, so the inputs mostly require grad.
    """
    if not per_channel and draw(st.sampled_from([False] * 3 + [True]), label="dtype_edge"):
        case = draw(strategies.dtype_edge_cases(max_side=5), label="case")
        return case, draw(st.sampled_from([("inputs",), ("inputs",), ()]), label="grads")
    case = draw(strategies.cases(per_channel=per_channel, allow_large=True), label="case")
    return case, draw(GRADS, label="grads")


def _values(function, per_channel):
    def check(ctx):
        run_examples(ctx, value_cases(per_channel),
                     lambda pair: check_call(ctx, function, pair[0], pair[1]))
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
