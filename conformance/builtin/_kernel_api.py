"""The article's API around a device kernel: shared by the ``cupy`` and ``triton`` targets.

Both targets split a call the same way: ``prepare(inputs, amax, num_bits,
unsigned, narrow_range)`` checks the arguments in the article's order and
returns ``(amax, shape, plan)``; ``scales(inputs, amax, plan)`` launches the
scale kernel (the multiplier in its own dtype and in the inputs' dtype);
``quantize(inputs, amax, shape, plan, fake=...)`` launches the element
kernel. What remains is the same for every kernel, and lives here once: the
autograd functions, the FP16 scale check of ``tensor_quant`` and the clipped
straight-through backward (the ``torch`` target's, in torch ops).
"""

from __future__ import annotations

import typing

import torch

from .torch_tensor_quant import _ste

__all__ = ["KernelApi", "kernel_api"]

_FP16_MAX = 65504


class KernelApi(typing.NamedTuple):
    TensorQuantFunction: type
    FakeTensorQuantFunction: type
    tensor_quant: typing.Callable
    fake_tensor_quant: typing.Callable


def kernel_api(prepare, scales, quantize) -> KernelApi:
    """Autograd functions and the two public functions over one kernel's host code."""

    class TensorQuantFunction(torch.autograd.Function):
        """Quantize to integer-valued floats; returns ``(outputs, scale)``."""

        @staticmethod
        def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
            amax, shape, plan = prepare(inputs, amax, num_bits, unsigned, narrow_range)
            ctx.save_for_backward(inputs, amax)
            scale, scale_in_input_dtype = scales(inputs, amax, plan)
            # SPEC 3: float16 codes cannot carry a multiplier above 65504.
            if plan["codes"] == torch.float16 and scale.numel() and scale.max() > _FP16_MAX:
                raise ValueError(f"scale is too large for FP16 with amax={amax}")
            return quantize(inputs, amax, shape, plan, fake=False), scale_in_input_dtype

        @staticmethod
        def backward(ctx, grad_outputs, grad_scale):
            inputs, amax = ctx.saved_tensors
            return _ste(inputs, amax, grad_outputs), None, None, None, None

    class FakeTensorQuantFunction(torch.autograd.Function):
        """Quantize, then divide by the multiplier cast to the inputs' dtype (in the kernel)."""

        @staticmethod
        def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
            amax, shape, plan = prepare(inputs, amax, num_bits, unsigned, narrow_range)
            ctx.save_for_backward(inputs, amax)
            return quantize(inputs, amax, shape, plan, fake=True)

        @staticmethod
        def backward(ctx, grad_outputs):
            inputs, amax = ctx.saved_tensors
            return _ste(inputs, amax, grad_outputs), None, None, None, None

    def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        """``(codes, scale)``: codes in the article's dtype, scale in the inputs' dtype."""
        return TensorQuantFunction.apply(inputs, amax, num_bits, unsigned, narrow_range)

    def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        """Quantize then dequantize; no FP16 overflow error (outputs become 0 instead)."""
        return FakeTensorQuantFunction.apply(inputs, amax, num_bits, unsigned, narrow_range)

    return KernelApi(TensorQuantFunction, FakeTensorQuantFunction, tensor_quant,
                     fake_tensor_quant)
