"""Builds the STE from detach() arithmetic, which turns inf outputs into NaN under grad; breaks SPEC 3.

The forward values are computed on detached tensors and the gradient is
attached as ``out - (gate.detach() - gate)`` with ``gate = where(|x| <= amax,
x, 0)``. That is exact while the gate is finite, but the comparison runs in
the inputs' dtype (PyTorch promotion): for float16 inputs an amax above
65504 becomes inf, so an infinite input passes the gate and ``inf - inf``
makes the output NaN, only when the inputs require grad (SPEC 3: the STE
belongs to backward; the forward must not change). It was first written as
a correct member; the engine's forward-with-grad draws (quick profile,
seeds 3 and 5) found it, and the vector fp16_inf_inputs_amax_beyond_fp16
pins it.
"""

import torch

from reference.descriptor import ScaledQuantDescriptor as QuantDescriptor

__all__ = ["QuantDescriptor", "fake_tensor_quant", "tensor_quant"]

CAUGHT_BY = frozenset({"golden_vectors"})


def _forward(inputs, amax, num_bits, unsigned, narrow_range):
    """SPEC section 2 on detached tensors: ``(codes, multiplier, input dtype)``."""
    if unsigned and inputs.min() < 0.0:
        raise TypeError("Negative values encountered in unsigned quantization.")
    dtype = inputs.dtype
    x = inputs.detach()
    a = amax.detach()
    if dtype == torch.float16:
        x = x.float()
    if a.dtype == torch.float16:
        a = a.float()
    if a.min() < 0:
        raise ValueError("Negative values in amax")
    with torch.no_grad():
        hi = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0, device=a.device)
        lo = 0 if unsigned else (-hi if narrow_range else -hi - 1)
        zero_amax = (a <= 2.0**-24) & (a.min() <= 2.0**-24)  # gated on the whole amax
        multiplier = (hi / a).masked_fill(zero_amax, 0.0)
        codes = (x * multiplier).round().clamp(lo, hi)
        multiplier = multiplier.masked_fill(zero_amax, 1.0)
        if dtype == torch.float16:
            codes = codes.half()
    return codes, multiplier, dtype


def _attach_ste(values, inputs, amax):
    """``values`` with the clipped straight-through gradient to ``inputs``."""
    if not (torch.is_grad_enabled() and inputs.requires_grad):
        return values
    gate = torch.where(inputs.abs() <= amax.detach(), inputs, torch.zeros((), dtype=inputs.dtype))
    return values - (gate.detach() - gate)


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``(codes, scale)``; see SPEC sections 2 and 3."""
    codes, multiplier, dtype = _forward(inputs, amax, num_bits, unsigned, narrow_range)
    if codes.dtype == torch.float16 and multiplier.max() > 65504:
        raise ValueError(f"scale is too large for FP16 with amax={amax}")
    return _attach_ste(codes, inputs, amax), multiplier.to(dtype)


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """``codes / scale`` in the inputs' dtype; see SPEC sections 2 and 3."""
    codes, multiplier, dtype = _forward(inputs, amax, num_bits, unsigned, narrow_range)
    return _attach_ste(codes / multiplier.to(dtype), inputs, amax)
