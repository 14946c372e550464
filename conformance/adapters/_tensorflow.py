"""TensorFlow's ``fake_quant_with_min_max_*`` ops under the article's API.

Shared by three targets, one per op: ``tf-args`` (``..._args``: min and max
are float attributes, no gradient for them), ``tf-vars`` (``..._vars``: min
and max are scalar tensors that get a gradient) and ``tf-vars-per-channel``
(``..._vars_per_channel``: one min/max per element of the last dimension).

The article's symmetric range is expressed as TF's ``[min, max]`` exactly:

* signed, narrow range: ``[-amax, amax]`` with ``narrow_range=True`` (codes
  1 .. 2**n - 1, whose middle code is the article's 0);
* signed, full range: ``[-amax * (max_bound + 1) / max_bound, amax]`` with
  ``narrow_range=False`` (the step is ``amax / max_bound`` and the article's
  code -max_bound - 1 is TF's 0);
* unsigned: ``[0, amax]`` with ``narrow_range=False`` (the article ignores
  ``narrow_range`` when unsigned).

TF nudges min and max so that zero is a code, shifts by the nudged min,
rounds with ``floor(v + 0.5)`` and computes in float32 only; those are what
the fingerprint and the expectations file measure, not something this
adapter corrects. Widths outside TF's 2..16 bits raise ``Unsupported``.
The gradients are TF's own gradient ops (``FakeQuantWithMinMax*Gradient``),
called on the saved float32 inputs; for the ``vars`` ops the min/max
gradients reach amax through autograd (``min = -c * amax``, ``max = amax``
are torch ops). ``fake_affine_tensor_quant`` (SPEC 6.1) is TF's own kind of
quantization: min_range and max_range go in as min and max.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from . import Unsupported, require, triton_before_tensorflow
from ._bridge import as_float32, from_float32, require_cpu, sum_to_shape
from ._layout import layout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no C++ info lines on every import
triton_before_tensorflow("tensorflow")  # see there: LLVM twice in a process
_tf = require("tensorflow", "tensorflow", "tensorflow")

__all__ = ["TF_VARIATIONS", "fake_affine_quant", "fake_quant"]

#: What every TF op is by its source: float32 only, and a gradient of
#: ``gradients * mask``. No combination of variations fits TF (the fingerprint says so).
TF_VARIATIONS = ("compute_float32", "ste_multiply_mask")


def _lower_factor(num_bits: int, unsigned: bool, narrow_range: bool) -> tuple[float, bool]:
    """``(c, tf_narrow_range)`` with TF's ``min = -c * amax``, ``max = amax``."""
    if unsigned:
        return 0.0, False
    if narrow_range:
        return 1.0, True
    max_bound = 2 ** (num_bits - 1) - 1
    return (max_bound + 1) / max_bound, False


class _Arrangement:
    """The article's call as the op's operands: inputs, and min/max per channel.

    ``range_shape`` is the shape of the range tensors (amax, or min_range and
    max_range). ``per_channel`` False: the range must have one element. True:
    the channel axis becomes the last dimension, as ``..._per_channel`` wants
    it (a one-element range is one channel; several non-1 range dimensions
    are one channel per element, the same arithmetic element by element).
    """

    def __init__(self, inputs, range_shape, *, per_channel: bool, op: str):
        plan = layout(inputs.shape, range_shape)
        if plan.axis is not None and not per_channel:
            raise Unsupported(f"tf.quantization.{op} takes one min and max per tensor, not a "
                              f"range of shape {tuple(range_shape)} (tf-vars-per-channel does)")
        self.plan, self.range_shape, self.per_channel = plan, tuple(range_shape), per_channel
        x = as_float32(inputs.expand(plan.shape))
        self.x = self.to_kernel(x)

    def to_kernel(self, x: np.ndarray) -> np.ndarray:
        """An array of the broadcast shape laid out as the op wants its inputs."""
        if self.plan.axis is None:
            return x.reshape(-1, 1) if self.per_channel else x
        if self.plan.flatten:
            return x.reshape(-1)
        return np.ascontiguousarray(np.moveaxis(x, self.plan.axis, -1))

    def back(self, values) -> np.ndarray:
        """An array laid out like ``self.x`` back in the broadcast shape."""
        values = np.asarray(values)
        if self.plan.axis is not None and not self.plan.flatten:
            values = np.moveaxis(values, -1, self.plan.axis)
        return values.reshape(self.plan.shape)

    def channels(self, bound: torch.Tensor) -> np.ndarray:
        """A range tensor as one float32 value per channel of the op."""
        if self.plan.flatten:
            return as_float32(bound.expand(self.plan.shape)).reshape(-1)
        return as_float32(bound).reshape(-1)

    def range_gradient(self, per_channel_values, dtype) -> torch.Tensor:
        """Gradients per min/max channel summed back onto the range tensor's shape."""
        values = torch.from_numpy(np.array(per_channel_values, dtype=np.float32).reshape(-1))
        if self.plan.axis is None:
            grad = values.reshape(()).expand(self.range_shape)
        elif self.plan.flatten:
            grad = values.reshape(self.plan.shape).sum_to_size(self.range_shape)
        else:
            grad = values.reshape(self.range_shape)
        return grad.to(dtype).contiguous()


class _FakeQuant(torch.autograd.Function):
    """``tf.quantization.<op>(inputs, low, high)``; low and high are range tensors of one
    shape, which get TF's gradients for min and max (the vars ops) or none (args)."""

    @staticmethod
    def forward(ctx, inputs, low, high, num_bits, tf_narrow, op):
        require_cpu(f"tf.quantization.{op}", inputs, low, high)
        if not 2 <= num_bits <= 16:
            raise Unsupported(f"tf.quantization.{op} takes num_bits 2..16, not {num_bits}")
        arr = _Arrangement(inputs, low.shape, per_channel=op.endswith("per_channel"), op=op)
        lo, hi = arr.channels(low), arr.channels(high)
        attrs = {"num_bits": num_bits, "narrow_range": tf_narrow}
        quant = _tf.quantization
        if op == "fake_quant_with_min_max_args":
            y = quant.fake_quant_with_min_max_args(arr.x, min=float(lo[0]), max=float(hi[0]),
                                                   **attrs)
        elif op == "fake_quant_with_min_max_vars":
            y = quant.fake_quant_with_min_max_vars(arr.x, lo.reshape(()), hi.reshape(()), **attrs)
        else:
            y = quant.fake_quant_with_min_max_vars_per_channel(arr.x, lo, hi, **attrs)
        ctx.arrangement, ctx.op, ctx.attrs, ctx.bounds = arr, op, attrs, (lo, hi)
        ctx.dtypes = (inputs.shape, inputs.dtype, low.dtype, high.dtype)
        return from_float32(arr.back(y.numpy()), inputs.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        arr, op, (lo, hi) = ctx.arrangement, ctx.op, ctx.bounds
        input_shape, input_dtype, low_dtype, high_dtype = ctx.dtypes
        g = arr.to_kernel(as_float32(grad_output.expand(arr.plan.shape)))
        raw = _tf.raw_ops
        grad_low = grad_high = None
        if op == "fake_quant_with_min_max_args":
            dx = raw.FakeQuantWithMinMaxArgsGradient(
                gradients=g, inputs=arr.x, min=float(lo[0]), max=float(hi[0]), **ctx.attrs)
        else:
            per_channel = op.endswith("per_channel")
            gradient_op = (raw.FakeQuantWithMinMaxVarsPerChannelGradient if per_channel
                           else raw.FakeQuantWithMinMaxVarsGradient)
            shape = lo.shape if per_channel else ()
            dx, dmin, dmax = gradient_op(gradients=g, inputs=arr.x, min=lo.reshape(shape),
                                         max=hi.reshape(shape), **ctx.attrs)
            grad_low = arr.range_gradient(dmin.numpy(), low_dtype)
            grad_high = arr.range_gradient(dmax.numpy(), high_dtype)
        grad_inputs = sum_to_shape(from_float32(arr.back(dx.numpy()), input_dtype), input_shape)
        return grad_inputs, grad_low, grad_high, None, None, None


def fake_quant(op, inputs, amax, num_bits, unsigned, narrow_range):
    """The article's ``fake_tensor_quant`` through ``tf.quantization.<op>``.

    min and max are computed from amax with torch ops (float64, rounded once to
    float32), so the vars ops' min/max gradients reach amax through autograd.
    """
    factor, tf_narrow = _lower_factor(num_bits, unsigned, narrow_range)
    high = amax.to(torch.float32)
    low = (amax.to(torch.float64) * -factor).to(torch.float32)
    return _FakeQuant.apply(inputs, low, high, num_bits, tf_narrow, op)


def fake_affine_quant(op, inputs, min_range, max_range, num_bits):
    """SPEC 6.1's ``fake_affine_tensor_quant`` through ``tf.quantization.<op>``: TF's own
    kind of quantization (2**num_bits levels from min to max, zero nudged onto a code)."""
    try:
        shape = torch.broadcast_shapes(min_range.shape, max_range.shape)
    except RuntimeError as exc:
        raise ValueError(f"min_range {tuple(min_range.shape)} and max_range "
                         f"{tuple(max_range.shape)} do not broadcast: {exc}") from None
    return _FakeQuant.apply(inputs, min_range.expand(shape), max_range.expand(shape),
                            num_bits, False, op)
