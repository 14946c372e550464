"""Turns off gradient materialization and returns no input gradient when the outputs' gradient is None; breaks SPEC 3 (backward through the scale alone gives the inputs zeros).

``ctx.set_materialize_grads(False)`` is a documented optimization, but then
backward through ``tensor_quant``'s scale alone leaves ``inputs.grad`` None,
where the article (which lets autograd hand it zeros) gives a zero gradient.
"""

import torch

from ._base import Kernel

CAUGHT_BY = frozenset({"autograd_state"})

_kernel = Kernel()


class _TensorQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        ctx.set_materialize_grads(False)  # the bug (with the None below)
        ctx.save_for_backward(inputs, amax)
        return _kernel.tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)

    @staticmethod
    def backward(ctx, grad_outputs, grad_scale):
        if grad_outputs is None:
            return None, None, None, None, None
        inputs, amax = ctx.saved_tensors
        return _kernel.input_gradient(inputs, amax, grad_outputs), None, None, None, None


class _FakeTensorQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        ctx.save_for_backward(inputs, amax)
        return _kernel.fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)

    @staticmethod
    def backward(ctx, grad_outputs):
        inputs, amax = ctx.saved_tensors
        return _kernel.input_gradient(inputs, amax, grad_outputs), None, None, None, None


tensor_quant = _TensorQuant.apply
fake_tensor_quant = _FakeTensorQuant.apply
