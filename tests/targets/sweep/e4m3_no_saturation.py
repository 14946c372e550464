"""scaled_e4m3 casts without saturating, as ``ml_dtypes.float8_e4m3fn`` does: from 464 (the
tie past 448) up, and inf, become NaN; breaks SPEC 6.3 (finite overflow and inf saturate to
+-448)."""

import math

import torch

from ._section6 import Section6Kernel, export_target

CONFORMANCE_TARGET = {"name": "broken: E4M3 cast without saturation", "devices": ("cpu",)}


class _Kernel(Section6Kernel):
    def e4m3_round(self, values):
        rounded = super().e4m3_round(values)
        overflow = values.float().abs() >= 464.0  # the bug: NaN instead of +-448
        return torch.where(overflow, math.nan, rounded)


globals().update(export_target(_Kernel()))
