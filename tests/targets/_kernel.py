"""A small, correct implementation of the article's API with switchable bugs.

Each module in this folder calls ``make`` with one bug turned on, so every
property of the suite can be shown to catch its bug. With no bug it conforms.
"""

from __future__ import annotations

import itertools

import torch

from reference.descriptor import QuantDescriptor  # noqa: F401  (re-exported by targets)

EPSILON = 2.0**-24


def make(*, rounding="half_even", ste_strict=False, amax_grad=False, write_inputs=False,
         assume_contiguous=False, wrong_axis=False, scale_float32=False,
         skip_unsigned_check=False, output_device=None, flaky=False, ignore_narrow=False,
         flatten=False):
    """``(fake_tensor_quant, tensor_quant)`` with the named bug switched on."""
    calls = itertools.count()

    def quantize(inputs, amax, num_bits, unsigned, narrow_range):
        if assume_contiguous and not inputs.is_contiguous():
            # Bug: reads the storage as if the tensor were contiguous.
            strides = torch.empty(inputs.shape).stride()
            inputs = inputs.as_strided(inputs.shape, strides, inputs.storage_offset())
        if unsigned and not skip_unsigned_check and inputs.min() < 0:
            raise TypeError("Negative values encountered in unsigned quantization.")
        dtype = inputs.dtype
        x = inputs.float() if dtype == torch.half else inputs
        a = amax.float() if amax.dtype == torch.half else amax
        if a.min() < 0:
            raise ValueError("Negative values in amax")
        if wrong_axis and a.numel() > 1:
            a = a.reshape(-1)  # Bug: a per-channel amax lands on the last axis
        max_bound = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0, device=a.device)
        if unsigned:
            min_bound = 0
        elif narrow_range and not ignore_narrow:
            min_bound = -max_bound
        else:
            min_bound = -max_bound - 1
        scale = max_bound / a
        zero = a <= EPSILON
        scale = torch.where(zero, torch.zeros_like(scale), scale)
        product = x * scale
        if rounding == "half_away":
            rounded = torch.where(product.abs() - product.abs().trunc() >= 0.5,
                                  product.trunc() + product.sign(), product.trunc())
        else:
            rounded = product.round()
        codes = torch.clamp(rounded, min_bound, max_bound)
        scale = torch.where(zero, torch.ones_like(scale), scale)
        if dtype == torch.half:
            codes = codes.half()
        if flaky and next(calls) % 3 == 2 and codes.numel():
            # Bug: every third call, the first code moves by one ulp.
            codes = codes.clone()
            codes.view(-1)[0] = torch.nextafter(codes.view(-1)[0], codes.new_tensor(1e9))
        return codes, scale, x

    def ste(inputs, amax, grad):
        mask = inputs.abs() < amax if ste_strict else inputs.abs() <= amax
        return torch.where(mask, grad, grad.new_zeros(1))  # (1,), as the article's

    def finish(t, inputs):
        if write_inputs:
            with torch.no_grad():
                inputs.copy_(t.to(inputs.dtype).expand(inputs.shape) if t.numel() else inputs)
        if flatten:
            t = t.reshape(-1)  # Bug: 0-d results come back with shape (1,)
        if output_device is not None:
            t = t.to(output_device)
        return t

    class Quant(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
            ctx.save_for_backward(inputs, amax)
            codes, scale, _ = quantize(inputs, amax, num_bits, unsigned, narrow_range)
            if codes.dtype == torch.half and scale.max() > 65504:
                raise ValueError("scale is too large for FP16")
            scale = scale if scale_float32 else scale.to(inputs.dtype)
            return finish(codes, inputs), scale

        @staticmethod
        def backward(ctx, grad, _grad_scale):
            inputs, amax = ctx.saved_tensors
            return ste(inputs, amax, grad), (torch.zeros_like(amax) if amax_grad else None), \
                None, None, None

    class Fake(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
            ctx.save_for_backward(inputs, amax)
            codes, scale, _ = quantize(inputs, amax, num_bits, unsigned, narrow_range)
            return finish(codes / scale.to(inputs.dtype), inputs)

        @staticmethod
        def backward(ctx, grad):
            inputs, amax = ctx.saved_tensors
            return ste(inputs, amax, grad), (torch.zeros_like(amax) if amax_grad else None), \
                None, None, None

    return Fake.apply, Quant.apply
