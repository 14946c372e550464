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
from ._layout import integer_range, layout

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant"]

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
