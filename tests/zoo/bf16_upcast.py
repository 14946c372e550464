"""Computes bfloat16 inputs in float32 and casts the codes back; breaks SPEC 2.2 (bfloat16 is not upcast).

Undeclared ``compute_float32`` behaviour: the product x * scale is rounded
once to float32 instead of to bfloat16, and the dequantize is done on
bfloat16 codes by a bfloat16 scale as before.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def upcast(self, inputs, amax):
        if inputs.dtype == torch.bfloat16:
            inputs = inputs.float()  # the bug
        return super().upcast(inputs, amax)

    def downcast(self, outputs, input_dtype):
        if input_dtype == torch.bfloat16:
            return outputs.bfloat16()  # (part of the same bug: undo the upcast)
        return super().downcast(outputs, input_dtype)


fake_tensor_quant, tensor_quant = export(_Kernel())
