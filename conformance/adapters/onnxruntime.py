"""Target ``onnxruntime``: QuantizeLinear -> DequantizeLinear on ONNX Runtime's CPU provider.

The article's call becomes a one-node-pair model (``_onnx_graph``) run by an
InferenceSession on ``CPUExecutionProvider``: ``fake_tensor_quant`` with
``scale = amax / max_bound`` and zero point 0, ``fake_affine_tensor_quant``
with the article's step and a zero point, ``scaled_e4m3`` as float8 Q/DQ
(FLOAT8E4M3FN, saturating). Sessions are cached per configuration (type,
axis, rank, zero point, saturation). ONNX has no gradient, so the STE
properties do not apply.
"""

from __future__ import annotations

import functools

from . import require
from ._onnx_graph import QDQ_VARIATIONS, article_api, model_for

_ort = require("onnxruntime", "onnx", "onnxruntime")

__all__ = ["CONFORMANCE_TARGET", "fake_affine_tensor_quant", "fake_tensor_quant", "scaled_e4m3"]

CONFORMANCE_TARGET = {
    "name": "ONNX Runtime QuantizeLinear/DequantizeLinear (CPU provider)",
    "devices": ("cpu",),
    "variations": QDQ_VARIATIONS,
    "expectations": "expectations/onnxruntime.toml",
}


@functools.lru_cache(maxsize=64)
def _session(key):
    options = _ort.SessionOptions()
    options.log_severity_level = 3  # no warnings on stderr for every new session
    return _ort.InferenceSession(model_for(key, "onnxruntime").SerializeToString(), options,
                                 providers=["CPUExecutionProvider"])


def _execute(call):
    (y,) = _session(call.key).run(["y"], call.feeds)
    return y


fake_tensor_quant, fake_affine_tensor_quant, scaled_e4m3 = article_api(_execute, "onnxruntime")
