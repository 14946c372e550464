"""The suite's own PyTorch implementation of the article's ``tensor_quant`` API.

Written from SPEC.md (not pasted from the article): descriptors, the shared
quantize body, ``tensor_quant`` / ``fake_tensor_quant`` as autograd
functions with the clipped straight-through backward. It runs unchanged on
CPU and CUDA tensors and is the built-in target ``torch``.
"""

from __future__ import annotations

import torch

# The descriptor rules are plain Python: the reference's class serves as is.
from reference.descriptor import PREDEFINED, QuantDescriptor, ScaledQuantDescriptor

globals().update(PREDEFINED)  # QUANT_DESC_8BIT_PER_TENSOR and the other predefined ones

__all__ = [
    "CONFORMANCE_TARGET",
    "FakeTensorQuantFunction",
    "QuantDescriptor",
    "ScaledQuantDescriptor",
    "TensorQuantFunction",
    "fake_tensor_quant",
    "tensor_quant",
    *PREDEFINED,
]

#: Metadata the suite reads (see conformance.targets).
CONFORMANCE_TARGET = {
    "name": "torch (built-in)",
    "devices": ("cpu", "cuda"),
    "variations": (),
}

_EPSILON = 1.0 / (1 << 24)  # amax at or below this quantizes to zero
_FP16_MAX = 65504


def _quantize(inputs, amax, num_bits, unsigned, narrow_range):
    """Round-half-even codes and the multiplier; the article's ``_tensor_quant``.

    Every test on a whole tensor goes through ``min()``, which propagates NaN
    (so a tensor holding a NaN passes SPEC 2.1 and 2.3 and turns the 2.5 gate
    off) and raises RuntimeError on an empty tensor.
    """
    # SPEC 2.1: before any cast; NaN < 0 is false, -0.0 < 0 is false.
    if unsigned and inputs.min() < 0.0:
        raise TypeError("Negative values encountered in unsigned quantization.")
    input_dtype = inputs.dtype
    # float16 is computed in float32; bfloat16 and float64 are left alone.
    if inputs.dtype == torch.half:
        inputs = inputs.float()
    if amax.dtype == torch.half:
        amax = amax.float()
    min_amax = amax.min()
    if min_amax < 0:  # SPEC 2.3
        raise ValueError("Negative values in amax")

    max_bound = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0, device=amax.device)
    if unsigned:
        min_bound = 0
    elif narrow_range:
        min_bound = -max_bound
    else:
        min_bound = -max_bound - 1

    scale = max_bound / amax
    # SPEC 2.5: one test on the whole amax; False when amax holds a NaN, and then a
    # zero channel keeps max_bound / 0 = inf.
    tiny = bool(min_amax <= _EPSILON)
    if tiny:
        zero_amax = amax <= _EPSILON
        scale[zero_amax] = 0  # so those inputs quantize to +-0 (NaN for NaN/inf)
    # PyTorch's CPU kernels multiply a 16-bit tensor by a 0-d float32 tensor at
    # full float32 precision (SPEC 2.2 "under PyTorch promotion"); CUDA kernels
    # do that only for a CPU scalar, so a 0-d scale on the GPU is handed over as
    # one. This keeps the bits the same on every device.
    multiplier = scale.cpu() if scale.dim() == 0 and scale.device.type != "cpu" else scale
    outputs = _clamp((inputs * multiplier).round_(), min_bound, max_bound)
    if tiny:  # SPEC 2.7, under the same gate
        scale[zero_amax] = 1.0  # the multiplier reported for a zero amax
    if input_dtype == torch.half:
        outputs = outputs.half()
    return outputs, scale


def _clamp(values, low, high):
    """``torch.clamp`` as PyTorch's CPU kernel computes it, on every device.

    An element equal to a bound is kept (so -0.0 stays -0.0 against a bound
    of 0) and NaN propagates; CUDA's clamp returns the bound's +0 instead.
    """
    values = torch.where(values < low, low, values)
    return torch.where(values > high, high, values)


def _ste(inputs, amax, grad_outputs):
    """Clipped straight-through estimator: pass where ``|x| <= amax``."""
    zero = grad_outputs.new_zeros(1)
    return torch.where(inputs.abs() <= amax, grad_outputs, zero)


class TensorQuantFunction(torch.autograd.Function):
    """Quantize to integer-valued floats; returns ``(outputs, scale)``."""

    @staticmethod
    def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        ctx.save_for_backward(inputs, amax)
        outputs, scale = _quantize(inputs, amax, num_bits, unsigned, narrow_range)
        if outputs.dtype == torch.half and scale.max() > _FP16_MAX:
            raise ValueError(f"scale is too large for FP16 with amax={amax}")
        return outputs, scale.to(inputs.dtype)

    @staticmethod
    def backward(ctx, grad_outputs, grad_scale):
        inputs, amax = ctx.saved_tensors
        return _ste(inputs, amax, grad_outputs), None, None, None, None


class FakeTensorQuantFunction(torch.autograd.Function):
    """Quantize then dequantize by dividing by the multiplier."""

    @staticmethod
    def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
        ctx.save_for_backward(inputs, amax)
        outputs, scale = _quantize(inputs, amax, num_bits, unsigned, narrow_range)
        return outputs / scale.to(inputs.dtype)

    @staticmethod
    def backward(ctx, grad_outputs):
        inputs, amax = ctx.saved_tensors
        return _ste(inputs, amax, grad_outputs), None, None, None, None


tensor_quant = TensorQuantFunction.apply
fake_tensor_quant = FakeTensorQuantFunction.apply
