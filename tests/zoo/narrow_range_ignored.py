"""Always uses the full signed range [-max_bound-1, max_bound]; breaks SPEC 2.4 (narrow_range=True).

The default narrow_range=True is dropped, as when a flag is lost on its way to
a kernel (TensorRT#1796, onnxruntime#3442): only inputs below -amax show it.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def bounds(self, num_bits, unsigned, narrow_range, device):
        return super().bounds(num_bits, unsigned, False, device)  # the bug: flag ignored


fake_tensor_quant, tensor_quant = export(_Kernel())
