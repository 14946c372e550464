"""One correct kernel with a switch per planted deviation, for the small test targets.

The engine, sweep, fingerprint and variation tests each need "the article's
kernel with one thing changed". They share this one, built on the zoo's
step-by-step kernel (``tests.zoo._base``), so a fix to the correct path
reaches them all. With every switch off it conforms.
"""

from __future__ import annotations

import itertools

import torch

from tests.zoo._base import EPSILON, Kernel, export

__all__ = ["Switchable", "make"]


def round_half_away(values):
    """Exact ties away from zero (no floor(x + 0.5) double rounding); keeps -0.0."""
    truncated = values.trunc()
    tie = (values - truncated).abs() == 0.5
    return torch.where(tie, truncated + torch.sign(values), values.round())


class Switchable(Kernel):
    """The article's kernel, except where a switch says otherwise."""

    def __init__(self, *, rounding="half_even", always_narrow=False, always_full=False,
                 zero_threshold="inclusive", check_unsigned=True, off_by_one_code=None,
                 ste_strict=False, amax_grad=False, write_inputs=False,
                 assume_contiguous=False, wrong_axis=False, scale_float32=False,
                 output_device=None, flaky=False, flatten=False):
        self.half_away = {"half_even": False, "half_away": True}[rounding]
        self.always_narrow = always_narrow
        self.always_full = always_full
        self.strict_zero = {"inclusive": False, "strict": True}[zero_threshold]
        self.unsigned_checked = check_unsigned
        self.off_by_one_code = off_by_one_code
        self.ste_strict = ste_strict
        self.amax_grad = amax_grad
        self.write_inputs = write_inputs
        self.assume_contiguous = assume_contiguous
        self.wrong_axis = wrong_axis
        self.scale_float32 = scale_float32
        self.output_device = output_device
        self.flaky = flaky
        self._calls = itertools.count()
        self.flatten = flatten

    def check_unsigned(self, inputs, unsigned):
        if self.unsigned_checked:
            super().check_unsigned(inputs, unsigned)

    def upcast(self, inputs, amax):
        inputs, amax = super().upcast(inputs, amax)
        if self.wrong_axis and amax.numel() > 1:
            amax = amax.reshape(-1)  # a per-channel amax lands on the last axis
        return inputs, amax

    def bounds(self, num_bits, unsigned, narrow_range, device):
        narrow = (narrow_range or self.always_narrow) and not self.always_full
        return super().bounds(num_bits, unsigned, narrow, device)

    def zero_amax(self, amax):
        return amax < EPSILON if self.strict_zero else super().zero_amax(amax)

    def round(self, values, input_dtype):
        return round_half_away(values) if self.half_away else super().round(values, input_dtype)

    def clamp(self, values, min_bound, max_bound):
        codes = super().clamp(values, min_bound, max_bound)
        if self.off_by_one_code is not None:  # an unrelated bug: one code lands one step up
            codes = torch.where(codes == self.off_by_one_code, codes + 1, codes)
        return codes

    def quantize(self, inputs, amax, num_bits, unsigned, narrow_range):
        if self.assume_contiguous and not inputs.is_contiguous():
            # reads the storage as if the tensor were contiguous
            strides = torch.empty(inputs.shape).stride()
            inputs = inputs.as_strided(inputs.shape, strides, inputs.storage_offset())
        codes, scale = super().quantize(inputs, amax, num_bits, unsigned, narrow_range)
        if self.flaky and next(self._calls) % 3 == 2 and codes.numel():
            codes = codes.clone()  # every third call, the first code moves by one ulp
            codes.view(-1)[0] = torch.nextafter(codes.view(-1)[0], codes.new_tensor(1e9))
        return codes, scale

    def returned_scale(self, scale, input_dtype):
        return scale if self.scale_float32 else super().returned_scale(scale, input_dtype)

    def input_gradient(self, inputs, amax, grad_outputs):
        if self.ste_strict:
            return torch.where(inputs.abs() < amax, grad_outputs, 0.0)
        return super().input_gradient(inputs, amax, grad_outputs)

    def amax_gradient(self, inputs, amax, grad_outputs):
        return torch.zeros_like(amax) if self.amax_grad else None

    def _finish(self, outputs, inputs):
        """The switches that act on a returned tensor (and on the caller's inputs)."""
        if self.write_inputs:
            with torch.no_grad():
                inputs.copy_(outputs.to(inputs.dtype).expand(inputs.shape)
                             if outputs.numel() else inputs)
        if self.flatten:
            outputs = outputs.reshape(-1)  # 0-d results come back with shape (1,)
        if self.output_device is not None:
            outputs = outputs.to(self.output_device)
        return outputs

    def tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        codes, scale = super().tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)
        return self._finish(codes, inputs), scale

    def fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        outputs = super().fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)
        return self._finish(outputs, inputs)


def make(**switches):
    """``(fake_tensor_quant, tensor_quant)`` of a :class:`Switchable` kernel."""
    return export(Switchable(**switches))
