"""Rounds .5 ties away from zero instead of to even; breaks SPEC 2.6 (round half to even).

Seen in the pytorch-quantization CUDA kernel up to 2.1.2 and in several
QuantizeLinear kernels (ONNX Runtime, tract, OpenVINO).
"""

import torch

from ._base import Kernel, export

CAUGHT_BY = frozenset({"fake_per_tensor", "quant_per_tensor", "fake_per_channel", "quant_per_channel"})


class _Kernel(Kernel):
    def round(self, values, input_dtype):
        truncated = torch.trunc(values)
        away = (values - truncated).abs() >= 0.5  # the bug: a tie goes away from zero
        return torch.where(away, truncated + torch.sign(values), truncated)


fake_tensor_quant, tensor_quant = export(_Kernel())
