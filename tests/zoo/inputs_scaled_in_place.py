"""Multiplies and rounds float32/bfloat16/float64 inputs in place (mul_, round_), overwriting the caller's tensor; breaks the hygiene rule that inputs are left unmodified.

float16 inputs are copied by the upcast first, so they are safe; the returned
values are right.
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"inputs_unmodified"})


class _Kernel(Kernel):
    def product(self, inputs, scale):
        same_shape = torch.broadcast_shapes(inputs.shape, scale.shape) == inputs.shape
        if same_shape and torch.result_type(inputs, scale) == inputs.dtype:
            return inputs.mul_(scale)  # the bug: in place on the caller's tensor
        return inputs * scale


fake_tensor_quant, tensor_quant = export(_Kernel())
