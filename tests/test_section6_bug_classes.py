"""More bug classes in SPEC section 6's functions, each caught by the property named.

Besides the zoo's one member per property: kernels nobody planted for a
particular strategy, each the section 6 zoo kernel with one method
overridden, so a regression in a strategy that stops finding one shows here.
"""

from __future__ import annotations

import sys
import types

import pytest
import torch
import yaml

from conformance.runner import run_target
from conformance.targets import load_target
from tests.zoo._base import export
from tests.zoo._section6 import Section6Descriptor, Section6Kernel, export_section6


class AffineUpcastsFloat16(Section6Kernel):
    def fake_affine_tensor_quant(self, inputs, low, high, num_bits):
        if inputs.dtype != torch.half:
            return super().fake_affine_tensor_quant(inputs, low, high, num_bits)
        return super().fake_affine_tensor_quant(inputs.float(), low.float(), high.float(),
                                                num_bits).half()


class AffineZeroPointHalfUp(Section6Kernel):
    def affine_zero_point(self, min_range, step, min_bound):
        return torch.floor(min_range / step + 0.5) - min_bound


class AffineStepOffByOne(Section6Kernel):
    def affine_step(self, min_range, max_range, num_bits):
        return (max_range - min_range) / 2.0**num_bits


class AffineNoClamp(Section6Kernel):
    def affine_clamp(self, codes, min_bound, max_bound):
        return codes


class AffineStepInFloat64(Section6Kernel):
    def affine_step(self, min_range, max_range, num_bits):
        step = (max_range.double() - min_range.double()) / (2.0**num_bits - 1)
        return step.to(torch.promote_types(min_range.dtype, max_range.dtype))


class AffineGradientLetsNanThrough(Section6Kernel):
    def affine_input_gradient(self, inputs, min_range, max_range, grad_outputs):
        return torch.where(~((inputs < min_range) | (inputs > max_range)), grad_outputs, 0.0)


class E4m3HalfAwayFromZero(Section6Kernel):
    def e4m3_round(self, values):
        wide = values.float()
        magnitude = wide.abs().clamp(max=448.0)
        exponent = torch.floor(torch.log2(torch.where(magnitude > 0, magnitude, 1.0)))
        quantum = torch.exp2(exponent.clamp(min=-6) - 3)
        rounded = torch.sign(wide) * torch.floor(magnitude / quantum + 0.5) * quantum
        return torch.where(torch.isnan(wide), wide, rounded).to(values.dtype)


class E4m3ScaleCorrectlyRounded(Section6Kernel):
    def e4m3_scale(self, amax):
        return (448.0 / amax.double()).to(amax.dtype)  # not reciprocal * 448


class E4m3NoZeroMask(Section6Kernel):
    def e4m3_zero_mask(self, inputs):
        return torch.zeros_like(inputs, dtype=torch.bool)


class E4m3AlwaysFloat32(Section6Kernel):
    def scaled_e4m3(self, inputs, amax):
        return super().scaled_e4m3(inputs, amax).float()


class E4m3FlushesSubnormals(Section6Kernel):
    def e4m3_round(self, values):
        rounded = super().e4m3_round(values)
        return torch.where(values.float().abs() < 2.0**-6, 0.0 * rounded, rounded)


class E4m3AcceptsAnyFormat(Section6Kernel):
    def e4m3_check(self, E, M):
        pass


class E4m3BoundInFloat64(Section6Kernel):
    def e4m3_bound(self, amax):
        return torch.tensor(448.0) if amax is None else amax.detach().double()


class LegacyAlwaysNarrow(Section6Kernel):
    def legacy_fake_tensor_quant(self, inputs, amax, num_bits, unsigned, narrow_range):
        return self.fake_tensor_quant(inputs, amax, num_bits, unsigned, True)


class YamlUnsorted(Section6Descriptor):
    def to_yaml(self):
        out = self.dict()
        if "axis" in out:
            out["axis"] = list(out["axis"])
        return yaml.dump(out, width=120, sort_keys=False)


class YamlUnsafeLoad(Section6Descriptor):
    @classmethod
    def from_yaml(cls, yaml_str):
        loaded = yaml.load(yaml_str, Loader=yaml.UnsafeLoader)
        if "axis" in loaded:
            loaded["axis"] = tuple(loaded["axis"])
        return cls(**loaded)


class DictAmaxArray(Section6Descriptor):
    def serialized_value(self, key, value):
        return value


class YamlIntAxisFixed(Section6Descriptor):
    def to_yaml(self):
        out = self.dict()
        if "axis" in out:
            axis = out["axis"]
            out["axis"] = list(axis) if isinstance(axis, (tuple, list)) else [axis]
        return yaml.dump(out, width=120)


class StrOneSpace(Section6Descriptor):
    def __str__(self):
        return super().__str__().replace("axis= per-tensor", "axis=per-tensor")


#: bug -> the property that must catch it
BUGS = {
    AffineUpcastsFloat16: "affine_values", AffineZeroPointHalfUp: "affine_values",
    AffineStepOffByOne: "affine_values", AffineNoClamp: "affine_values",
    AffineStepInFloat64: "affine_values", AffineGradientLetsNanThrough: "affine_gradient",
    E4m3HalfAwayFromZero: "e4m3_values", E4m3ScaleCorrectlyRounded: "e4m3_values",
    E4m3NoZeroMask: "e4m3_values", E4m3AlwaysFloat32: "e4m3_values",
    E4m3FlushesSubnormals: "e4m3_values", E4m3AcceptsAnyFormat: "e4m3_values",
    E4m3BoundInFloat64: "e4m3_gradient", LegacyAlwaysNarrow: "legacy_fake",
    YamlUnsorted: "descriptor_serialization", YamlUnsafeLoad: "descriptor_serialization",
    DictAmaxArray: "descriptor_serialization", YamlIntAxisFixed: "descriptor_serialization",
    StrOneSpace: "descriptor_serialization",
}


def _target(bug):
    name = f"_section6_bug_{bug.__name__}"
    module = types.ModuleType(name)
    kernel = bug() if issubclass(bug, Section6Kernel) else Section6Kernel()
    module.fake_tensor_quant, module.tensor_quant = export(kernel)
    vars(module).update(export_section6(kernel))
    if issubclass(bug, Section6Descriptor):
        module.QuantDescriptor = bug
    sys.modules[name] = module
    return load_target(name)


@pytest.mark.parametrize("bug", list(BUGS), ids=lambda b: b.__name__)
def test_bug_class_is_caught(bug):
    result = run_target(_target(bug), profile="ci", properties=[BUGS[bug]]).results[0]
    assert result.status == "fail", (result.status, result.reason)
