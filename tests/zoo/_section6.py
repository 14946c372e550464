"""SPEC section 6 for the zoo: the correct kernel and descriptor its members start from.

Like ``_base``, each rule is one overridable method, so a broken member
reads as "upstream's code with one change": ``Section6Kernel`` adds
``legacy_fake_tensor_quant``, ``fake_affine_tensor_quant`` and
``scaled_e4m3`` to the article's kernel, ``Section6Descriptor`` adds
``==``, ``dict()``, ``to_yaml()``, ``from_yaml()`` and ``str()`` to the
article's descriptor. Written with plain torch ops (the zoo runs on CPU,
where they are PyTorch's own arithmetic), independently of the built-in
target.
"""

from __future__ import annotations

import torch
import yaml

from ._base import EPSILON, Descriptor, Kernel

__all__ = ["Section6Descriptor", "Section6Kernel", "export_section6"]


class Section6Kernel(Kernel):
    """The article's kernel plus SPEC section 6's functions, step by step."""

    # SPEC 6.3: upstream 2.2.1's name for the article's path.
    def legacy_fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        return self.fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)

    # SPEC 6.1: the step, a tensor divided by a Python float.
    def affine_step(self, min_range, max_range, num_bits):
        return (max_range - min_range) / (2.0**num_bits - 1)

    # SPEC 6.1: the code bounds, Python floats.
    def affine_bounds(self, num_bits):
        return -(2.0 ** (num_bits - 1)), 2.0 ** (num_bits - 1) - 1

    # SPEC 6.1: the zero point.
    def affine_zero_point(self, min_range, step, min_bound):
        return torch.round(min_range / step) - min_bound

    # SPEC 6.1: the shifted codes, dividing by the step.
    def affine_codes(self, inputs, step, zero_point):
        return torch.round(inputs / step) - zero_point

    # SPEC 6.1: clamp with Python float bounds (RuntimeError when one does not fit).
    def affine_clamp(self, codes, min_bound, max_bound):
        return torch.clamp(codes, min_bound, max_bound)

    # SPEC 6.1: back to the input's scale.
    def affine_dequantize(self, codes, zero_point, step):
        return (codes + zero_point) * step

    def fake_affine_tensor_quant(self, inputs, min_range, max_range, num_bits):
        step = self.affine_step(min_range, max_range, num_bits)
        min_bound, max_bound = self.affine_bounds(num_bits)
        zero_point = self.affine_zero_point(min_range, step, min_bound)
        codes = self.affine_clamp(self.affine_codes(inputs, step, zero_point), min_bound,
                                  max_bound)
        return self.affine_dequantize(codes, zero_point, step)

    # SPEC 6.1: the inclusive straight-through gradient.
    def affine_input_gradient(self, inputs, min_range, max_range, grad_outputs):
        inside = (inputs >= min_range) & (inputs <= max_range)
        return torch.where(inside, grad_outputs, 0.0)

    # SPEC 6.1: no gradient for the ranges.
    def affine_range_gradient(self, inputs, min_range, max_range, grad_outputs):
        return None, None

    # SPEC 6.3: only E4M3.
    def e4m3_check(self, E, M):
        if E != 4 or M != 3:
            raise NotImplementedError("Only support E=4 & M=3 for now.")

    # SPEC 6.3: inputs below 2**-24 become +0 at the end.
    def e4m3_zero_mask(self, inputs):
        return inputs.abs() < EPSILON

    # SPEC 6.3: 448 / amax, which PyTorch evaluates as amax.reciprocal() * 448.
    def e4m3_scale(self, amax):
        return 448.0 / amax

    # SPEC 6.3: to float32, to E4M3 (nearest even, saturating), back to the dtype.
    def e4m3_round(self, values):
        saturated = values.float().clamp(-448.0, 448.0)
        return saturated.to(torch.float8_e4m3fn).float().to(values.dtype)

    def scaled_e4m3(self, inputs, amax):
        zero_mask = self.e4m3_zero_mask(inputs)
        if amax is None:
            outputs = self.e4m3_round(inputs)
        else:
            scale = self.e4m3_scale(amax)
            outputs = self.e4m3_round(inputs * scale) / scale
        outputs[zero_mask] = 0.0
        return outputs

    # SPEC 6.3: the backward's bound, torch.tensor(amax or 448.0, dtype=float32).
    def e4m3_bound(self, amax):
        return torch.tensor(448.0) if amax is None else amax.detach().to(torch.float32)

    # SPEC 6.3: the clipped straight-through gradient.
    def e4m3_input_gradient(self, inputs, bound, grad_outputs):
        return torch.where(inputs.abs() <= bound, grad_outputs, 0.0)

    # SPEC 6.3: no gradient for amax.
    def e4m3_amax_gradient(self, amax):
        return None


def export_section6(kernel: Section6Kernel) -> dict:
    """The section 6 functions of ``kernel`` as autograd functions, by upstream name."""

    class Legacy(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
            ctx.save_for_backward(inputs, amax)
            return kernel.legacy_fake_tensor_quant(inputs, amax, num_bits, unsigned, narrow_range)

        @staticmethod
        def backward(ctx, grad_outputs):
            inputs, amax = ctx.saved_tensors
            return (kernel.input_gradient(inputs, amax, grad_outputs),
                    kernel.amax_gradient(inputs, amax, grad_outputs), None, None, None)

    class Affine(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inputs, min_range, max_range, num_bits=8):
            ctx.save_for_backward(inputs, min_range, max_range)
            return kernel.fake_affine_tensor_quant(inputs, min_range, max_range, num_bits)

        @staticmethod
        def backward(ctx, grad_outputs):
            inputs, min_range, max_range = ctx.saved_tensors
            return (kernel.affine_input_gradient(inputs, min_range, max_range, grad_outputs),
                    *kernel.affine_range_gradient(inputs, min_range, max_range, grad_outputs),
                    None)

    class E4M3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, inputs, amax=None, E=4, M=3):
            kernel.e4m3_check(E, M)
            ctx.save_for_backward(inputs)
            ctx.bound, ctx.amax = kernel.e4m3_bound(amax), amax
            return kernel.scaled_e4m3(inputs, amax)

        @staticmethod
        def backward(ctx, grad_outputs):
            (inputs,) = ctx.saved_tensors
            return (kernel.e4m3_input_gradient(inputs, ctx.bound, grad_outputs),
                    kernel.e4m3_amax_gradient(ctx.amax), None, None)

    return {"legacy_fake_tensor_quant": Legacy.apply,
            "fake_affine_tensor_quant": Affine.apply, "scaled_e4m3": E4M3.apply}


class Section6Descriptor(Descriptor):
    """The article's descriptor plus SPEC 6.2's methods, each an overridable step."""

    #: SPEC 6.2: what dict() writes, in order, and when (never narrow_range, calib_method).
    SERIALIZED = (("num_bits", lambda v: True), ("name", lambda v: True),
                  ("fake_quant", lambda v: not v), ("axis", lambda v: v is not None),
                  ("amax", lambda v: v is not None), ("scale_amax", lambda v: v is not None),
                  ("learn_amax", bool), ("unsigned", bool))

    # SPEC 6.2: every stored attribute, in order.
    def __eq__(self, rhs):
        return self.__dict__ == rhs.__dict__

    # SPEC 6.2: amax as a list.
    def serialized_value(self, key, value):
        return value.tolist() if key == "amax" else value

    def dict(self):
        values = {key: getattr(self, "_" + key) for key, _ in self.SERIALIZED}
        return {key: self.serialized_value(key, values[key])
                for key, keep in self.SERIALIZED if keep(values[key])}

    # SPEC 6.2: PyYAML, axis as a list.
    def to_yaml(self):
        out = self.dict()
        if "axis" in out:
            out["axis"] = list(out["axis"])
        return yaml.dump(out, width=120)

    @classmethod
    def from_yaml(cls, yaml_str):
        loaded = yaml.safe_load(yaml_str)
        if "axis" in loaded:
            loaded["axis"] = tuple(loaded["axis"])
        return cls(**loaded)

    # SPEC 6.2: a format template filled with the stored attributes at the end.
    def __str__(self):
        parts = [("QuantDescriptor" if self._name is None else self._name + ": ") + "("
                 + ("unsigned " if self._unsigned else "") + f"{self._num_bits}bit",
                 "fake" if self._fake_quant else "real",
                 "axis=" + (" per-tensor" if self._axis is None else f"{self._axis}")]
        if self._amax is not None:
            parts.append("amax={_amax} full_range")
        if self._learn_amax:
            parts.append("learn_amax")
        if self._scale_amax:
            parts.append("scale_amax={_scale_amax}")
        return (" ".join(parts) + ")").format(**self.__dict__)
