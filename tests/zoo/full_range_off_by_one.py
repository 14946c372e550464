"""With narrow_range=False, clamps to [-max_bound-1, max_bound+1]; breaks SPEC 2.4.

The upper bound of the full range is one too high (128 for 8 bits), so only
inputs just above amax, which round to max_bound + 1, reveal it.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def clamp(self, values, min_bound, max_bound):
        if not isinstance(min_bound, int) and bool(min_bound == -max_bound - 1):
            max_bound = max_bound + 1  # the bug: full range taken as [-2**(b-1), 2**(b-1)]
        return super().clamp(values, min_bound, max_bound)


fake_tensor_quant, tensor_quant = export(_Kernel())
