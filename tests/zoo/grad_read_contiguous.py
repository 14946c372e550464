"""Reads the incoming gradient in storage order as if it were contiguous; breaks SPEC 7 (every memory layout of the incoming gradient).

``ste_gradient`` hands backward a fresh gradient and passes; the gradient of
``out.sum()`` is one value expanded with zero strides, and a transposed
upstream gradient comes with its strides: here the first raises and the
second passes the wrong elements.
"""

from ._base import Kernel, export

CAUGHT_BY = frozenset({"strided_gradient"})


class _Kernel(Kernel):
    def input_gradient(self, inputs, amax, grad_outputs):
        dense = grad_outputs.new_empty(grad_outputs.shape).stride()
        grad_outputs = grad_outputs.as_strided(grad_outputs.shape, dense,
                                               grad_outputs.storage_offset())  # the bug
        return super().input_gradient(inputs, amax, grad_outputs)


fake_tensor_quant, tensor_quant = export(_Kernel())
