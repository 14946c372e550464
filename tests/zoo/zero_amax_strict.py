"""Treats amax as zero only when amax < 2**-24 (strict); breaks SPEC 2.5 (amax <= 2**-24, inclusive).

Only amax exactly 2**-24 reveals it: the kernel then quantizes with the
multiplier max_bound * 2**24 instead of 0.
"""

from ._base import EPSILON, Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def zero_amax(self, amax):
        return amax < EPSILON  # the bug: strict


fake_tensor_quant, tensor_quant = export(_Kernel())
