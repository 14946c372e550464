"""Target ``quanto``: optimum-quanto's integer quantize/dequantize of a tensor.

8-bit signed calls are quanto's qint8 (``QBytesTensor``): per-tensor calls go
through ``quantize_activation(x, qint8, scale)`` (how quanto quantizes
activations: one scalar scale), per-channel calls through
``quantize_weight(x, qint8, 0, scale)`` (how it quantizes weights); quanto
computes ``clamp(round(x / scale), -128, 127)`` into ``torch.int8`` and
``scale * q`` back. 2- and 4-bit calls, signed or unsigned, are quanto's
``qint2``/``qint4`` weights (``QBitsTensor``), always affine in quanto: an
integer shift (zero point) ``s`` gives ``clamp(round(x / scale) + s, 0,
2**n - 1)`` into ``torch.uint8`` and ``scale * (q - s)`` back, so the shift
``2**(n-1)`` is the article's signed full range ``[-2**(n-1), 2**(n-1) - 1]``
and the shift 0 its unsigned range ``[0, 2**n - 1]``. Weights are quantized
per row, so every element becomes a row of its own (the same arithmetic
element by element; any broadcast amax works). The scale has the input's
dtype (quanto's convention: ``absmax_scale`` returns the input dtype), so the
adapter passes the article's step ``amax / max_bound`` computed in the
input's dtype. quanto has no narrow range (declared: ``always_full_range``);
other widths, and unsigned 8-bit calls (qint8 takes no shift), raise
``Unsupported``. Every quanto quantizer passes the gradient straight through.

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
    "name": "optimum-quanto qint8/qint4/qint2 quantize/dequantize",
    "devices": ("cpu",),  # measured on CPU only
    # What quanto's source does (x / scale, scale * q, no zero-scale threshold, int8's full
    # range, pass-through gradients); its step in the input dtype makes no combination fit.
    "variations": ("quantize_divide_step", "dequantize_multiply_step", "zero_amax_none",
                   "always_full_range", "ste_pass_through"),
    "expectations": "expectations/quanto.toml",
}


#: quanto's integer qtypes by width: qint8 bytes (signed only), qint4/qint2 affine bits
_QTYPES = {8: "qint8", 4: "qint4", 2: "qint2"}


def _build_extension() -> None:
    """Compile quanto's C++ unpack kernel now, at import.

    quanto builds it (ninja, into its site-packages) on the first 2- or 4-bit
    dequantize; on a fresh machine that takes a minute, which inside the first
    call counts as a hung call (CI saw exactly that). Import has its own,
    longer timeout (``--import-timeout``) for such one-time set-up.
    """
    from optimum.quanto.library.extensions import get_extension, is_extension_available

    if is_extension_available("quanto_cpp"):
        get_extension("quanto_cpp").lib  # noqa: B018 (the property builds and loads it)


_build_extension()


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize to quanto's ``num_bits`` qtype with the step ``amax / max_bound``, then
    dequantize."""
    if num_bits not in _QTYPES or (unsigned and num_bits == 8):
        raise Unsupported("quanto's integer qtypes are qint8 (signed; no shift allowed), qint4 "
                          f"and qint2, not {'unsigned ' if unsigned else ''}{num_bits}-bit")
    qtype = getattr(_quanto, _QTYPES[num_bits])
    plan = layout(inputs.shape, amax.shape)
    x = inputs if tuple(inputs.shape) == plan.shape else inputs.expand(plan.shape)
    max_bound = 2 ** num_bits - 1 if unsigned else 2 ** (num_bits - 1) - 1
    step = amax.to(inputs.dtype) / max_bound
    if plan.axis is None and num_bits == 8:
        q = _quanto.quantize_activation(x, qtype=qtype, scale=step.reshape(()))
        return q.dequantize().reshape(plan.shape)
    # quanto quantizes weights along axis 0 or -1 of a tensor of 2 or more dimensions, each
    # of size 2 or more: every element becomes a row holding it twice, with its own scale.
    # The second copy is detached, so the gradient reaches each element from its row's first
    # column alone (a sum of both columns would turn a -0 gradient into +0).
    flat = x.reshape(-1, 1)
    rows = torch.cat([flat, flat.detach()], dim=1)
    scales = step.expand(plan.shape).reshape(-1, 1)
    if num_bits == 8:
        q = _quanto.quantize_weight(rows, qtype=qtype, axis=0, scale=scales, optimized=False)
    else:
        shift = torch.full_like(scales, 0 if unsigned else 2 ** (num_bits - 1),
                                dtype=torch.int8)
        q = _quanto.quantize_weight(rows, qtype=qtype, axis=0, scale=scales, shift=shift,
                                    optimized=False)
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
