"""Target ``modelopt``: NVIDIA ModelOpt's ``tensor_quant.fake_tensor_quant`` on CPU.

ModelOpt 0.47 (PyPI ``nvidia-modelopt``) keeps pytorch-quantization's
formula but upcasts every dtype to float32 and casts back. Its
``FakeTensorQuantFunction.forward`` takes ``bias`` as the third positional
argument (before ``num_bits``), so the adapter passes ``bias=None`` explicitly:
a caller written for pytorch-quantization's signature would bind num_bits to
bias (ModelOpt's own ``test_overflow_fp16`` does, and tests nothing). The
bare function's default ``pass_through_bwd=False`` gives the clipped STE.
"""

from __future__ import annotations

from . import require

# modelopt imports requests and huggingface_hub without declaring them; the
# extra installs all three.
require("requests", "modelopt", "modelopt")
require("huggingface_hub", "modelopt", "modelopt")
_tensor_quant = require("modelopt.torch.quantization.tensor_quant", "modelopt", "modelopt")

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant", "scaled_e4m3"]

CONFORMANCE_TARGET = {
    "name": "NVIDIA ModelOpt 0.47 tensor_quant (CPU path)",
    "devices": ("cpu",),
    "variations": ("compute_float32",),
    "expectations": "expectations/modelopt.toml",
}


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """ModelOpt's fake quantization with no bias, clipped straight-through backward."""
    return _tensor_quant.fake_tensor_quant(inputs, amax, None, num_bits, unsigned, narrow_range)


def scaled_e4m3(inputs, amax=None, E=4, M=3):  # noqa: N803 - the article's names
    """ModelOpt's ``scaled_e4m3`` with no bias: on a CPU tensor its eager path (``_fp8_eager``).

    ``ScaledE4M3Function.forward(inputs, amax, bias, E, M, ...)`` takes bias
    third, as ``fake_tensor_quant`` does. On CPU ``scaled_e4m3_impl`` always
    takes ``fp8_eager`` (the CUDA extension ``fake_e4m3fy`` only for CUDA
    tensors with a per-tensor or 1-D amax): float32 compute, ``x * (448 /
    amax)`` clamped to +-448, torch's float8_e4m3fn cast, times ``1 / scale``.
    """
    return _tensor_quant.scaled_e4m3(inputs, amax, None, E, M)
