"""The NumPy reference oracle for pytorch-quantization's ``tensor_quant``.

It imports no torch. Every rule of SPEC.md sections 1-3 lives in one place:
descriptors in ``descriptor``, the quantize body in ``quantize``, the public
functions and the straight-through gradient in ``functions``, the amax of a
descriptor axis in ``amax``. PyTorch's dtype rules, which bit-exactness
depends on, are emulated in ``_torch_ops`` and ``_xp``.
"""

from . import descriptor
from ._xp import BFLOAT16, FLOAT_DTYPES, UINT, dtype_name
from .amax import compute_amax
from .descriptor import *  # noqa: F403  (SPEC 1: the descriptor class and the QUANT_DESC_*)
from .functions import fake_tensor_quant, ste_gradient, tensor_quant
from .quantize import EPSILON, bounds
from .semantics import ARTICLE, Semantics

__all__ = [
    *descriptor.__all__,
    "ARTICLE",
    "BFLOAT16",
    "EPSILON",
    "FLOAT_DTYPES",
    "Semantics",
    "UINT",
    "bounds",
    "compute_amax",
    "dtype_name",
    "fake_tensor_quant",
    "ste_gradient",
    "tensor_quant",
]
