"""Target ``brevitas``: Brevitas's integer quantization of a tensor with a given scale.

``brevitas.core.quant.IntQuant`` is the module every Brevitas QAT layer runs
once its scaling module has produced a scale: ``to_int`` computes
``clamp(round_ste(x / scale + zero_point), min_int, max_int)`` and
``forward`` returns ``(q - zero_point) * scale``. The adapter hands it the
article's step ``amax / max_bound`` (float64, rounded once to float32, the
precision of Brevitas's scale parameters; not detached, since a learned
Brevitas scale takes a gradient), a float32 zero point of 0 and the width.
``amax`` broadcasts against the inputs by PyTorch's rules, as in the article.
Brevitas's unsigned narrow range is ``[0, 2**n - 2]``; the article ignores
``narrow_range`` when unsigned, so unsigned calls pass ``narrow_range=False``.
"""

from __future__ import annotations

import torch

from . import Unsupported, require
from ._layout import integer_range

_int_base = require("brevitas.core.quant.int_base", "brevitas", "brevitas")

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant"]

CONFORMANCE_TARGET = {
    "name": "Brevitas IntQuant (QAT integer quantization)",
    "devices": ("cpu",),  # measured on CPU only
    # The fingerprint's closest combination: x / scale, (q - zp) * scale, no zero-amax
    # threshold, the gradient masked by the clamp of the rounded code.
    "variations": ("quantize_divide_step", "dequantize_multiply_step", "zero_amax_none",
                   "ste_rounded_code"),
    "expectations": "expectations/brevitas.toml",
}


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize-dequantize through ``brevitas.core.quant.IntQuant``."""
    narrow = narrow_range and not unsigned
    _, max_bound = integer_range(num_bits, unsigned, narrow, Unsupported)
    quant = _int_base.IntQuant(narrow_range=narrow, signed=not unsigned,
                               input_view_impl=torch.nn.Identity())
    step = (amax.to(torch.float64) / float(max_bound)).to(torch.float32)
    zero_point = torch.zeros((), dtype=torch.float32, device=inputs.device)
    bit_width = torch.tensor(float(num_bits), device=inputs.device)
    return quant(step, zero_point, bit_width, inputs)
