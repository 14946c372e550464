"""Values: outputs, scale, dtypes and shapes equal the reference, bit for bit."""

from __future__ import annotations

from .. import strategies
from ._base import Property, run_examples
from ._oracle import check_call


def _values(function, per_channel):
    def check(ctx):
        run_examples(ctx, strategies.cases(per_channel=per_channel),
                     lambda case: check_call(ctx, function, case))
    return check


_WHAT = ("over every dtype, num_bits 0-16, unsigned and narrow_range, at .5 ties, clamp "
         "bounds, the 2**-24 and 65504 thresholds and non-finite inputs")

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
