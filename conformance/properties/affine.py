"""fake_affine_tensor_quant (SPEC 6.1): values and the inclusive straight-through gradient.

Every input dtype meets every range dtype with inexact ranges first
(``grid_calls``: the promotion and rounding matrix), then drawn calls.
"""

from __future__ import annotations

import functools

from ..strategies.affine import affine_calls, grid_calls
from ._base import Property
from ._section6 import check_calls

PROPERTIES = [
    Property("affine_values",
             "fake_affine_tensor_quant equals the reference bit for bit: step = (max - min) / "
             "(2**num_bits - 1), codes round(x / step) - round(min / step) - min_bound half to "
             "even (dividing, not multiplying), clamped, (q + zero) * step, every dtype under "
             "PyTorch promotion with no upcast, ranges including and excluding zero, degenerate, "
             "reversed and non-finite, num_bits 0-1024 (clamp and Python overflow errors)",
             frozenset({"fake_affine_tensor_quant"}), check_calls(affine_calls(), grid_calls)),
    Property("affine_gradient",
             "fake_affine_tensor_quant's input gradient is grad_output where min_range <= x <= "
             "max_range (inclusive, raw inputs, PyTorch promotion; NaN gets 0) and 0 elsewhere, "
             "in the inputs' dtype; min_range and max_range get no gradient",
             frozenset({"fake_affine_tensor_quant"}),
             # The mask's edges (the ranges in every rounding) are in every drawn pool: half
             # the profile's examples (the ci gate's time is shared by twenty properties).
             check_calls(affine_calls(gradient=True),
                         functools.partial(grid_calls, gradient=True), share=2)),
]
