"""Adds 0.0 to the rounded codes, turning -0 into +0; breaks SPEC 2.6 (round keeps the sign of zero).

Negative inputs that round to zero must give -0 (codes and fake outputs).
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def round(self, values, input_dtype):
        return super().round(values, input_dtype) + 0.0  # the bug: -0 + 0 = +0


fake_tensor_quant, tensor_quant = export(_Kernel())
