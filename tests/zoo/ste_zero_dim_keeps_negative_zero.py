"""Masks the gradient with a 0-d zero, so a 0-d input passes a -0 gradient on as -0; breaks SPEC 3 (the article's zero has shape (1,), autograd sums the gradient back to shape (), and the sum turns -0 into +0)."""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"ste_gradient"})


class _Kernel(Kernel):
    def input_gradient(self, inputs, amax, grad_outputs):
        return torch.where(inputs.abs() <= amax, grad_outputs, 0.0)  # the bug: a 0-d zero


fake_tensor_quant, tensor_quant = export(_Kernel())
