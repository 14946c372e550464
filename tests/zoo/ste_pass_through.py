"""Passes the gradient everywhere (no clipping); breaks SPEC 3 (0 where |x| > amax)."""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"ste_gradient"})


class _Kernel(Kernel):
    def input_gradient(self, inputs, amax, grad_outputs):
        return grad_outputs.expand(inputs.shape).clone()  # the bug: no mask


fake_tensor_quant, tensor_quant = export(_Kernel())
