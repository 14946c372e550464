"""Target ``quanto``: optimum-quanto's int8 quantize/dequantize of a tensor.

Per-tensor calls go through ``quantize_activation(x, qint8, scale)`` (how
quanto quantizes activations: one scalar scale), per-channel calls on the
weight rows through ``quantize_weight(x, qint8, 0, scale)`` (how it
quantizes weights; each element is a row of its own, the same arithmetic
element by element, so any broadcast amax works); both are dequantized with
``.dequantize()``. quanto
computes ``clamp(round(x / scale), -128, 127)`` into ``torch.int8`` and
``scale * q`` back, with the scale in the input's dtype (its convention:
``absmax_scale`` returns the input dtype), so the adapter passes the
article's step ``amax / 127`` computed in the input's dtype. qint8 has no
narrow range (declared: ``always_full_range``); other widths and unsigned
calls raise ``Unsupported``. Both autograd
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
    # What quanto's source does (x / scale, scale * q, no zero-scale threshold, int8's full
    # range, pass-through gradients); its step in the input dtype makes no combination fit.
    "variations": ("quantize_divide_step", "dequantize_multiply_step", "zero_amax_none",
                   "always_full_range", "ste_pass_through"),
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
    # quanto quantizes weights along axis 0 or -1 of a tensor of 2 or more dimensions, each
    # of size 2 or more: every element becomes a row holding it twice, with its own scale.
    rows = x.reshape(-1, 1).expand(-1, 2)
    scales = step.expand(plan.shape).reshape(-1, 1)
    q = _quanto.quantize_weight(rows, qtype=_quanto.qint8, axis=0, scale=scales, optimized=False)
    return q.dequantize()[:, 0].reshape(plan.shape)


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
