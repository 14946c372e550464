"""SPEC.md section 3: ``tensor_quant``, ``fake_tensor_quant`` and their STE.

The functions take NumPy (or CuPy) arrays where the article takes tensors,
and return arrays whose dtype, shape and bits are those the article's
PyTorch code returns on CPU. bfloat16 arrays use ``ml_dtypes.bfloat16``.
"""

from __future__ import annotations

import numpy as np

from . import _torch_ops as ops
from ._xp import FLOAT16, FLOAT32, array_namespace, cast, result_type
from .quantize import _as_array, bounds, quantize
from .semantics import ARTICLE, Semantics

__all__ = ["fake_tensor_quant", "ste_gradient", "tensor_quant"]

#: The largest finite float16; a larger scale overflows when cast to float16.
FP16_MAX = 65504


def tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True, *,
                 semantics: Semantics = ARTICLE):
    """Quantize: returns ``(codes, scale)``, codes as floats of the article's dtype.

    Raises ``ValueError`` when the codes are float16 and the scale exceeds
    65504, as the article's ``TensorQuantFunction.forward`` does.
    """
    q = quantize(inputs, amax, num_bits, unsigned, narrow_range, semantics=semantics)
    xp = array_namespace(q.scale)
    # SPEC 3: the FP16 scale-overflow check, on the float32 scale. PyTorch compares a
    # tensor with the scalar 65504 in the tensor's dtype: a bfloat16 scale (a bfloat16
    # per-channel amax) meets 65504 rounded to bfloat16, which is 65536.
    limit = float(np.asarray(FP16_MAX, dtype=np.float64).astype(q.scale.dtype))
    if q.codes.dtype == FLOAT16 and xp.max(q.scale.astype(np.float64)) > limit:
        raise ValueError(f"scale is too large for FP16 with amax={amax!r}")
    return q.codes, cast(q.scale, q.input_dtype)


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True, *,
                      semantics: Semantics = ARTICLE):
    """Quantize then dequantize: ``codes / scale.to(inputs.dtype)``.

    No overflow error here: for float16 inputs a scale above 65504 becomes
    inf in float16 and the outputs 0, as in the article.
    """
    q = quantize(inputs, amax, num_bits, unsigned, narrow_range, semantics=semantics)
    if semantics.compute == "article":
        # The article's output dtype: codes promoted with the input dtype.
        out_dtype = result_type(q.codes, q.scale.astype(q.input_dtype))
    else:
        out_dtype = q.input_dtype  # the kernels that upcast cast back once
    if semantics.dequantize == "multiply_step":
        # Every kernel that multiplies by the step holds the codes as integers
        # (so a -0 code is +0: adding +0.0 does that) and multiplies in float32
        # (C++ ``int64 * float``; ONNX DequantizeLinear's float scale).
        integer_codes = q.wide_codes.astype(FLOAT32) + FLOAT32.type(0)
        wide = ops.mul(integer_codes, q.step.astype(FLOAT32))
        return wide.astype(out_dtype)
    if semantics.compute != "article":
        return ops.div(q.wide_codes, q.scale).astype(out_dtype)
    # SPEC 3: division by the multiplier cast to the input dtype.
    return ops.div(q.codes, cast(q.scale, q.input_dtype))


def ste_gradient(inputs, amax, grad_output, num_bits=8, unsigned=False,
                 narrow_range=True, *, semantics: Semantics = ARTICLE):
    """The input gradient of both functions: the clipped straight-through estimator.

    ``grad_output`` where ``|inputs| <= amax`` (inclusive, on the raw inputs
    in their own dtypes, compared under PyTorch promotion) and 0 elsewhere;
    NaN inputs get 0. The result has the dtype and shape of ``inputs``, as
    autograd casts it. amax gets no gradient (the article returns None).
    """
    xp = array_namespace(inputs, amax, grad_output)
    inputs = _as_array(xp, inputs, "inputs")
    amax = _as_array(xp, amax, "amax")
    grad_output = _as_array(xp, grad_output, "grad_output")
    if np.broadcast_shapes(inputs.shape, amax.shape, grad_output.shape) != inputs.shape:
        raise ValueError(
            f"the gradient is defined here only when amax {amax.shape} and "
            f"grad_output {grad_output.shape} broadcast to inputs {inputs.shape}."
        )
    if semantics.ste_mask == "pass_through":
        mask = xp.ones(inputs.shape, dtype=bool)
    elif semantics.ste_mask == "rounded_code":
        # qmin <= rounded code <= qmax, on the forward's own unclamped code.
        rounded = quantize(inputs, amax, num_bits, unsigned, narrow_range,
                           semantics=semantics).rounded
        min_bound, max_bound = bounds(num_bits, unsigned, narrow_range, semantics)
        with np.errstate(invalid="ignore"):
            mask = (rounded >= min_bound) & (rounded <= max_bound)
    else:
        # SPEC 3: |x| <= amax, inclusive, on the raw saved inputs.
        mask = ops.le(xp.abs(inputs), amax)
    if semantics.ste_apply == "multiply":  # grad_output * mask: NaN * 0 is NaN, -g * 0 is -0
        grad = ops.mul(xp.broadcast_to(grad_output, mask.shape), mask.astype(grad_output.dtype))
    else:
        zero = xp.zeros((), grad_output.dtype)
        grad = xp.where(mask, grad_output, zero)
        if inputs.ndim == 0 and semantics.ste_mask != "pass_through":
            # SPEC 3: the article's zero is ``grad_outputs.new_zeros(1)``, so where()
            # returns shape (1,) for 0-d inputs and autograd sums it back to (): a
            # sum starts from +0, so a passed -0 gradient arrives as +0.
            grad = grad + zero
    return xp.broadcast_to(grad, inputs.shape).astype(inputs.dtype)

