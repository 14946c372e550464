"""Rounds half away from zero (the pytorch-quantization CUDA kernel up to 2.1.2, ONNX Runtime)."""

from ._kernel import make

CONFORMANCE_TARGET = {"name": "broken: round half away from zero", "devices": ("cpu",)}
fake_tensor_quant, tensor_quant = make(rounding="half_away")
