"""Dequantizes by multiplying with the step (1 / scale) instead of dividing by the scale; breaks SPEC 3 (codes / scale).

torch.fake_quantize_* and ONNX DequantizeLinear do this; it differs from the
article by one ulp on many outputs. The target does not declare the
``dequantize_multiply_step`` variation, so it must fail.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "fake_per_channel", "golden_vectors"})


class _Kernel(Kernel):
    def dequantize(self, codes, scale, input_dtype):
        return codes * (1.0 / scale).to(input_dtype)  # the bug: multiply by the step


fake_tensor_quant, tensor_quant = export(_Kernel())
