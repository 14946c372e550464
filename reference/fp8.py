"""SPEC.md section 6.3: ``scaled_e4m3``, FP8 E4M3 fake quantization, and its gradient.

The conversion is NVIDIA's ``__nv_cvt_float_to_fp8(x, __NV_SATFINITE,
__NV_E4M3)``: float32 to E4M3 (4 exponent bits, bias 7, 3 mantissa bits, no
infinities, largest finite 448) rounding to nearest, ties to even, with
finite overflow AND infinities saturating to +-448 and NaN kept. It is
written out here on purpose: ``ml_dtypes.float8_e4m3fn`` casts do not
saturate (464 and up, and inf, become NaN), and whether ``torch``'s cast
saturates depends on its version and device. Each rule is marked
``# SPEC 6.3``; the scaling arithmetic is PyTorch's (``_torch_ops``).
"""

from __future__ import annotations

import numpy as np

from . import _torch_ops as ops
from ._xp import FLOAT32, array_namespace, cast
from .quantize import EPSILON, _as_array

__all__ = ["E4M3_MAX", "e4m3", "e4m3_ste_gradient", "fake_e4m3fy", "scaled_e4m3"]

#: The largest finite E4M3 value: 1.75 * 2**8.
E4M3_MAX = 448.0
#: Explicit mantissa bits, and the exponent of the smallest normal (2**-6).
_MANTISSA_BITS, _MIN_EXPONENT = 3, -6


def e4m3(values):
    """float32 values rounded to E4M3 (SPEC 6.3), returned as float32.

    Every float32 is exact in float64, and so is each quotient and product by
    a power of two below, so ``rint`` does the only rounding: half to even,
    on the grid of the value's binade (``2**(e - 3)``), which below the
    smallest normal is the subnormal grid ``2**-9``. A value that rounds up
    into the next binade lands on that binade's first value, as it should.
    """
    xp = array_namespace(values)
    with np.errstate(invalid="ignore"):  # NaN (signalling ones too) is data here
        wide = xp.asarray(values, dtype=np.float64)
        # SPEC 6.3: saturation first. Values in (448, 464) round to 448 anyway and
        # everything beyond (inf included) saturates to it; NaN passes through.
        clipped = xp.clip(wide, -E4M3_MAX, E4M3_MAX)
        _, exponent = xp.frexp(clipped)  # clipped = m * 2**exponent, 0.5 <= |m| < 1
        # SPEC 6.3: round to nearest even on the binade's grid (the subnormal grid below).
        grid = xp.maximum(exponent - 1 - _MANTISSA_BITS, _MIN_EXPONENT - _MANTISSA_BITS)
        quantum = xp.ldexp(xp.ones_like(clipped), grid)
        rounded = xp.rint(clipped / quantum) * quantum  # keeps the sign of a zero
    return rounded.astype(FLOAT32)


def fake_e4m3fy(values):
    """The CUDA extension's ``fake_e4m3fy``: to float32, to E4M3 and back, in ``values``' dtype.

    A float64 input is rounded to float32 first (two roundings), as the kernel
    does; every E4M3 value is exact in each of the four dtypes.
    """
    return e4m3(cast(values, FLOAT32)).astype(values.dtype)


def scaled_e4m3(inputs, amax=None, E=4, M=3):
    """FP8 E4M3 fake quantization: ``e4m3(x)``, or ``e4m3(x * s) / s`` with ``s = 448 / amax``.

    Raises NotImplementedError unless ``E == 4 and M == 3``; RuntimeError when
    amax does not broadcast against the inputs and IndexError when the
    outputs' leading dimensions are not the inputs' shape (the zero mask has
    the inputs' shape), as PyTorch does.
    """
    # SPEC 6.3: only E4M3.
    if E != 4 or M != 3:
        raise NotImplementedError("Only support E=4 & M=3 for now.")
    xp = array_namespace(inputs) if amax is None else array_namespace(inputs, amax)
    inputs = _as_array(xp, inputs, "inputs")
    # SPEC 6.3: zero_mask = |x| < 2**-24 (exact in every dtype, so compared in float64).
    zero_mask = xp.abs(inputs.astype(np.float64)) < EPSILON
    if amax is None:
        outputs = fake_e4m3fy(inputs)
    else:
        amax = _as_array(xp, amax, "amax")
        try:
            shape = np.broadcast_shapes(inputs.shape, amax.shape)
        except ValueError:
            raise RuntimeError(
                f"amax of shape {amax.shape} does not broadcast against inputs of shape "
                f"{inputs.shape} (PyTorch rules: trailing dimensions align).") from None
        # SPEC 6.3: s = 448 / amax, which PyTorch computes as amax.reciprocal() * 448
        # (Tensor.__rtruediv__): two roundings, in amax's own dtype.
        scale = ops.mul_number(ops.reciprocal(amax), E4M3_MAX)
        # SPEC 6.3: e4m3(x * s) / s, each op under PyTorch promotion.
        outputs = ops.div(fake_e4m3fy(ops.mul(inputs, scale)), scale)
        if shape[:inputs.ndim] != inputs.shape:
            raise IndexError(
                f"The shape of the mask {list(inputs.shape)} does not match the shape of the "
                f"indexed tensor {list(shape)}: amax must not widen the inputs.")
    # SPEC 6.3: outputs[zero_mask] = 0 (a positive zero, whatever the input's sign). A
    # boolean index selects along the LEADING dimensions: where amax widens the inputs
    # by trailing dimensions, whole rows of the outputs are zeroed.
    zero_mask = zero_mask.reshape(inputs.shape + (1,) * (outputs.ndim - inputs.ndim))
    return xp.where(zero_mask, xp.zeros((), outputs.dtype), outputs)


def e4m3_ste_gradient(inputs, amax, grad_output):
    """The input gradient: ``grad_output`` where ``|x| <= amax`` (448 when amax is None), else 0.

    SPEC 6.3: the backward builds ``torch.tensor(amax or 448.0, dtype=float32)``,
    so a float64 amax is rounded to float32 before the inclusive comparison,
    which then follows PyTorch promotion. The result has the inputs' dtype.
    """
    xp = array_namespace(inputs, grad_output) if amax is None else \
        array_namespace(inputs, amax, grad_output)
    inputs = _as_array(xp, inputs, "inputs")
    grad_output = _as_array(xp, grad_output, "grad_output")
    # SPEC 6.3: the clipping bound as a float32 tensor.
    bound = (xp.asarray(E4M3_MAX, dtype=FLOAT32) if amax is None
             else _as_array(xp, amax, "amax").astype(FLOAT32))
    if np.broadcast_shapes(inputs.shape, bound.shape, grad_output.shape) != inputs.shape:
        raise ValueError(
            f"the gradient is defined here only when amax {bound.shape} and grad_output "
            f"{grad_output.shape} broadcast to inputs {inputs.shape}.")
    with np.errstate(invalid="ignore"):  # NaN inputs compare False: gradient 0
        mask = ops.le(xp.abs(inputs), bound)
    grad = xp.where(mask, grad_output, xp.zeros((), grad_output.dtype))
    return cast(xp.broadcast_to(grad, inputs.shape), inputs.dtype)
