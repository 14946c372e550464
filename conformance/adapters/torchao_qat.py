"""Target ``torchao-qat``: torchao's QAT fake quantizer, the module a QAT model runs.

``torchao.quantization.qat.IntxFakeQuantizer`` configured symmetric and
static (``is_dynamic=False``), its ``scale`` set to the article's step
``amax / max_bound`` (``_torchao``) and its zero point to 0, called as a
module. Its integer range comes from the dtype alone (``torch.int8``,
``torch.int1`` .. ``torch.int7``, ``torch.uint1`` .. ``torch.uint8``), so the
signed range is always the full one (declared: ``always_full_range``) and
widths above 8 bits raise ``Unsupported``.

The quantizer takes 2-D inputs and groups of at least 2 elements along the
last dimension. Every call is therefore laid out the same way: each element
of the article's output shape becomes a row holding it twice, with the row's
own scale (group size 2). That is the same arithmetic element by element,
and it covers per-tensor, per-channel and any broadcast amax alike.
"""

from __future__ import annotations

import torch

from . import Unsupported, require
from ._layout import integer_range
from ._torchao import Blocks, check_dtype

_qat = require("torchao.quantization.qat", "torchao", "torchao-qat")
_granularity = require("torchao.quantization.granularity", "torchao", "torchao-qat")

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant"]

CONFORMANCE_TARGET = {
    "name": "torchao IntxFakeQuantizer (QAT, static scale)",
    "devices": ("cpu",),  # measured on CPU only
    # As torchao-primitive (the same _fake_quantize_affine), plus the dtype's full range.
    "variations": ("quantize_multiply_reciprocal", "dequantize_multiply_step", "compute_float32",
                   "zero_amax_none", "always_full_range", "ste_rounded_code"),
    "expectations": "expectations/torchao_qat.toml",
}


def _dtype(num_bits: int, unsigned: bool) -> torch.dtype:
    name = f"{'u' if unsigned else ''}int{num_bits}"
    if not 1 <= num_bits <= 8 or not hasattr(torch, name):
        raise Unsupported(f"torchao's IntxFakeQuantizer targets integer dtypes up to 8 bits; "
                          f"torch.{name} is not one")
    return getattr(torch, name)


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Fake quantization through an ``IntxFakeQuantizer`` module with a fixed scale."""
    check_dtype(inputs, "torchao's IntxFakeQuantizer")
    dtype = _dtype(num_bits, unsigned)
    _, max_bound = integer_range(num_bits, unsigned, False, Unsupported)
    blocks = Blocks(inputs, amax, max_bound)
    step = blocks.full_step.reshape(-1, 1)  # one scale per element (row)
    rows = blocks.x.reshape(-1, 1).expand(-1, 2)
    config = _qat.IntxFakeQuantizeConfig(dtype, _granularity.PerGroup(2), is_symmetric=True,
                                         is_dynamic=False)
    quantizer = _qat.IntxFakeQuantizer(config)
    quantizer.scale = step
    quantizer.zero_point = torch.zeros(step.shape, dtype=torch.int32, device=inputs.device)
    return quantizer(rows)[:, 0].reshape(blocks.shape)
