"""The suite's own PyTorch implementation of the article's ``tensor_quant`` API.

Written from SPEC.md (not pasted from the article): descriptors, the shared
quantize body, ``tensor_quant`` / ``fake_tensor_quant`` as autograd
functions with the clipped straight-through backward, and SPEC section 6's
``legacy_fake_tensor_quant``, ``fake_affine_tensor_quant`` and
``scaled_e4m3``. It runs unchanged on CPU and CUDA tensors and is the
built-in target ``torch``.
"""

from __future__ import annotations

import torch

# The descriptor rules are plain Python: the reference's class serves as is.
from reference.descriptor import PREDEFINED, QuantDescriptor, ScaledQuantDescriptor

globals().update(PREDEFINED)  # QUANT_DESC_8BIT_PER_TENSOR and the other predefined ones

__all__ = [
    "CONFORMANCE_TARGET",
    "FakeAffineTensorQuantFunction",
    "FakeTensorQuantFunction",
    "LegacyFakeTensorQuantFunction",
    "QuantDescriptor",
    "ScaledE4M3Function",
    "ScaledQuantDescriptor",
    "TensorQuantFunction",
    "fake_affine_tensor_quant",
    "fake_tensor_quant",
    "legacy_fake_tensor_quant",
    "scaled_e4m3",
    "tensor_quant",
    *PREDEFINED,
]

#: Metadata the suite reads (see conformance.targets).
CONFORMANCE_TARGET = {
    "name": "torch (built-in)",
    "devices": ("cpu", "cuda"),
    "variations": (),
    # Promised, so that losing one (a refactor, a bad merge) fails instead of skipping.
    "exposes": ("fake_tensor_quant", "tensor_quant", "descriptor", "descriptor_serialization",
                "legacy_fake_tensor_quant", "fake_affine_tensor_quant", "scaled_e4m3"),
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


class LegacyFakeTensorQuantFunction(FakeTensorQuantFunction):
    """SPEC 6.3: upstream 2.2.1's name for the article's pure path; the same on every device."""


legacy_fake_tensor_quant = LegacyFakeTensorQuantFunction.apply


# --- SPEC section 6 ------------------------------------------------------------------------
# PyTorch's CPU bits on every device. The CPU kernels read a single-element second
# operand of a 16-bit mul or div at its own precision, round a Python number to the
# tensor's dtype in add/sub and read it as float32 in 16-bit mul/div; CUDA kernels
# differ (a CPU scalar divisor becomes a reciprocal multiply, scalars are read in
# float32 by add), so these helpers spell the CPU arithmetic out in plain tensor ops.
_REDUCED = (torch.float16, torch.bfloat16)


def _binary(op, a, b):
    """``op(a, b)`` for mul and div, as PyTorch's CPU kernel computes it."""
    out = torch.result_type(a, b)
    if out in _REDUCED and b.numel() == 1:
        return op(a.to(out).float(), b.float()).to(out)
    return op(a, b)


def _with_number(op, a, value, *, read_as_float32):
    """``op(a, value)`` with a Python float: the tensor's dtype wins, whatever its rank."""
    if read_as_float32 and a.dtype in _REDUCED:  # mul, div: the number in float32
        return op(a.float(), torch.tensor(value, dtype=torch.float32, device=a.device)).to(a.dtype)
    return op(a, torch.tensor(value, dtype=a.dtype, device=a.device))  # add, sub: rounded


def _clamp_to_numbers(values, low, high):
    """``torch.clamp`` with Python float bounds: PyTorch refuses a bound beyond the dtype."""
    limit = torch.finfo(values.dtype).max
    for bound in (low, high):
        if abs(bound) > limit and bound not in (float("inf"), float("-inf")):
            raise RuntimeError(f"value cannot be converted to type {values.dtype} without "
                               f"overflow (clamp bound {bound!r})")
    as_tensor = [torch.tensor(b, dtype=values.dtype, device=values.device) for b in (low, high)]
    return _clamp(values, *as_tensor)


def _affine_values(inputs, min_range, max_range, num_bits):
    """SPEC 6.1's forward arithmetic, dividing by the step."""
    span = max_range - min_range
    levels = 2.0**num_bits - 1  # a Python float: OverflowError from 1024 bits, as upstream
    min_bound = -(2.0 ** (num_bits - 1))
    max_bound = 2.0 ** (num_bits - 1) - 1
    step = _with_number(torch.div, span, levels, read_as_float32=True)
    quant_zero = _with_number(torch.sub, torch.round(_binary(torch.div, min_range, step)),
                              min_bound, read_as_float32=False)
    shifted = torch.round(_binary(torch.div, inputs, step)) - quant_zero
    codes = _clamp_to_numbers(shifted, min_bound, max_bound)
    return _binary(torch.mul, codes + quant_zero, step)


def affine_function(values):
    """The autograd function of SPEC 6.1 whose forward values are ``values(...)``; the
    ``cupy`` target passes its kernel launch, so both share the backward."""

    class FakeAffineTensorQuantFunction(torch.autograd.Function):
        """SPEC 6.1: gemmlowp-style asymmetric fake quantization, dividing by the step."""

        @staticmethod
        def forward(ctx, inputs, min_range, max_range, num_bits=8):
            ctx.save_for_backward(inputs, min_range, max_range)
            return values(inputs, min_range, max_range, num_bits)

        @staticmethod
        def backward(ctx, grad_outputs):
            inputs, min_range, max_range = ctx.saved_tensors
            inside = (inputs <= max_range) & (inputs >= min_range)  # inclusive at both ends
            return torch.where(inside, grad_outputs, grad_outputs.new_zeros(1)), None, None, None

    return FakeAffineTensorQuantFunction


FakeAffineTensorQuantFunction = affine_function(_affine_values)


_E4M3_MAX = 448.0


def _fake_e4m3fy(values):
    """To float32, to FP8 E4M3 (nearest even, saturating at +-448, NaN kept), and back.

    The explicit clamp makes the saturation independent of the torch version:
    ``.to(torch.float8_e4m3fn)`` turned 464 and beyond into NaN before 2.12.
    """
    wide = values.float().clamp(-_E4M3_MAX, _E4M3_MAX)
    return wide.to(torch.float8_e4m3fn).float().to(values.dtype)


def e4m3_bound(inputs, amax):
    """The E4M3 backward's clipping bound: ``torch.tensor(amax or 448.0, dtype=float32)``."""
    if amax is None:
        return torch.tensor(_E4M3_MAX, device=inputs.device)
    return amax.detach().to(torch.float32)


def _scaled_e4m3_values(inputs, amax):
    """SPEC 6.3's forward arithmetic, zero mask included."""
    zero_mask = inputs.abs() < _EPSILON
    if amax is None:
        outputs = _fake_e4m3fy(inputs)
    else:
        # 448 / amax as PyTorch evaluates it: amax.reciprocal() * 448.
        scale = _with_number(torch.mul, amax.reciprocal(), _E4M3_MAX, read_as_float32=True)
        outputs = _binary(torch.div, _fake_e4m3fy(_binary(torch.mul, inputs, scale)), scale)
    outputs[zero_mask] = 0.0  # IndexError when amax widens the inputs, as upstream
    return outputs


def e4m3_function(values):
    """The autograd function of SPEC 6.3 whose forward values are ``values(inputs, amax)``;
    the ``cupy`` target passes its kernel launch, so both share the checks and backward."""

    class ScaledE4M3Function(torch.autograd.Function):
        """SPEC 6.3: FP8 E4M3 fake quantization, optionally scaled by ``448 / amax``."""

        @staticmethod
        def forward(ctx, inputs, amax=None, E=4, M=3):
            if E != 4 or M != 3:
                raise NotImplementedError("Only support E=4 & M=3 for now.")
            ctx.save_for_backward(inputs)
            ctx.bound = e4m3_bound(inputs, amax)
            return values(inputs, amax)

        @staticmethod
        def backward(ctx, grad_outputs):
            (inputs,) = ctx.saved_tensors
            return _ste(inputs, ctx.bound, grad_outputs), None, None, None

    return ScaledE4M3Function


ScaledE4M3Function = e4m3_function(_scaled_e4m3_values)
fake_affine_tensor_quant = FakeAffineTensorQuantFunction.apply
scaled_e4m3 = ScaledE4M3Function.apply
