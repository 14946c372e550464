"""Target ``onnxruntime``: QuantizeLinear -> DequantizeLinear on ONNX Runtime's CPU provider.

The article's call becomes a one-node-pair model (``_onnx_graph``) with
``scale = amax / max_bound`` and zero point 0, run by an InferenceSession on
``CPUExecutionProvider``. Sessions are cached per configuration (integer
type and axis). ONNX has no gradient, so the STE properties do not apply.
"""

from __future__ import annotations

import functools

from . import require
from ._onnx_graph import QDQ_VARIATIONS, build_model, prepare

_ort = require("onnxruntime", "onnx", "onnxruntime")

__all__ = ["CONFORMANCE_TARGET", "fake_tensor_quant"]

CONFORMANCE_TARGET = {
    "name": "ONNX Runtime QuantizeLinear/DequantizeLinear (CPU provider)",
    "devices": ("cpu",),
    "variations": QDQ_VARIATIONS,
    "expectations": "expectations/onnxruntime.toml",
}


@functools.lru_cache(maxsize=64)
def _session(int_type, axis, rank):
    model = build_model(int_type, axis, rank, "onnxruntime")
    options = _ort.SessionOptions()
    options.log_severity_level = 3  # no warnings on stderr for every new session
    return _ort.InferenceSession(model.SerializeToString(), options,
                                 providers=["CPUExecutionProvider"])


def fake_tensor_quant(inputs, amax, num_bits=8, unsigned=False, narrow_range=True):
    """Quantize-dequantize through ONNX Runtime (no gradient)."""
    call = prepare(inputs, amax, num_bits, unsigned, narrow_range, "onnxruntime")
    (y,) = _session(*call.key).run(["y"], call.feeds)
    return call.result(y)
