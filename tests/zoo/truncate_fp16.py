"""Truncates toward zero instead of rounding when the inputs are float16; breaks SPEC 2.6.

Seen in ONNX Runtime's float16 QuantizeLinear (onnxruntime#18576); every other
dtype is rounded correctly, so only float16 examples reveal it.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def round(self, values, input_dtype):
        if input_dtype == torch.half:
            return torch.trunc(values)  # the bug
        return torch.round(values)


fake_tensor_quant, tensor_quant = export(_Kernel())
