"""tensor_quant never raises for a float16 scale above 65504; breaks SPEC 3 (ValueError "scale is too large for FP16")."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"errors", "quant_per_tensor", "quant_per_channel"})


class _Kernel(Kernel):
    def check_fp16_scale(self, codes, scale, amax):
        pass  # the bug: the check is missing


fake_tensor_quant, tensor_quant = export(_Kernel())
