"""Always uses the narrow range [-max_bound, max_bound]; breaks SPEC 2.4 (narrow_range=False).

The pytorch-quantization 2.2.1 CUDA extension behaves so (the flag is never
passed to the kernel); this target does not declare the ``always_narrow``
variation, so it must fail.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def bounds(self, num_bits, unsigned, narrow_range, device):
        return super().bounds(num_bits, unsigned, True, device)  # the bug: flag ignored


fake_tensor_quant, tensor_quant = export(_Kernel())
