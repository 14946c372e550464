"""Uses max_bound = 2**(num_bits + unsigned) - 1, one bit too many; breaks SPEC 2.4."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def bounds(self, num_bits, unsigned, narrow_range, device):
        return super().bounds(num_bits + 1, unsigned, narrow_range, device)  # the bug


fake_tensor_quant, tensor_quant = export(_Kernel())
