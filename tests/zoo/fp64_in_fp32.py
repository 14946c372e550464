"""Computes float64 inputs in float32 and casts back; breaks SPEC 2.2 (float64 inputs are computed in float64)."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def upcast(self, inputs, amax):
        if inputs.dtype == torch.float64:
            inputs, amax = inputs.float(), amax.float()  # the bug
        return super().upcast(inputs, amax)

    def downcast(self, outputs, input_dtype):
        if input_dtype == torch.float64:
            return outputs.double()  # (part of the same bug: undo the downcast)
        return super().downcast(outputs, input_dtype)


fake_tensor_quant, tensor_quant = export(_Kernel())
