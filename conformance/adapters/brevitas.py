"""Target ``brevitas``: Brevitas's integer quantization of a tensor with a given scale.

``brevitas.core.quant.IntQuant`` is the module every Brevitas QAT layer runs
once its scaling module has produced a scale: ``to_int`` computes
``clamp(round_ste(x / scale + zero_point), min_int, max_int)`` and
``forward`` returns ``(q - zero_point) * scale``. The adapter hands it the
article's step ``amax / max_bound`` (computed in float64 and rounded once to
the inputs' dtype, the dtype a model's scale parameters have after
``model.to(dtype)``; not detached, since a learned Brevitas scale takes a
gradient), a zero point of 0 in the same dtype and the width.
``amax`` broadcasts against the inputs by PyTorch's rules, as in the article.
Brevitas's unsigned narrow range is ``[0, 2**n - 2]``; the article ignores
``narrow_range`` when unsigned, so unsigned calls pass ``narrow_range=False``.

SPEC 6.1's ``fake_affine_tensor_quant`` is the same module with a zero point:
the step ``(max - min) / (2**n - 1)`` and ``quant_zero`` computed the
article's way, the zero point ``-quant_zero`` (Brevitas adds it before
rounding: ``round(x / s + zp)``), signed full range.
"""

from __future__ import annotations

import torch

from . import Unsupported, require, triton_before_tensorflow
from ._layout import integer_range

triton_before_tensorflow("brevitas")  # see there: LLVM twice in a process
_int_base = require("brevitas.core.quant.int_base", "brevitas", "brevitas")

__all__ = ["CONFORMANCE_TARGET", "fake_affine_tensor_quant", "fake_tensor_quant"]

CONFORMANCE_TARGET = {
    "name": "Brevitas IntQuant (QAT integer quantization)",
    "devices": ("cpu",),  # measured on CPU only
    # The fingerprint's closest combination: x / scale, (q - zp) * scale, no zero-amax
    # threshold, the gradient masked by the clamp of the rounded code.
    "variations": ("quantize_divide_step", "dequantize_multiply_step", "zero_amax_none",
                   "ste_rounded_code"),
    "expectations": "expectations/brevitas.toml",
}


def _int_quant(narrow, signed):
    return _int_base.IntQuant(narrow_range=narrow, signed=signed,
                              input_view_impl=torch.nn.Identity())


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize-dequantize through ``brevitas.core.quant.IntQuant``."""
    narrow = narrow_range and not unsigned
    _, max_bound = integer_range(num_bits, unsigned, narrow, Unsupported)
    quant = _int_quant(narrow, not unsigned)
    step = (amax.to(torch.float64) / float(max_bound)).to(inputs.dtype)
    zero_point = torch.zeros((), dtype=inputs.dtype, device=inputs.device)
    bit_width = torch.tensor(float(num_bits), device=inputs.device)
    return quant(step, zero_point, bit_width, inputs)


def fake_affine_tensor_quant(inputs, min_range, max_range, num_bits=8):
    """SPEC 6.1 through ``IntQuant`` with a zero point, in the inputs' dtype."""
    step = (max_range - min_range) / (2.0**num_bits - 1)
    quant_zero = torch.round(min_range / step) + 2.0 ** (num_bits - 1)
    bit_width = torch.tensor(float(num_bits), device=inputs.device)
    return _int_quant(False, True)(step.to(inputs.dtype), (-quant_zero).to(inputs.dtype),
                                   bit_width, inputs)
