"""Builds the STE mask as not(|x| > amax), so NaN inputs get the gradient; breaks SPEC 3 (NaN inputs get 0)."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"ste_gradient"})


class _Kernel(Kernel):
    def input_gradient(self, inputs, amax, grad_outputs):
        return torch.where(~(inputs.abs() > amax), grad_outputs, 0.0)  # the bug: NaN > a is False


fake_tensor_quant, tensor_quant = export(_Kernel())
