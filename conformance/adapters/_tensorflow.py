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
gradients reach amax by the chain rule (``min = -c * amax``, ``max = amax``).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from . import Unsupported, require
from ._bridge import as_float32, from_float32, require_cpu
from ._layout import layout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no C++ info lines on every import
_tf = require("tensorflow", "tensorflow", "tensorflow")

__all__ = ["TF_VARIATIONS", "fake_quant"]

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
    """The article's call as the op's operands: inputs, and one min/max per channel.

    ``per_channel`` False: one amax (any shape with one element). True: the
    channel axis becomes the last dimension, as ``..._per_channel`` wants it
    (a per-tensor amax is one channel; several non-1 amax dimensions are one
    channel per element, the same arithmetic element by element).
    """

    def __init__(self, inputs, amax, *, per_channel: bool, op: str):
        plan = layout(inputs.shape, amax.shape)
        if plan.axis is not None and not per_channel:
            raise Unsupported(f"tf.quantization.{op} takes one min and max per tensor, not an "
                              f"amax of shape {tuple(amax.shape)} (tf-vars-per-channel does)")
        self.plan, self.amax_shape = plan, tuple(amax.shape)
        x = as_float32(inputs.expand(plan.shape))
        if plan.axis is None:
            self.channels = as_float32(amax).reshape(1)
            self.x = x.reshape(-1, 1) if per_channel else x
        elif plan.flatten:
            self.channels = as_float32(amax.expand(plan.shape)).reshape(-1)
            self.x = x.reshape(-1)
        else:
            self.channels = as_float32(amax).reshape(-1)
            self.x = np.ascontiguousarray(np.moveaxis(x, plan.axis, -1))

    def back(self, values) -> np.ndarray:
        """An array laid out like ``self.x`` back in the broadcast shape."""
        values = np.asarray(values)
        if self.plan.axis is not None and not self.plan.flatten:
            values = np.moveaxis(values, -1, self.plan.axis)
        return values.reshape(self.plan.shape)

    def amax_gradient(self, per_channel_values, dtype) -> torch.Tensor:
        """Gradients per min/max channel summed back onto amax's own shape."""
        values = torch.from_numpy(np.array(per_channel_values, dtype=np.float32).reshape(-1))
        if self.plan.axis is None:
            grad = values.reshape(()).expand(self.amax_shape)
        elif self.plan.flatten:
            grad = values.reshape(self.plan.shape).sum_to_size(self.amax_shape)
        else:
            grad = values.reshape(self.amax_shape)
        return grad.to(dtype).contiguous()


def _bounds(arrangement, num_bits, unsigned, narrow_range):
    factor, tf_narrow = _lower_factor(num_bits, unsigned, narrow_range)
    high = arrangement.channels
    low = (-np.float64(factor) * high.astype(np.float64)).astype(np.float32)
    return low, high, factor, tf_narrow


class _FakeQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, amax, num_bits, unsigned, narrow_range, op):
        require_cpu(f"tf.quantization.{op}", inputs, amax)
        if not 2 <= num_bits <= 16:
            raise Unsupported(f"tf.quantization.{op} takes num_bits 2..16, not {num_bits}")
        per_channel = op.endswith("per_channel")
        arr = _Arrangement(inputs, amax, per_channel=per_channel, op=op)
        low, high, factor, tf_narrow = _bounds(arr, num_bits, unsigned, narrow_range)
        quant = _tf.quantization
        if op == "fake_quant_with_min_max_args":
            y = quant.fake_quant_with_min_max_args(
                arr.x, min=float(low[0]), max=float(high[0]), num_bits=num_bits,
                narrow_range=tf_narrow)
        elif op == "fake_quant_with_min_max_vars":
            y = quant.fake_quant_with_min_max_vars(
                arr.x, low.reshape(()), high.reshape(()), num_bits=num_bits,
                narrow_range=tf_narrow)
        else:
            y = quant.fake_quant_with_min_max_vars_per_channel(
                arr.x, low, high, num_bits=num_bits, narrow_range=tf_narrow)
        ctx.arrangement, ctx.op, ctx.factor = arr, op, factor
        ctx.attrs = {"num_bits": num_bits, "narrow_range": tf_narrow}
        ctx.bounds = (low, high)
        ctx.shapes = (inputs.shape, inputs.dtype, amax.dtype)
        return from_float32(arr.back(y.numpy()), inputs.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        arr, op, (low, high) = ctx.arrangement, ctx.op, ctx.bounds
        input_shape, input_dtype, amax_dtype = ctx.shapes
        g = as_float32(grad_output.expand(arr.plan.shape))
        if arr.plan.axis is not None and not arr.plan.flatten:
            g = np.ascontiguousarray(np.moveaxis(g, arr.plan.axis, -1))
        else:
            g = g.reshape(arr.x.shape)
        raw = _tf.raw_ops
        grad_amax = None
        if op == "fake_quant_with_min_max_args":
            dx = raw.FakeQuantWithMinMaxArgsGradient(
                gradients=g, inputs=arr.x, min=float(low[0]), max=float(high[0]), **ctx.attrs)
        else:
            per_channel = op.endswith("per_channel")
            gradient_op = (raw.FakeQuantWithMinMaxVarsPerChannelGradient if per_channel
                           else raw.FakeQuantWithMinMaxVarsGradient)
            shape = low.shape if per_channel else ()
            dx, dmin, dmax = gradient_op(gradients=g, inputs=arr.x, min=low.reshape(shape),
                                         max=high.reshape(shape), **ctx.attrs)
            if ctx.needs_input_grad[1]:
                # min = -factor * amax and max = amax: d/damax = dmax - factor * dmin.
                per_amax = dmax.numpy() - np.float32(ctx.factor) * dmin.numpy()
                grad_amax = arr.amax_gradient(per_amax, amax_dtype)
        grad_inputs = from_float32(arr.back(dx.numpy()), input_dtype).sum_to_size(input_shape)
        return grad_inputs, grad_amax, None, None, None, None


def fake_quant(op, inputs, amax, num_bits, unsigned, narrow_range):
    """The article's ``fake_tensor_quant`` through ``tf.quantization.<op>``."""
    return _FakeQuant.apply(inputs, amax, num_bits, unsigned, narrow_range, op)
