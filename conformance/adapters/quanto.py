"""Target ``quanto``: optimum-quanto's int8 quantize/dequantize of a tensor.

Per-tensor calls go through ``quantize_activation(x, qint8, scale)`` (how
quanto quantizes activations: one scalar scale), per-channel calls on the
first or last axis through ``quantize_weight(x, qint8, axis, scale)`` (how
it quantizes weights); both are dequantized with ``.dequantize()``. quanto
computes ``clamp(round(x / scale), -128, 127)`` into ``torch.int8`` and
``scale * q`` back, with the scale in the input's dtype (its convention:
``absmax_scale`` returns the input dtype), so the adapter passes the
article's step ``amax / 127`` computed in the input's dtype. qint8 has no
narrow range (declared: ``always_full_range``); other widths, unsigned
calls and amax on a middle axis raise ``Unsupported``. Both autograd
functions pass the gradient straight through.

SPEC 6.3's ``scaled_e4m3`` is quanto's float8 activation quantization:
``quantize_activation(x, qfloat8_e4m3fn, scale)`` with the step
``amax / 448`` (1 without amax) in the input's dtype, then ``dequantize()``.
"""

from __future__ import annotations

import torch

from . import Unsupported, require
from ._layout import layout

_quanto = require("optimum.quanto", "quanto", "quanto")

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant", "scaled_e4m3"]

CONFORMANCE_TARGET = {
    "name": "optimum-quanto qint8 quantize/dequantize",
    "devices": ("cpu",),  # measured on CPU only
    # The fingerprint's closest combination; quanto's step in the input dtype fits none.
    "variations": ("compute_opmath", "zero_amax_none", "always_full_range", "ste_pass_through"),
    "expectations": "expectations/quanto.toml",
}


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize to qint8 with the step ``amax / 127``, then dequantize."""
    if num_bits != 8 or unsigned:
        raise Unsupported("quanto's QBytes tensors hold signed 8-bit integers (qint8) only, "
                          f"not {'unsigned ' if unsigned else ''}{num_bits}-bit")
    plan = layout(inputs.shape, amax.shape)
    x = inputs if tuple(inputs.shape) == plan.shape else inputs.expand(plan.shape)
    step = amax.to(inputs.dtype) / 127
    if plan.axis is None:
        q = _quanto.quantize_activation(x, qtype=_quanto.qint8, scale=step.reshape(()))
        return q.dequantize().reshape(plan.shape)
    ndim = len(plan.shape)
    if plan.flatten or plan.axis not in (0, ndim - 1) or ndim < 2:
        raise Unsupported("quanto quantizes per axis along the first or last axis of a tensor of "
                          f"2 or more dimensions only, not amax {tuple(amax.shape)} against "
                          f"inputs {tuple(inputs.shape)}")
    axis = 0 if plan.axis == 0 else -1
    shape = [1] * ndim
    shape[plan.axis] = plan.shape[plan.axis]
    q = _quanto.quantize_weight(x, qtype=_quanto.qint8, axis=axis, scale=step.reshape(shape),
                                optimized=False)
    return q.dequantize()


def scaled_e4m3(inputs, amax=None, E=4, M=3):
    """SPEC 6.3 through quanto's qfloat8_e4m3fn activations, step ``amax / 448``."""
    if (E, M) != (4, 3):
        raise NotImplementedError(f"E{E}M{M} is not supported; only E4M3")
    if amax is None:
        step = torch.ones((), dtype=inputs.dtype, device=inputs.device)
    else:
        if amax.numel() != 1:
            raise Unsupported("quanto quantizes activations with one scalar scale")
        step = (amax.to(inputs.dtype) / 448).reshape(())
    q = _quanto.quantize_activation(inputs, qtype=_quanto.qfloat8_e4m3fn, scale=step)
    return q.dequantize()
