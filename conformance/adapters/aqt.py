"""Target ``aqt``: Google's AQT (``aqtp``) fake quantization in JAX, on the CPU.

The article's call becomes AQT's own quantizer: ``aqt_quantizer.Quantizer``
with ``IntSymmetric`` numerics (``preserve_zero=True``, ``clip=True``,
``round=True``, the integer container AQT picks for the width) and a
``ConstantCalibration`` whose bound is amax; ``quant`` then ``dequant``.
AQT computes ``scale = bound / quant_bound``, ``q = x * reciprocal(scale)``
(an infinite reciprocal becomes 1), clips to the bucket edge, rounds half to
even, casts to the container, and returns ``q * scale``. ``preserve_max_val``
is True so that amax is the centre of the last bucket (``quant_bound`` =
``2**(n-1) - 1``, the article's ``max_bound``); AQT's default (False) puts it
on the bucket's far edge, a different step by design. AQT's symmetric range
is always narrow (it loses the -2**(n-1) bucket to keep zero) and has no
unsigned form: ``narrow_range=False`` is the ``always_narrow`` variation and
unsigned calls raise ``Unsupported``.

Tensors cross as NumPy arrays of the same dtype (bfloat16 through
``ml_dtypes``); float64 stays float64 because the call runs under
``jax.enable_x64``. The backward is AQT's numerics ``vjp_bwd`` (with AQT's
default ``clip_gradient=False``, the gradient passes through); the scale
takes no gradient (``scale_stop_grad``).

SPEC 6.3's ``scaled_e4m3`` is the same quantizer with AQT's ``Fp8Numerics``
(``float8_e4m3fn``: clip to +-448, round to nearest even) and the bound amax
(448 without amax, so that the scale is 1).
"""

from __future__ import annotations

import functools

import ml_dtypes
import numpy as np
import torch

from . import Unsupported, require
from ._bridge import require_cpu, sum_to_shape
from ._layout import layout

_jax = require("jax", "aqt", "aqt")
_quantizer = require("aqt.jax.v2.aqt_quantizer", "aqt", "aqt")
_calibration = require("aqt.jax.v2.calibration", "aqt", "aqt")
_int_numerics = require("aqt.jax.v2.numerics.int_numerics", "aqt", "aqt")
_fp8_numerics = require("aqt.jax.v2.numerics.fp8_numerics", "aqt", "aqt")
_utils = require("aqt.jax.v2.utils", "aqt", "aqt")

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant", "scaled_e4m3"]

CONFORMANCE_TARGET = {
    "name": "AQT (aqtp) IntSymmetric fake quant, JAX on CPU",
    "devices": ("cpu",),
    # What AQT's source does and the fingerprint's closest combination confirms: x times the
    # reciprocal of the step, q times the step, the narrow range, a pass-through gradient.
    "variations": ("quantize_multiply_reciprocal", "dequantize_multiply_step", "always_narrow",
                   "ste_pass_through"),
    "expectations": "expectations/aqt.toml",
}

_NUMPY_VIEW = {torch.bfloat16: (torch.int16, ml_dtypes.bfloat16)}


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    """The tensor's values in a NumPy array of the same dtype (bfloat16 bit for bit)."""
    t = t.detach().contiguous()
    if t.dtype in _NUMPY_VIEW:
        carrier, dtype = _NUMPY_VIEW[t.dtype]
        return t.view(carrier).numpy().view(dtype)
    return t.numpy()


def _to_torch(a, dtype: torch.dtype) -> torch.Tensor:
    a = np.array(a, copy=True)
    if dtype in _NUMPY_VIEW:
        carrier, _ = _NUMPY_VIEW[dtype]
        return torch.from_numpy(a.view(np.int16)).view(dtype)
    out = torch.from_numpy(a)
    if out.dtype != dtype:
        raise TypeError(f"AQT returned {out.dtype} for {dtype} inputs")
    return out


def _numerics(num_bits: int):
    if num_bits < 2 or num_bits > 22:
        raise Unsupported(f"AQT's IntSymmetric with preserve_zero takes 2..22 bits, not {num_bits}")
    return _int_numerics.IntSymmetric(
        bits=num_bits, preserve_zero=True, preserve_max_val=True, clip=True,
        clip_gradient=False, round=True, noise_fn=None,
        dtype=_utils.infer_dtype_from_bits(num_bits))


def _quant(x, bound, numerics):
    quantizer = _quantizer.Quantizer(
        numerics=numerics, calib_shared_axes=None, scale_stop_grad=True,
        calibration=functools.partial(_calibration.ConstantCalibration, bound=bound),
        context=_utils.Context(key=None, train_step=None))
    quantizer.init_calibration()
    qt, quant_grad = quantizer.quant(x, calibration_axes=list(range(x.ndim)))
    return qt.dequant(), quant_grad


class _AqtFakeQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, amax, numerics):
        require_cpu("aqt", inputs, amax)
        plan = layout(inputs.shape, amax.shape)
        x = _to_numpy(inputs.expand(plan.shape))
        bound = _to_numpy(amax).reshape(amax.shape)
        with _jax.enable_x64(True):
            y, quant_grad = _quant(_jax.numpy.asarray(x), _jax.numpy.asarray(bound), numerics)
            y = np.asarray(y)
        ctx.quant_grad, ctx.plan, ctx.input_shape = quant_grad, plan, inputs.shape
        return _to_torch(y, inputs.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        g = _to_numpy(grad_output.expand(ctx.plan.shape))
        with _jax.enable_x64(True):
            (dx, *_) = ctx.quant_grad(_jax.numpy.asarray(g))
            dx = np.asarray(dx)
        grad = sum_to_shape(_to_torch(dx, grad_output.dtype), ctx.input_shape)
        return grad, None, None


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Fake quantization through AQT's quantizer (quant, dequant) with amax as the bound."""
    if unsigned:
        raise Unsupported("AQT's IntSymmetric numerics have no unsigned range")
    return _AqtFakeQuant.apply(inputs, amax, _numerics(num_bits))


def scaled_e4m3(inputs, amax=None, E=4, M=3):
    """SPEC 6.3 through AQT's quantizer with ``Fp8Numerics`` (float8_e4m3fn)."""
    if (E, M) != (4, 3):
        raise NotImplementedError(f"E{E}M{M} is not supported; only E4M3")
    if amax is None:
        amax = torch.tensor(448.0, dtype=inputs.dtype, device=inputs.device)
    numerics = _fp8_numerics.Fp8Numerics(dtype=_jax.numpy.float8_e4m3fn, exponent_bits=4,
                                         mantissa_bits=3)
    return _AqtFakeQuant.apply(inputs, amax, numerics)
