"""Passes the gradient only where |x| < amax (strict); breaks SPEC 3 (the STE mask is inclusive, |x| <= amax)."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"ste_gradient"})


class _Kernel(Kernel):
    def input_gradient(self, inputs, amax, grad_outputs):
        return torch.where(inputs.abs() < amax, grad_outputs, 0.0)  # the bug: < for <=


fake_tensor_quant, tensor_quant = export(_Kernel())
