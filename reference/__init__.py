"""The NumPy reference oracle for pytorch-quantization's ``tensor_quant``.

It imports no torch. Every rule of SPEC.md sections 1-3 lives in one place:
descriptors in ``descriptor``, the quantize body in ``quantize``, the public
functions and the straight-through gradient in ``functions``, the amax of a
descriptor axis in ``amax``. PyTorch's dtype rules, which bit-exactness
depends on, are emulated in ``_torch_ops`` and ``_xp``. SPEC.md section 6
(the rest of upstream's module): ``affine`` (``fake_affine_tensor_quant``),
``fp8`` (``scaled_e4m3``), the descriptor's serialization methods, and
``legacy_fake_tensor_quant``, the article's path under its 2.2.1 name.
"""

from . import descriptor
from ._xp import BFLOAT16, FLOAT_DTYPES, UINT, dtype_name
from .affine import affine_ste_gradient, fake_affine_tensor_quant
from .amax import compute_amax
from .descriptor import *  # noqa: F403  (SPEC 1: the descriptor class and the QUANT_DESC_*)
from .fp8 import E4M3_MAX, e4m3, e4m3_ste_gradient, scaled_e4m3
from .functions import fake_tensor_quant, ste_gradient, tensor_quant
from .quantize import EPSILON, bounds
from .semantics import ARTICLE, Semantics

# SPEC 6.3: upstream 2.2.1's name for the article's pure path (same values, same STE).
legacy_fake_tensor_quant = fake_tensor_quant

__all__ = [
    *descriptor.__all__,
    "ARTICLE",
    "BFLOAT16",
    "E4M3_MAX",
    "EPSILON",
    "FLOAT_DTYPES",
    "Semantics",
    "UINT",
    "affine_ste_gradient",
    "bounds",
    "compute_amax",
    "dtype_name",
    "e4m3",
    "e4m3_ste_gradient",
    "fake_affine_tensor_quant",
    "fake_tensor_quant",
    "legacy_fake_tensor_quant",
    "scaled_e4m3",
    "ste_gradient",
    "tensor_quant",
]
