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


def _values(function, per_channel):
    def check(ctx):
        drawn = st.tuples(strategies.cases(per_channel=per_channel, allow_large=True), GRADS)
        run_examples(ctx, drawn, lambda pair: check_call(ctx, function, pair[0], pair[1]))
    return check


_WHAT = ("over every dtype, num_bits 0-64, unsigned and narrow_range, at .5 ties, clamp "
         "bounds, the 2**-24 and 65504 thresholds, non-finite and large inputs, with and "
         "without inputs or amax requiring grad")

PROPERTIES = [
    Property("fake_per_tensor",
             f"fake_tensor_quant with one amax equals the reference bit for bit {_WHAT}",
             frozenset({"fake_tensor_quant"}), _values("fake_tensor_quant", False)),
    Property("fake_per_channel",
             "fake_tensor_quant with a per-channel amax (keepdims or trailing-broadcast shape) "
             "equals the reference bit for bit, each channel with its own amax",
             frozenset({"fake_tensor_quant"}), _values("fake_tensor_quant", True)),
    Property("quant_per_tensor",
             f"tensor_quant's codes and scale with one amax equal the reference bit for bit {_WHAT}",
             frozenset({"tensor_quant"}), _values("tensor_quant", False)),
    Property("quant_per_channel",
             "tensor_quant's codes and scale with a per-channel amax equal the reference bit "
             "for bit, each channel with its own amax",
             frozenset({"tensor_quant"}), _values("tensor_quant", True)),
]
