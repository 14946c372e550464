"""Target ``torchao-primitive``: torchao's affine fake-quantize primitive.

``torchao.quantization.quant_primitives._fake_quantize_affine`` (the op its
QAT fake quantizers and ``quantize_affine``/``dequantize_affine`` pairs are
built from) with ``scale = amax / max_bound`` (``_torchao``), an int32 zero
point of 0 in the integer domain (torchao's symmetric mapping), and
``[quant_min, quant_max]`` the article's range. It computes
``clamp(round(x * (1 / scale)) + zero_point, qmin, qmax)`` then
``(q - zero_point) * scale``; the backward is autograd's through its
straight-through ``_Round``. float64 inputs are refused by torchao itself.
"""

from __future__ import annotations

import torch

from . import Unsupported
from ._layout import integer_range
from ._torchao import Blocks, check_bound, check_dtype, primitives

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant"]

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
