"""Target ``torch-native``: PyTorch's own fake quantization under the article's API.

``fake_tensor_quant(x, amax, num_bits, unsigned, narrow_range)`` calls
``torch.fake_quantize_per_tensor_affine`` (one amax) or
``torch.fake_quantize_per_channel_affine`` (a per-channel amax) with
``scale = amax / max_bound`` (computed in float64, rounded to float32 as the
kernel takes it), zero point 0 and ``[quant_min, quant_max]`` the article's
range. This is the mapping pytorch-quantization itself used before 2.2
(``use_fb_fake_quant``). The adapter adds nothing to the kernel: no argument
checks, no zero-amax guard, so the suite sees PyTorch's behaviour.
"""

from __future__ import annotations

import torch

from . import Unsupported
from ._article import E4M3_MAX, affine_params, apply_e4m3_zero_mask
from ._layout import integer_range, layout

__all__ = ["CONFORMANCE_TARGET", "fake_affine_tensor_quant", "fake_tensor_quant", "scaled_e4m3"]

CONFORMANCE_TARGET = {
    "name": "torch.fake_quantize_* (native)",
    "devices": ("cpu", "cuda"),
    "variations": (
        "quantize_multiply_reciprocal",
        "dequantize_multiply_step",
        "compute_opmath",
        "zero_amax_none",
        "nan_to_lower_bound",
        "ste_rounded_code",
        "ste_multiply_mask",
    ),
    "expectations": "expectations/torch_native.toml",
}


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize-dequantize through ``torch.fake_quantize_per_{tensor,channel}_affine``."""
    qmin, qmax = integer_range(num_bits, unsigned, narrow_range, Unsupported)
    if qmax > 2**24:
        # The article's max_bound is a float32: past 2**24 it is 2**(n-1), not the integer
        # 2**(n-1) - 1 this kernel takes (and past 62 bits its int64 arithmetic overflows).
        raise Unsupported(f"num_bits={num_bits}: torch.fake_quantize_* takes integer bounds; "
                          "the article's float32 max_bound is not one past 2**24")
    plan = layout(inputs.shape, amax.shape)
    x = inputs if tuple(inputs.shape) == plan.shape else inputs.expand(plan.shape)
    # The step the kernel takes: a float32 quotient of the real amax.
    # amax.detach(): the article gives amax no gradient, and this kernel has none for it.
    step = (amax.detach().to(torch.float64) / float(qmax)).to(torch.float32)  # qmax = max_bound
    if plan.axis is None:
        zero = torch.zeros(1, dtype=torch.int32, device=x.device)
        return torch.fake_quantize_per_tensor_affine(x, step.reshape(1), zero, qmin, qmax)
    if plan.flatten:
        flat = x.reshape(-1)
        scale = step.expand(plan.shape).reshape(-1).contiguous()
        zero = torch.zeros(scale.numel(), dtype=torch.int32, device=x.device)
        out = torch.fake_quantize_per_channel_affine(flat, scale, zero, 0, qmin, qmax)
        return out.reshape(plan.shape)
    scale = step.reshape(-1).contiguous()
    zero = torch.zeros(scale.numel(), dtype=torch.int32, device=x.device)
    return torch.fake_quantize_per_channel_affine(x, scale, zero, plan.axis, qmin, qmax)



def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8):
    """SPEC 6.1 ported to ``torch.fake_quantize_per_{tensor,channel}_affine`` with a zero point.

    The article's step and zero point (``_article.affine_params``), then the
    kernel with ``scale = step`` (a float32 tensor, as the kernel takes it),
    ``zero_point = min_bound - round(min_range / step)`` (int32) and the
    article's ``[min_bound, max_bound]``. The kernel computes ``(clamp(round(x
    * (1 / scale)) + zp) - zp) * scale``: the article's formula with the
    division by the step replaced by a multiplication by its reciprocal. The
    inputs are taken in the dtype PyTorch promotion gives the article's
    ``inputs / step``. A per-channel range (one dimension of the ranges not 1)
    is the per-channel kernel on that axis, one scale and zero point per channel.
    """
    params = affine_params(inputs, min_range, max_range, num_bits, max_bits=31,
                           kernel="torch.fake_quantize_*")
    x = inputs.to(params.dtype)
    plan = layout(x.shape, params.step.shape)
    x = x if tuple(x.shape) == plan.shape else x.expand(plan.shape)
    scale = params.step.to(torch.float32)
    zero_point = params.zero_point.to(torch.int32)
    bounds = params.min_bound, params.max_bound
    if plan.axis is None:
        return torch.fake_quantize_per_tensor_affine(x, scale.reshape(1), zero_point.reshape(1),
                                                     *bounds)
    if plan.flatten:
        out = torch.fake_quantize_per_channel_affine(
            x.reshape(-1), scale.expand(plan.shape).reshape(-1).contiguous(),
            zero_point.expand(plan.shape).reshape(-1).contiguous(), 0, *bounds)
        return out.reshape(plan.shape)
    return torch.fake_quantize_per_channel_affine(
        x, scale.reshape(-1).contiguous(), zero_point.reshape(-1).contiguous(), plan.axis,
        *bounds)


def scaled_e4m3(inputs, amax=None, E=4, M=3):  # noqa: N803 - the article's names
    """SPEC 6.3 ported to torch's ``.to(torch.float8_e4m3fn)`` cast.

    torch 2.13's cast saturates finite overflow and inf to +-448 on CPU
    (tests/test_adapters.py pins it; ml_dtypes' cast gives NaN there). On CUDA
    it was not measured here: a CUDA run of e4m3_values would show it.

    The article's code with its E4M3 conversion replaced by the cast to
    ``torch.float8_e4m3fn`` and back to the dtype it came from: ``e4m3(x)``
    without amax, else ``e4m3(x * s) / s`` with ``s = 448 / amax``, then
    ``|x| < 2**-24`` set to +0. The straight-through gradient is the article's
    (``grad_output`` where ``|x| <= amax``, amax as float32, 448 without it):
    torch's cast has none, so the port writes it.
    """
    if E != 4 or M != 3:
        raise NotImplementedError("Only support E=4 & M=3 for now.")
    return _ScaledE4M3.apply(inputs, amax)


def _e4m3_cast(values):
    return values.to(torch.float8_e4m3fn).to(values.dtype)


class _ScaledE4M3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, amax):
        ctx.save_for_backward(inputs, amax)
        if amax is None:
            outputs = _e4m3_cast(inputs)
        else:
            scale = E4M3_MAX / amax
            outputs = _e4m3_cast(inputs * scale) / scale
        return apply_e4m3_zero_mask(inputs, outputs)

    @staticmethod
    def backward(ctx, grad_outputs):
        inputs, amax = ctx.saved_tensors
        bound = (torch.tensor(E4M3_MAX, device=inputs.device) if amax is None
                 else amax.to(torch.float32))
        grad = torch.where(inputs.abs() <= bound, grad_outputs, grad_outputs.new_zeros(()))
        return grad, None
