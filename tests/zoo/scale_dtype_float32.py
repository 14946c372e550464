"""tensor_quant returns the scale in float32 instead of the inputs' dtype; breaks SPEC 3 (scale.to(inputs.dtype))."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"quant_per_tensor", "quant_per_channel"})


class _Kernel(Kernel):
    def returned_scale(self, scale, input_dtype):
        return scale.float()  # the bug


fake_tensor_quant, tensor_quant = export(_Kernel())
