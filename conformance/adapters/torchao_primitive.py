"""Target ``torchao-primitive``: torchao's affine fake-quantize primitive.

``torchao.quantization.quant_primitives._fake_quantize_affine`` (the op its
QAT fake quantizers and ``quantize_affine``/``dequantize_affine`` pairs are
built from) with ``scale = amax / max_bound`` (``_torchao``), an int32 zero
point of 0 in the integer domain (torchao's symmetric mapping), and
``[quant_min, quant_max]`` the article's range. It computes
``clamp(round(x * (1 / scale)) + zero_point, qmin, qmax)`` then
``(q - zero_point) * scale``; the backward is autograd's through its
straight-through ``_Round``. float64 inputs are refused by torchao itself.

SPEC 6.1's ``fake_affine_tensor_quant`` is the same primitive on its zero-point
path (the step and the zero point computed the article's way, the zero point
negated into torchao's convention ``q = round(x / s) + zp``), and SPEC 6.3's
``scaled_e4m3`` is torchao's float8 pair ``_quantize_affine_float8`` /
``_dequantize_affine_float8`` (``x / s`` clamped to +-448, cast to
``float8_e4m3fn``, times ``s``) with the step ``s = amax / 448``.
"""

from __future__ import annotations

import torch

from . import Unsupported
from ._layout import integer_range
from ._torchao import Blocks, check_bound, check_dtype, primitives

__all__ = ["CONFORMANCE_TARGET", "fake_affine_tensor_quant", "fake_tensor_quant", "scaled_e4m3"]

CONFORMANCE_TARGET = {
    "name": "torchao _fake_quantize_affine (primitive)",
    "devices": ("cpu",),  # measured on CPU only
    # The fingerprint's closest combination (torchao computes in its float32 scale's
    # precision, multiplies by the reciprocal of the step and back by the step, and its
    # gradient is autograd's through the clamp); what remains is in the expectations.
    "variations": ("quantize_multiply_reciprocal", "dequantize_multiply_step", "compute_float32",
                   "zero_amax_none", "ste_rounded_code"),
    "expectations": "expectations/torchao_primitive.toml",
}


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize-dequantize through torchao's ``_fake_quantize_affine``."""
    check_dtype(inputs, "torchao's _fake_quantize_affine")
    qmin, qmax = integer_range(num_bits, unsigned, narrow_range, Unsupported)
    check_bound(qmax, "torchao-primitive")
    blocks = Blocks(inputs, amax, qmax)
    zero_point = torch.zeros(blocks.step.shape, dtype=torch.int32, device=inputs.device)
    out = primitives._fake_quantize_affine(
        blocks.x, blocks.block_size, blocks.step, zero_point, torch.int32, qmin, qmax)
    return blocks.back(out)


def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8):
    """SPEC 6.1 through ``_fake_quantize_affine`` with a zero point (one range per tensor)."""
    check_dtype(inputs, "torchao's _fake_quantize_affine")
    if min_range.numel() != 1 or max_range.numel() != 1:
        raise Unsupported("the adapter maps one min_range/max_range per tensor onto torchao")
    step = (max_range - min_range) / (2.0**num_bits - 1)
    min_bound, max_bound = -(2 ** (num_bits - 1)), 2 ** (num_bits - 1) - 1
    quant_zero = torch.round(min_range / step) - min_bound
    zero_point = (-quant_zero).reshape(1).to(torch.int32)  # torchao adds its zero point
    out = primitives._fake_quantize_affine(
        inputs, tuple(inputs.shape), step.reshape(1), zero_point, torch.int32, min_bound,
        max_bound)
    return out.reshape(inputs.shape)


def scaled_e4m3(inputs, amax=None, E=4, M=3):
    """SPEC 6.3 through torchao's float8 quantize/dequantize with the step ``amax / 448``."""
    if (E, M) != (4, 3):
        raise NotImplementedError(f"E{E}M{M} is not supported; only E4M3")
    check_dtype(inputs, "torchao's _quantize_affine_float8")
    if amax is None:
        step = torch.ones((), dtype=torch.float32, device=inputs.device)
    else:
        step = (amax.to(torch.float64) / 448.0).to(torch.float32)
    q = primitives._quantize_affine_float8(inputs, step, torch.float8_e4m3fn)
    return primitives._dequantize_affine_float8(q, step, inputs.dtype)
