"""The correct kernel the broken zoo members start from, one overridable method per rule.

Each broken member subclasses :class:`Kernel` (or :class:`Descriptor`) and
overrides exactly one method, so it reads as "the article's kernel with one
change". The pipeline in :meth:`Kernel.quantize` names the SPEC.md rule of
every step; the base class itself conforms (the zoo test does not run it as a
member, but ``correct_*`` members are written independently of it).
"""

from __future__ import annotations

import logging

import numpy as np
import torch

__all__ = ["Descriptor", "Kernel", "export"]

EPSILON = 2.0**-24  # amax at or below this quantizes to zero (SPEC 2.5)
FP16_MAX = 65504.0  # largest finite float16 (SPEC 3)


class Kernel:
    """The article's ``_tensor_quant`` and both public functions, step by step."""

    # SPEC 2.1
    def check_unsigned(self, inputs, unsigned):
        if unsigned and inputs.min() < 0.0:
            raise TypeError("Negative values encountered in unsigned quantization.")

    # SPEC 2.2: only float16 is upcast, inputs and amax separately.
    def upcast(self, inputs, amax):
        if inputs.dtype == torch.half:
            inputs = inputs.float()
        if amax.dtype == torch.half:
            amax = amax.float()
        return inputs, amax

    # SPEC 2.3
    def check_amax(self, amax):
        if amax.min() < 0:
            raise ValueError("Negative values in amax")

    # SPEC 2.4: (min_bound, max_bound), max_bound a 0-d float32 tensor.
    def bounds(self, num_bits, unsigned, narrow_range, device):
        max_bound = torch.tensor(2.0 ** (num_bits - 1 + int(unsigned)) - 1.0, device=device)
        if unsigned:
            return 0, max_bound
        if narrow_range:
            return -max_bound, max_bound
        return -max_bound - 1, max_bound

    # SPEC 2.5: the one test on the whole amax that turns the zero-amax masking on.
    # min() propagates NaN: an amax holding a NaN turns it off.
    def zero_gate(self, amax):
        return bool(amax.min() <= EPSILON)

    # SPEC 2.5: which amax count as zero (none while the gate is off).
    def zero_amax(self, amax):
        if not self.zero_gate(amax):
            return torch.zeros(amax.shape, dtype=torch.bool, device=amax.device)
        return amax <= EPSILON

    # SPEC 2.5: the multiplier, 0 where amax counts as zero.
    def multiplier(self, max_bound, amax, zero):
        return torch.where(zero, 0.0, max_bound / amax)

    # SPEC 2.6: the value that is rounded.
    def product(self, inputs, scale):
        return inputs * scale

    # SPEC 2.6: round half to even.
    def round(self, values, input_dtype):
        return torch.round(values)

    # SPEC 2.6: clamp, NaN propagating, an element equal to a bound kept (so
    # -0.0 stays -0.0, as PyTorch's CPU clamp keeps it; CUDA's returns +0).
    def clamp(self, values, min_bound, max_bound):
        values = torch.where(values < min_bound, min_bound, values)
        return torch.where(values > max_bound, max_bound, values)

    # SPEC 2.7: the scale reported for a zero amax is 1.
    def reported_scale(self, scale, zero):
        return torch.where(zero, 1.0, scale)

    # SPEC 2.8: float16 inputs get float16 codes back.
    def downcast(self, outputs, input_dtype):
        return outputs.half() if input_dtype == torch.half else outputs

    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        """SPEC section 2 in order; returns ``(codes, scale)``."""
        self.check_unsigned(inputs, unsigned)
        input_dtype = inputs.dtype
        inputs, amax = self.upcast(inputs, amax)
        self.check_amax(amax)
        min_bound, max_bound = self.bounds(num_bits, unsigned, narrow_range, amax.device)
        zero = self.zero_amax(amax)
        scale = self.multiplier(max_bound, amax, zero)
        rounded = self.round(self.product(inputs, scale), input_dtype)
        codes = self.clamp(rounded, min_bound, max_bound)
        return self.downcast(codes, input_dtype), self.reported_scale(scale, zero)

    # SPEC 3: tensor_quant's FP16 overflow check.
    def check_fp16_scale(self, codes, scale, amax):
        if codes.dtype == torch.half and scale.max() > FP16_MAX:
            raise ValueError(f"scale is too large for FP16 with amax={amax}")

    # SPEC 3: the scale tensor_quant returns.
    def returned_scale(self, scale, input_dtype):
        return scale.to(input_dtype)

    # SPEC 3: fake_tensor_quant's dequantize.
    def dequantize(self, codes, scale, input_dtype):
        return codes / scale.to(input_dtype)

    def tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        codes, scale = self.quantize(inputs, amax, num_bits, unsigned, narrow_range)
        self.check_fp16_scale(codes, scale, amax)
        return codes, self.returned_scale(scale, inputs.dtype)

    def fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        codes, scale = self.quantize(inputs, amax, num_bits, unsigned, narrow_range)
        return self.dequantize(codes, scale, inputs.dtype)

    # SPEC 3: the clipped straight-through estimator, inclusive, on raw inputs. The
    # zero has shape (1,) as in the article: autograd sums the (1,) gradient of a 0-d
    # input back to (), which turns a passed -0 into +0.
    def input_gradient(self, inputs, amax, grad_outputs):
        return torch.where(inputs.abs() <= amax, grad_outputs, grad_outputs.new_zeros(1))

    # SPEC 3: amax takes no gradient.
    def amax_gradient(self, inputs, amax, grad_outputs):
        return None


def export(kernel: Kernel):
    """``(fake_tensor_quant, tensor_quant)`` autograd functions running ``kernel``."""

    class TensorQuantFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
            ctx.save_for_backward(inputs, amax)
            return kernel.tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)

        @staticmethod
        def backward(ctx, grad_outputs, grad_scale):
            inputs, amax = ctx.saved_tensors
            return (
                kernel.input_gradient(inputs, amax, grad_outputs),
                kernel.amax_gradient(inputs, amax, grad_outputs),
                None, None, None,
            )

    class FakeTensorQuantFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
            ctx.save_for_backward(inputs, amax)
            return kernel.fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)

        @staticmethod
        def backward(ctx, grad_outputs):
            inputs, amax = ctx.saved_tensors
            return (
                kernel.input_gradient(inputs, amax, grad_outputs),
                kernel.amax_gradient(inputs, amax, grad_outputs),
                None, None, None,
            )

    return FakeTensorQuantFunction.apply, TensorQuantFunction.apply


logger = logging.getLogger(__name__)


class Descriptor:
    """SPEC section 1's ``ScaledQuantDescriptor``, each rule an overridable step."""

    #: The order the constructor applies its rule groups in (SPEC 1: this order).
    RULE_ORDER = ("_take_num_bits", "_take_name", "_take_options")
    #: SPEC 1.8 defaults.
    DEFAULTS = {"scale_amax": None, "calib_method": "max", "unsigned": False, "narrow_range": False}

    def __init__(self, num_bits=8, name=None, **kwargs):
        self._num_bits, self._name = num_bits, name
        for rule in self.RULE_ORDER:
            getattr(self, rule)(kwargs)

    # SPEC 1.1: bool is an int; numpy integers are not.
    def num_bits_type_ok(self, num_bits):
        return isinstance(num_bits, int)

    # SPEC 1.7: float (numpy.float64 included), list or ndarray.
    def amax_type_ok(self, amax):
        return isinstance(amax, (float, list, np.ndarray))

    # SPEC 1.9
    def reject_unused(self, kwargs):
        if kwargs:
            raise TypeError(f"Unused keys: {kwargs.keys()}")

    def _take_num_bits(self, kwargs):
        if not self.num_bits_type_ok(self._num_bits):
            raise TypeError(f"num_bits must be an integer, not {type(self._num_bits)}.")
        if self._num_bits < 0:  # SPEC 1.2
            raise ValueError(f"num_bits must be >= 0, not {self._num_bits}.")
        if self._num_bits == 0:  # SPEC 1.3
            logger.error("num_bits is 0: every value quantizes to zero (debugging only).")

    def _take_name(self, kwargs):  # SPEC 1.4
        if not isinstance(self._name, str) and self._name is not None:
            raise TypeError(f"name must be a string or None, not {type(self._name)}.")

    def _take_options(self, kwargs):
        self._fake_quant = kwargs.pop("fake_quant", True)  # SPEC 1.5
        self._axis = kwargs.pop("axis", None)
        self._learn_amax = kwargs.pop("learn_amax", False)
        if self._learn_amax and self._axis is not None:  # SPEC 1.6
            raise TypeError(f"axis must be None when learn_amax is true, got {self._axis!r}.")
        amax = kwargs.pop("amax", None)  # SPEC 1.7
        if amax is not None:
            if not self.amax_type_ok(amax):
                raise TypeError(f"amax must be float, list or ndarray, not {type(amax)}")
            amax = np.array(amax, dtype=np.float32)
        self._amax = amax
        for key, default in self.DEFAULTS.items():  # SPEC 1.8
            setattr(self, "_" + key, kwargs.pop(key, default))
        self.reject_unused(kwargs)

    num_bits = property(lambda self: self._num_bits)
    name = property(lambda self: self._name)
    fake_quant = property(lambda self: self._fake_quant)
    axis = property(lambda self: self._axis)
    learn_amax = property(lambda self: self._learn_amax)
    amax = property(lambda self: self._amax)
    scale_amax = property(lambda self: self._scale_amax)
    calib_method = property(lambda self: self._calib_method)
    unsigned = property(lambda self: self._unsigned)
    narrow_range = property(lambda self: self._narrow_range)
